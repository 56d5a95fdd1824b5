"""Template filters for the staff menu."""

from django import template

from madoguchi.accounts.models import StaffRole

register = template.Library()


@register.filter
def sees_opendata_coverage(user) -> bool:
    """DX推進担当 and システム管理者 open the coverage page of the standard datasets."""
    return bool(getattr(user, "is_city_staff", False)) and any(
        user.has_global_role(r) for r in (StaffRole.Role.DX_OFFICER, StaffRole.Role.SYSADMIN)
    )
