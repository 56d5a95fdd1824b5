"""Reads for accounts, scoped to what the asking user may see."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from madoguchi.organisations.models import Department
from madoguchi.privacy.audit import audit_record
from madoguchi.privacy.models import AuditEvent

from .models import StaffRole, User


def staff_members_of_department(*, department: Department) -> QuerySet[User]:
    """Active staff with their roles in this department (one query for the roles)."""
    return (
        User.objects.filter(staff_roles__department=department, is_active=True)
        .distinct()
        .order_by("display_name", "pk")
        .prefetch_related(
            Prefetch(
                "staff_roles", queryset=StaffRole.objects.filter(department=department), to_attr="roles_here"
            )
        )
    )


def department_staff_list(*, department: Department, viewer: User) -> list[User]:
    """The department's staff for its page; the read of their names is audited."""
    members = list(staff_members_of_department(department=department))
    audit_record(action=AuditEvent.Action.READ, object_type="organisations.department.staff",
                 object_id=department.code, department_code=department.code, fields=["display_name", "roles"],
                 actor=viewer)  # fmt: skip
    return members


def staff_member_get(*, department: Department, user_id: int, viewer: User) -> User:
    """A member of a department the caller may already see; 404 if not a member. The read is audited."""
    member = staff_members_of_department(department=department).filter(pk=user_id).first()
    if member is None:
        raise Http404
    audit_record(action=AuditEvent.Action.READ, object_type="accounts.user", object_id=member.pk,
                 department_code=department.code, fields=["email", "display_name", "roles"], actor=viewer)  # fmt: skip
    return member
