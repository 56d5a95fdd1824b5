from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from madoguchi.accounts.models import StaffRole
from madoguchi.accounts.selectors import department_staff_list
from madoguchi.core.access import staff_required

from .selectors import department_get_visible, department_list_visible


@staff_required()
def department_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "organisations/department_list.html",
        {"departments": department_list_visible(user=request.user)},
    )


@staff_required()
def department_detail(request: HttpRequest, code: str) -> HttpResponse:
    department = department_get_visible(user=request.user, code=code)
    user = request.user
    can_manage = user.has_role(StaffRole.Role.DEPT_ADMIN, department.pk) or user.has_global_role(
        StaffRole.Role.SYSADMIN
    )
    return render(
        request,
        "organisations/department_detail.html",
        {
            "department": department,
            "members": department_staff_list(department=department, viewer=request.user),
            "can_manage": can_manage,
        },
    )
