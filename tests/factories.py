"""factory_boy factories for the foundation's models."""

from __future__ import annotations

import factory
from django.utils import timezone

from madoguchi.accounts.models import StaffRole, User

PASSWORD = "correct-horse-battery-7"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    display_name = factory.Sequence(lambda n: f"利用者 {n}")
    kind = User.Kind.CITIZEN
    password = factory.django.Password(PASSWORD)


class CitizenFactory(UserFactory):
    kind = User.Kind.CITIZEN
    email_verified_at = factory.LazyFunction(timezone.now)


class StaffFactory(UserFactory):
    """A staff member; pass ``roles=[(department, role), ...]``."""

    kind = User.Kind.STAFF

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for department, role in extracted or ():
            StaffRoleFactory(user=self, department=department, role=role)
        if any(role == StaffRole.Role.SYSADMIN for _d, role in extracted or ()):
            self.is_staff = self.is_superuser = True
            self.save(update_fields=["is_staff", "is_superuser"])


class StaffRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffRole

    user = factory.SubFactory(StaffFactory)
    role = StaffRole.Role.HANDLER
