from django.apps import AppConfig


class PrivacyTestAppConfig(AppConfig):
    """A model that holds the kinds of data later apps will hold, to test the privacy core on."""

    name = "tests.privacy_testapp"
    label = "privacy_testapp"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from madoguchi.privacy.holders import MyNumberHolder, register_holder

        from .models import Resident

        register_holder(MyNumberHolder(
            model=Resident, field="my_number",
            department_of=lambda r: r.department,
            affair_of=lambda r: r.affair,
            visible_to=lambda user: Resident.objects.filter(department_id__in=user.department_ids),
        ))  # fmt: skip
