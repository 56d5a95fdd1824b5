from django.apps import AppConfig


class PaperConfig(AppConfig):
    name = "madoguchi.paper"
    label = "paper"
    verbose_name = "紙の申請書"
