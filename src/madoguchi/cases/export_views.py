"""Exporting selected cases for the core systems: a POST from the queue, answered with a file."""

from __future__ import annotations

import json
import uuid

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from madoguchi.core.access import staff_required
from madoguchi.privacy.audit import audit_record
from madoguchi.privacy.models import AuditEvent

from . import exports
from .selectors import cases_visible

FORMATS = ("csv", "json")
MAX_CASES = 2000


def _refuse(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "cases/tokens/export_error.html", {"message": message}, status=400)


def _case_ids(values: list[str]) -> list[uuid.UUID] | None:
    ids = []
    for value in values:
        try:
            ids.append(uuid.UUID(value.strip()))
        except (ValueError, AttributeError):
            return None
    return list(dict.fromkeys(ids))


@staff_required()
@require_POST
def export(request: HttpRequest) -> HttpResponse:
    fmt = request.POST.get("format", "csv")
    encoding = request.POST.get("encoding", "utf-8")
    if fmt not in FORMATS:
        return _refuse(request, _("出力形式は CSV か JSON を選んでください。"))
    if fmt == "csv" and encoding not in exports.ENCODINGS:
        return _refuse(request, _("文字コードは UTF-8 か Shift_JIS（CP932）を選んでください。"))
    ids = _case_ids(request.POST.getlist("case"))
    if ids is None:
        return _refuse(request, _("案件の指定が正しくありません。一覧から選び直してください。"))
    if not ids:
        return _refuse(request, _("出力する案件を選んでください。"))
    if len(ids) > MAX_CASES:
        return _refuse(request, _("一度に出力できるのは%(max)d件までです。") % {"max": MAX_CASES})
    cases = list(
        cases_visible(user=request.user)
        .filter(pk__in=ids)
        .select_related("submission__version", "procedure", "department")
        .order_by("received_on", "receipt_number")
    )
    if len(cases) != len(ids):
        raise Http404  # a case of another department does not exist, as far as this user knows
    procedures = {case.procedure_id for case in cases}
    if fmt == "csv" and len(procedures) > 1:
        return _refuse(
            request, _("CSVは1つの手続の案件だけを出力できます。手続で絞り込んでから選んでください。")
        )
    today = timezone.localdate().strftime("%Y%m%d")
    name = cases[0].procedure.slug if len(procedures) == 1 else "mixed"
    try:
        if fmt == "csv":
            body = exports.cases_csv(cases, encoding)
            content_type = f"text/csv; charset={exports.CHARSETS[encoding]}"
            filename = f"cases-{name}-{today}.csv"
        else:
            body = json.dumps(exports.cases_json(cases), ensure_ascii=False, indent=2).encode("utf-8")
            content_type = "application/json"
            filename = f"cases-{name}-{today}.json"
    except exports.ExportError as exc:
        return _refuse(request, str(exc))
    departments = {case.department.code for case in cases}
    audit_record(
        action=AuditEvent.Action.EXPORT,
        object_type="cases.case",
        object_id=cases[0].pk if len(cases) == 1 else "bulk",
        department_code=departments.pop() if len(departments) == 1 else "",
        fields=["submission"],
        purpose="基幹システムへの連携",
        detail=f"{len(cases)} case(s) {fmt}" + (f" {encoding}" if fmt == "csv" else ""),
        actor=request.user,
    )
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
