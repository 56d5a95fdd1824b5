from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubmissionsConfig(AppConfig):
    name = "madoguchi.submissions"
    verbose_name = _("申請")

    def ready(self) -> None:
        from madoguchi.privacy.registry import register_provider

        from .register import procedure_files

        register_provider(procedure_files)
