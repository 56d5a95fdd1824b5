from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "madoguchi.identity"
    verbose_name = _("本人確認と電子署名")

    def ready(self) -> None:
        from .plugins import dev  # noqa: F401  (registers the development signer)
