"""Reads for municipalities and departments, always scoped to the user."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404

from .models import Department, Municipality

if TYPE_CHECKING:
    from madoguchi.accounts.models import User


def municipality_get_current() -> Municipality | None:
    """The municipality this installation serves, or None before it is loaded."""
    return Municipality.objects.filter(code=settings.MADOGUCHI_MUNICIPALITY_CODE).first()


def department_list_visible(*, user: User) -> QuerySet[Department]:
    """Departments whose internal pages the user may open.

    Deny by default: a staff member sees the departments they hold a role in;
    a system administrator sees every department of the city; anyone else
    sees none.
    """
    qs = Department.objects.filter(municipality__code=settings.MADOGUCHI_MUNICIPALITY_CODE, is_active=True)
    if not getattr(user, "is_city_staff", False):
        return qs.none()
    if user.has_global_role("sysadmin"):
        return qs
    return qs.filter(staff_roles__user=user).distinct()


def department_get_visible(*, user: User, code: str) -> Department:
    """One department the user may open; 404 otherwise, as if it did not exist."""
    department = department_list_visible(user=user).filter(code=code).first()
    if department is None:
        raise Http404
    return department
