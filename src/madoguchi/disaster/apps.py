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
