from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "madoguchi.cases"
    verbose_name = _("案件")

    def ready(self) -> None:
        from .my_numbers import register

        register()
