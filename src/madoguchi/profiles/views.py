"""The citizen's profile page: see, correct and delete what is kept; agree (or not) to its use."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from madoguchi.core.access import citizen_required
from madoguchi.core.i18n import current_language
from madoguchi.forms.engine import read_fields
from madoguchi.forms.fieldtypes import FieldInvalid
from madoguchi.forms.rendering import raw_from_values, render_fields
from madoguchi.forms.shared import PROFILE_KEYS, shared_spec
from madoguchi.privacy.audit import audit_record
from madoguchi.privacy.models import AuditEvent

from . import selectors, services

MEMBER_FIELDS = [
    {"id": "member_name", "type": "name", "required": False, "label": {"ja": "お名前", "en": "Name"}},
    {"id": "member_kana", "type": "furigana", "required": False, "label": {"ja": "フリガナ", "en": "Name in katakana"}},
    {"id": "member_birth_date", "type": "date", "past_only": True, "required": False,
     "label": {"ja": "生年月日", "en": "Date of birth"}},
    {"id": "member_relationship", "type": "text", "max_length": 20, "required": False,
     "label": {"ja": "続柄", "en": "Relationship"}, "help": {"ja": "例：妻、長男", "en": "For example: wife, son"}},
]  # fmt: skip


def _specs() -> list[dict]:
    return [{**shared_spec(k), "required": False} for k in PROFILE_KEYS]


@citizen_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    language = current_language()
    kept = selectors.profile_of(user=request.user)
    specs = _specs()
    household = list(kept.household) if kept else []
    raw = raw_from_values(specs, kept.data if kept else {})
    member_raw = [raw_from_values(MEMBER_FIELDS, m, index=i) for i, m in enumerate(household)]
    consent = bool(kept and kept.prefill_consent)
    errors: dict = {}
    if request.method == "POST" and request.POST.get("action") == "delete":
        services.profile_delete(user=request.user)
        messages.success(request, _("保存していた情報をすべて消しました。"))
        return redirect("profiles:profile")
    if request.method == "POST":
        result = read_fields(specs, request.POST, {})
        raw, errors = result.raw, dict(result.errors)
        rows = min(int(request.POST.get("member_count", "0") or 0), services.HOUSEHOLD_MAX)
        if request.POST.get("action") == "add_member":
            rows = min(rows + 1, services.HOUSEHOLD_MAX)
        members, member_raw = [], []
        for i in range(rows):
            row = read_fields(MEMBER_FIELDS, request.POST, {}, index=i)
            member_raw.append(row.raw)
            errors.update(row.errors)
            if not row.values:
                continue
            if "member_name" not in row.values:
                errors[f"f-member_name-{i}"] = FieldInvalid(_("お名前を入力してください。"))
            members.append(row.values)
        consent = request.POST.get("consent") == "yes"
        if request.POST.get("action") == "save" and not errors:
            services.profile_save(user=request.user, values=result.values, household=members, consent=consent)
            messages.success(request, _("保存しました。"))
            return redirect("profiles:profile")
    elif kept:
        audit_record(action=AuditEvent.Action.READ, object_type="profiles.profile", object_id=kept.pk,
                     fields=[*kept.data, "household"], purpose="本人による確認", actor=request.user)  # fmt: skip
    if request.method == "GET" and not member_raw:
        member_raw = [{}]
    fields = render_fields(specs, raw, errors, language)
    member_rows = [
        render_fields(MEMBER_FIELDS, r, errors, language, index=i) for i, r in enumerate(member_raw)
    ]
    return render(request, "profiles/profile.html", {
        "fields": fields, "member_rows": member_rows, "member_count": len(member_rows), "consent": consent,
        "errors": errors, "profile": kept, "uses": selectors.profile_uses(profile=kept) if kept else [],
        "language": language,
        "all_errors": [f for f in fields if f.error] + [f for row in member_rows for f in row if f.error],
    }, status=400 if errors else 200)  # fmt: skip
