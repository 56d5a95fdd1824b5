"""The ICT office's page (システム管理者): message templates, the reminders' switches, e-mail delivery."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from madoguchi.accounts.models import StaffRole
from madoguchi.core.access import staff_required

from . import rendering, selectors, services
from .forms import MessageTemplateForm

SYSADMIN = StaffRole.Role.SYSADMIN


@staff_required(SYSADMIN)
@require_http_methods(["GET", "POST"])
def overview(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "reminder":
            kind = request.POST.get("kind", "")
            if kind in {row.kind for row in selectors.reminder_settings_overview()}:
                enabled = request.POST.get("enabled") == "on"
                services.reminder_setting_set(by=request.user, kind=kind, enabled=enabled)
                messages.success(request, _("リマインダーを送るようにしました。") if enabled
                                 else _("リマインダーを止めました。"))  # fmt: skip
        elif action == "retry_failed":
            count = services.notices_retry_failed(by=request.user)
            messages.success(request, _("送れなかったメール %(count)s 件を送り直します。") % {"count": count})
        return redirect("notifications:staff_overview")
    return render(request, "notifications/staff/overview.html", {
        "templates": selectors.message_templates_overview(),
        "reminders": selectors.reminder_settings_overview(),
        "delivery": selectors.delivery_summary(),
    })  # fmt: skip


def _apply_errors(form, errors: dict) -> None:
    for field, problems in errors.items():
        for problem in problems:
            form.add_error(field if field in form.fields else None, problem)


@staff_required(SYSADMIN)
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, kind: str, language: str) -> HttpResponse:
    current = selectors.message_template_for_edit(kind=kind, language=language)
    form = MessageTemplateForm(
        request.POST or None, initial={"subject": current["subject"], "body": current["body"]}
    )
    preview = None
    if request.method == "POST":
        action = request.POST.get("action", "save")
        if action == "reset":
            services.message_template_reset(by=request.user, kind=kind, language=language)
            messages.success(request, _("はじめの文面に戻しました。"))
            return redirect("notifications:template_edit", kind=kind, language=language)
        if form.is_valid():
            subject, body = form.cleaned_data["subject"], form.cleaned_data["body"]
            if action == "preview":
                errors = rendering.validate(kind=kind, language=language, subject=subject, body=body)
                if errors:
                    _apply_errors(form, errors)
                else:
                    preview = rendering.preview(kind=kind, language=language, subject=subject, body=body)
            else:
                try:
                    services.message_template_save(by=request.user, kind=kind, language=language, subject=subject,
                                                   body=body)  # fmt: skip
                except ValidationError as exc:
                    _apply_errors(form, exc.message_dict)
                else:
                    messages.success(request, _("文面を保存しました。次のお知らせから使われます。"))
                    return redirect("notifications:staff_overview")
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "notifications/staff/template_edit.html",
                  {**current, "form": form, "preview": preview}, status=status)  # fmt: skip
