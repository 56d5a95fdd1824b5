from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubmissionsConfig(AppConfig):
    name = "madoguchi.submissions"
    verbose_name = _("申請")
