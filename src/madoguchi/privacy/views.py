from __future__ import annotations

import io
import time
from datetime import datetime, timedelta
from datetime import time as dtime

from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from madoguchi.accounts import services as account_services
from madoguchi.accounts.models import StaffRole
from madoguchi.core.access import (
    SECOND_FACTOR_SESSION_KEY,
    authenticated,
    mark_second_factor,
    public,
    staff_required,
)

from . import selectors, services
from .forms import AuditFilterForm, RevealForm
from .models import StoredFile
from .mynumber import mask_my_number

STEP_UP_SECONDS = 5 * 60


@staff_required(StaffRole.Role.DEPT_ADMIN, StaffRole.Role.AUDITOR)
def audit_list(request: HttpRequest) -> HttpResponse:
    events = selectors.audit_events_visible(user=request.user)
    form = AuditFilterForm(request.GET or None)
    if form.is_valid():
        data = form.cleaned_data
        for key in ("action", "object_type", "object_id", "actor_id"):
            if data[key]:
                events = events.filter(**{key: data[key]})
        tz = timezone.get_current_timezone()
        if data["date_from"]:
            events = events.filter(occurred_at__gte=datetime.combine(data["date_from"], dtime.min, tz))
        if data["date_to"]:
            events = events.filter(
                occurred_at__lt=datetime.combine(data["date_to"] + timedelta(days=1), dtime.min, tz)
            )
    page = Paginator(events.order_by("-occurred_at", "-id"), 50).get_page(request.GET.get("page"))
    return render(request, "privacy/audit_list.html", {"form": form, "page": page})


@public
def file_register(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy/file_register.html", {"rows": selectors.file_register_rows()})


@public
def file_register_csv(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(selectors.file_register_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="personal-information-files.csv"'
    return response


@authenticated
def file_download(request: HttpRequest, file_id) -> HttpResponse:
    stored = selectors.stored_file_get_visible(user=request.user, file_id=file_id)
    return stored_file_response(request, stored)


def stored_file_response(request: HttpRequest, stored: StoredFile) -> HttpResponse:
    """A stored file the user may read, as a download (an audited read); 409 while it is not clean."""
    if stored.status != StoredFile.Status.CLEAN:
        return render(request, "privacy/file_unavailable.html", {"stored": stored}, status=409)
    content = services.stored_file_open(stored=stored, user=request.user)
    response = FileResponse(io.BytesIO(content), as_attachment=True, filename=stored.display_name,
                            content_type=stored.content_type)  # fmt: skip
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "no-store"
    return response


@staff_required(StaffRole.Role.HANDLER, StaffRole.Role.APPROVER)
@require_http_methods(["GET", "POST"])
def my_number_reveal(request: HttpRequest, label: str, pk: str, key: str = "") -> HttpResponse:
    """Masked first; in full after a reason and a second factor within five minutes (asked for
    again when older), once, on a page nobody caches. The number never enters a URL or a log."""
    holder, obj = selectors.my_number_object_get_visible(user=request.user, label=label, pk=pk, key=key)
    verified_at = request.session.get(SECOND_FACTOR_SESSION_KEY, 0)
    needs_token = time.time() - verified_at > STEP_UP_SECONDS
    form = RevealForm(request.POST or None, needs_token=needs_token)
    back = holder.back_url_of(obj) if holder.back_url_of else None
    context = {"form": form, "masked": mask_my_number(holder.value(obj, key)), "needs_token": needs_token,
               "back": back}  # fmt: skip
    if request.method == "POST" and form.is_valid():
        if needs_token:
            device = account_services.totp_device_verify(
                user=request.user, token=form.cleaned_data["otp_token"]
            )
            if device is None:
                form.add_error(
                    "otp_token",
                    _(
                        "確認コードが違うか、時間切れです。アプリに表示されている新しいコードを入力してください。"
                    ),
                )
                return render(request, "privacy/reveal.html", context)
            mark_second_factor(request)
        try:
            number = services.my_number_reveal(user=request.user, holder=holder, obj=obj,
                                               reason=form.cleaned_data["reason"], key=key)  # fmt: skip
        except services.RevealRefused:
            return render(request, "privacy/reveal_refused.html", {"back": back}, status=403)
        return render(
            request, "privacy/revealed.html", {"number": number, "masked": context["masked"], "back": back}
        )
    return render(request, "privacy/reveal.html", context)
