from django.apps import AppConfig


class DxConfig(AppConfig):
    name = "madoguchi.dx"
    label = "dx"
    verbose_name = "DX推進"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (register rows follow procedures.Procedure)
