from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "madoguchi.documents"
    verbose_name = _("発行文書")
