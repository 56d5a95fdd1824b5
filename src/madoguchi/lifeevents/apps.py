from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LifeEventsConfig(AppConfig):
    name = "madoguchi.lifeevents"
    label = "lifeevents"
    verbose_name = _("くらしの出来事の手続案内")
