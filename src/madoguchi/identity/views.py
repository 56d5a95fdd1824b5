"""A department's registered 提出代行者, managed by its 課管理者."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from madoguchi.accounts.models import StaffRole
from madoguchi.core.access import staff_required
from madoguchi.organisations.selectors import department_get_visible

from . import services
from .models import RegisteredAgent


@staff_required(StaffRole.Role.DEPT_ADMIN, StaffRole.Role.SYSADMIN)
@require_http_methods(["GET", "POST"])
def agents(request: HttpRequest, code: str) -> HttpResponse:
    department = department_get_visible(user=request.user, code=code)
    user = request.user
    if not (
        user.has_role(StaffRole.Role.DEPT_ADMIN, department.pk)
        or user.has_global_role(StaffRole.Role.SYSADMIN)
    ):
        raise Http404
    errors: dict = {}
    values = {"email": "", "organisation": "", "kind": ""}
    if request.method == "POST":
        if request.POST.get("action") == "deactivate":
            agent = RegisteredAgent.objects.filter(
                pk=request.POST.get("agent") or 0, department=department
            ).first()
            if agent is None:
                raise Http404
            services.agent_deactivate(by=user, agent=agent)
            messages.success(request, _("提出代行者の登録を取り消しました。"))
            return redirect("identity:agents", code=code)
        values = {k: request.POST.get(k, "").strip() for k in values}
        try:
            services.agent_register(by=user, department=department, **values)
        except ValidationError as exc:
            errors = {k: " ".join(str(m) for m in v) for k, v in exc.message_dict.items()}
        else:
            messages.success(request, _("提出代行者を登録しました。"))
            return redirect("identity:agents", code=code)
    return render(request, "identity/agents.html", {
        "department": department, "agents": RegisteredAgent.objects.filter(department=department).select_related("user"),
        "kinds": RegisteredAgent.Kind.choices, "errors": errors, "values": values,
    }, status=400 if errors else 200)  # fmt: skip
