from django.apps import AppConfig


class DisasterConfig(AppConfig):
    name = "madoguchi.disaster"
    label = "disaster"
    verbose_name = "災害モード"

    def ready(self) -> None:
        from madoguchi.submissions.initial import register_initial_answers

        from . import services

        register_initial_answers(services.RISAI_PROCEDURE, services.risai_initial_answers)
        from madoguchi.cases.services import on_case_opened

        on_case_opened(services.triage_record)
        from django.db.models.signals import post_save

        from madoguchi.cases.models import Case

        post_save.connect(_case_saved, sender=Case, dispatch_uid="disaster_triage_follow_case")


def _case_saved(sender, instance, created, **kwargs) -> None:
    if not created:
        from .services import triage_follow_case

        triage_follow_case(case=instance)
