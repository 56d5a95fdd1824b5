from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganisationsConfig(AppConfig):
    name = "madoguchi.organisations"
    verbose_name = _("自治体と組織")
