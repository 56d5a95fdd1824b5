from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FormsConfig(AppConfig):
    name = "madoguchi.forms"
    label = "formkit"
    verbose_name = _("申請フォーム")

    def ready(self) -> None:
        from madoguchi.privacy.registry import no_personal_data  # noqa: F401  (the app has no models)
