"""A department's staff, managed by its 課管理者 (or a システム管理者)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from madoguchi.core.access import staff_required
from madoguchi.organisations.selectors import department_get_visible

from . import services
from .forms import StaffMemberForm, StaffRolesForm
from .models import StaffRole
from .selectors import staff_member_get

MANAGERS = (StaffRole.Role.DEPT_ADMIN, StaffRole.Role.SYSADMIN)


def _managed_department(request: HttpRequest, code: str):
    """The department, if the user may manage its staff; 404 otherwise (also for a mere member)."""
    department = department_get_visible(user=request.user, code=code)
    user = request.user
    if not (
        user.has_role(StaffRole.Role.DEPT_ADMIN, department.pk)
        or user.has_global_role(StaffRole.Role.SYSADMIN)
    ):
        from django.http import Http404

        raise Http404
    return department


def _apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@staff_required(*MANAGERS)
@require_http_methods(["GET", "POST"])
def member_add(request: HttpRequest, code: str) -> HttpResponse:
    department = _managed_department(request, code)
    form = StaffMemberForm(request.POST or None, by=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            change = services.staff_member_add(
                by=request.user,
                department=department,
                email=form.cleaned_data["email"],
                display_name=form.cleaned_data["display_name"],
                roles=form.cleaned_data["roles"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            if change.created:
                messages.success(request, _("職員を登録し、パスワード設定の案内メールを送りました。"))
            else:
                messages.success(request, _("職員に役割を付与しました。"))
            return redirect("organisations:department_detail", code=department.code)
    return render(request, "accounts/staff/member_add.html", {"department": department, "form": form})


@staff_required(*MANAGERS)
@require_http_methods(["GET", "POST"])
def member_detail(request: HttpRequest, code: str, user_id: int) -> HttpResponse:
    department = _managed_department(request, code)
    member = staff_member_get(department=department, user_id=user_id, viewer=request.user)
    initial = {"roles": [r.role for r in member.roles_here]}
    form = StaffRolesForm(request.POST or None, by=request.user, initial=initial)
    action = request.POST.get("action", "roles")
    if request.method == "POST":
        try:
            if action == "remove":
                services.staff_member_remove(by=request.user, department=department, user=member)
                messages.success(request, _("職員を課から外しました。"))
                return redirect("organisations:department_detail", code=department.code)
            if action == "reset_mfa":
                services.totp_devices_delete(user=member, by=request.user)
                messages.success(request, _("2段階認証をリセットしました。次回ログイン時に設定し直します。"))
                return redirect("accounts:member_detail", code=department.code, user_id=member.pk)
            if form.is_valid():
                services.staff_roles_set(
                    by=request.user, department=department, user=member, roles=form.cleaned_data["roles"]
                )
                messages.success(request, _("役割を変更しました。"))
                return redirect("accounts:member_detail", code=department.code, user_id=member.pk)
        except ValidationError as exc:
            _apply_errors(form, exc)
    return render(
        request,
        "accounts/staff/member_detail.html",
        {"department": department, "member": member, "form": form},
    )
