"""Models that hold a My Number declare here who may see it in full.

A My Number is shown masked everywhere. Revealing it needs (1) a role of 担当者 or
決裁者 in the department that owns the record, (2) that department being designated
for the record's 個人番号利用事務 (``Department.my_number_affairs``, from the city's
data file), (3) a second-factor check within the last five minutes, and (4) a stated
reason; each reveal writes one audit row.

A record may hold one number in a model field (``field``), or several under keys
(``value_of``: a submission's answers hold the applicant's, the spouse's and each
child's number, keyed by the form's field id). The key names a place in the record,
never the number, so it may appear in a URL and in the audit row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import models


@dataclass(frozen=True)
class MyNumberHolder:
    model: type[models.Model]
    field: str
    department_of: Callable[[models.Model], object]
    affair_of: Callable[[models.Model], str]
    visible_to: Callable[[object], models.QuerySet]
    # Several numbers in one record: (record, key) -> the number there, or None.
    value_of: Callable[[models.Model, str], str | None] | None = None
    # Where staff go back to after a reveal (the case page), or None.
    back_url_of: Callable[[models.Model], str | None] | None = None

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    def value(self, obj, key: str = "") -> str | None:
        """The number under ``key`` (a holder with one field takes no key); None if there is none."""
        if self.value_of is None:
            return None if key else (getattr(obj, self.field) or None)
        return self.value_of(obj, key) if key else None

    def audit_field(self, key: str = "") -> str:
        return f"{self.field}.{key}" if key else self.field


_holders: dict[str, MyNumberHolder] = {}

REVEAL_ROLES = ("handler", "approver")


def register_holder(holder: MyNumberHolder) -> None:
    _holders[holder.label] = holder


def holder_for(label: str) -> MyNumberHolder | None:
    return _holders.get(label)


def holders() -> list[MyNumberHolder]:
    return list(_holders.values())


def may_reveal(user, holder: MyNumberHolder, obj) -> bool:
    department = holder.department_of(obj)
    if department is None or not getattr(user, "is_city_staff", False):
        return False
    has_role = any(user.has_role(role, department.pk) for role in REVEAL_ROLES)
    return has_role and holder.affair_of(obj) in (department.my_number_affairs or [])
