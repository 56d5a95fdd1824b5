"""Staff pages of disaster mode: the switch (declare, end, history, API tokens) and the triage table."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from madoguchi.accounts.models import StaffRole
from madoguchi.core.access import staff_required

from . import selectors, services
from .forms import DeclareForm, TokenForm

ESTIMATE_LABELS = {
    "zenkai": gettext_lazy("全壊"), "daikibo": gettext_lazy("大規模半壊"), "chukibo": gettext_lazy("中規模半壊"),
    "hankai": gettext_lazy("半壊"), "junhankai": gettext_lazy("準半壊"), "ichibu": gettext_lazy("一部損壊"),
    "unknown": gettext_lazy("わからない"), "": gettext_lazy("回答なし"),
}  # fmt: skip


def _estimate_label(value: str) -> str:
    return str(ESTIMATE_LABELS.get(value, value))


@staff_required(StaffRole.Role.SYSADMIN, StaffRole.Role.DX_OFFICER, StaffRole.Role.DEPT_ADMIN)
def switch(request: HttpRequest) -> HttpResponse:
    if not services.can_switch(request.user):
        raise Http404
    form, token_form, plaintext, created = DeclareForm(), TokenForm(), "", None
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "declare":
            form = DeclareForm(request.POST)
            if form.is_valid():
                try:
                    disaster = services.declare_disaster(by=request.user, **form.cleaned_data)
                except ValidationError as exc:
                    for name, errors in exc.message_dict.items():
                        form.add_error(name if name in form.fields else None, errors)
                except services.DisasterConflict as exc:
                    form.add_error(None, exc.message_ja)
                else:
                    messages.success(
                        request, _("災害モードを開始しました：%(name)s") % {"name": disaster.name}
                    )
                    return redirect("disaster:switch")
        elif action == "end":
            try:
                disaster = services.end_disaster(by=request.user)
            except services.DisasterConflict as exc:
                messages.error(request, exc.message_ja)
            else:
                messages.success(request, _("災害モードを終了しました：%(name)s") % {"name": disaster.name})
            return redirect("disaster:switch")
        elif action == "token_create":
            token_form = TokenForm(request.POST)
            if token_form.is_valid():
                created, plaintext = services.disaster_token_create(by=request.user,
                                                                    name=token_form.cleaned_data["token_name"])  # fmt: skip
                token_form = TokenForm()
        elif action == "token_revoke":
            token_id = request.POST.get("token_id", "")
            if not token_id.isdigit():
                raise Http404
            services.disaster_token_revoke(by=request.user, token_id=int(token_id))
            messages.success(request, _("トークンを無効にしました。"))
            return redirect("disaster:switch")
    return render(request, "disaster/switch.html", {
        "active": selectors.active_disaster(), "history": selectors.disaster_history(), "form": form,
        "token_form": token_form, "tokens": selectors.disaster_tokens(), "plaintext": plaintext, "created": created,
    })  # fmt: skip


@staff_required(StaffRole.Role.HANDLER, StaffRole.Role.APPROVER, StaffRole.Role.DEPT_ADMIN)
def triage(request: HttpRequest) -> HttpResponse:
    """Counts only (no names, no addresses): no audit row."""
    department = selectors.triage_department_for(user=request.user)
    active = selectors.active_disaster()
    scope = request.GET.get("scope", "disaster" if active else "all")
    summary = selectors.triage_summary(
        department=department, disaster=active if scope == "disaster" else None
    )
    # Up to ~340 towns × 8 estimates: the cells are built here, not in a template loop (a template loop over them took most of the page's time).
    base = f"{reverse('cases:queue')}?department={quote(department.code)}&procedure={services.RISAI_PROCEDURE}&status=open"

    def link(town: str | None, estimate: str | None) -> str:
        url = base
        if town is not None:
            url += "&town=" + quote(town or "-")
        if estimate is not None:
            url += "&estimate=" + quote(estimate or "-")
        return url

    base_html = escape(base)
    estimates = [(e, quote(e or "-")) for e in summary.estimates]

    def cells(counts: dict[str, int], town: str | None) -> str:
        href = base_html + ("" if town is None else "&amp;town=" + quote(town or "-")) + "&amp;estimate="
        return mark_safe("".join(  # noqa: S308 (counts are integers; the URL is quoted and escaped)
            f'<td><a href="{href}{q}">{counts[e]}</a></td>' if counts.get(e) else "<td>0</td>" for e, q in estimates
        ))  # fmt: skip

    rows = [{"town": town or _("不明"), "cells": cells(row, town), "total": total, "total_link": link(town, None)}
            for town, row, total in summary.rows]  # fmt: skip
    columns = [_estimate_label(e) for e in summary.estimates]
    return render(request, "disaster/triage.html", {
        "department": department, "active": active, "scope": scope, "rows": rows, "columns": columns,
        "column_cells": cells(summary.column_totals, None), "total": summary.total, "total_link": link(None, None),
    })  # fmt: skip
