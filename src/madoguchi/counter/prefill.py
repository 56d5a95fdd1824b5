"""Filling a counter draft from the visitor's earlier data, with the consent they gave at the counter.

Nothing is filled unless the visitor's account was found and they said yes at the counter (asked per
session, recorded with its time). Then, for answers not typed in yet:

1. the visitor's newest filing of the same procedure made for themselves (a 現況届 is mostly last
   year's answers): every answer except My Numbers, attachments and declarations (同意), which are
   asked again;
2. for the answers forms share (name, address, phone, bank account...; ``forms.shared``), the
   visitor's newest filing for themselves that has it, then their profile. A My Number is never
   taken from another filing (番号法: it is used only for its own affair).

Every value is cleaned again by its field type (a value no longer valid is left out), and the runner
checks it again when the page is sent. Each use of a filing or of the profile is an audit row; a use of
the profile is also recorded for the citizen to see on their profile page.
"""

from __future__ import annotations

from madoguchi.forms.fieldtypes import TYPES, FieldInvalid
from madoguchi.forms.shared import NOT_IN_PROFILE, shared_fields_of
from madoguchi.privacy.audit import audit_record
from madoguchi.privacy.models import AuditEvent

NEVER_COPIED = frozenset({"my_number", "file", "consent"})
EARLIER_FILINGS = 20


def _valid(spec: dict, value):
    kind = TYPES[spec["type"]]
    try:
        raw = kind.raw_from_value(spec, value)
        if kind.is_empty(raw):
            return None
        return kind.clean(spec, raw)
    except (FieldInvalid, TypeError, ValueError, KeyError, AttributeError):
        return None


def _same_procedure_values(definition: dict, data: dict, already: dict) -> dict:
    values = {}
    for page in definition["form"]["pages"]:
        if page.get("repeat"):
            if page["id"] in already or not isinstance(data.get(page["id"]), list):
                continue
            items = []
            for item in data[page["id"]][: page["repeat"].get("max", 10)]:
                if not isinstance(item, dict):
                    continue
                kept = {}
                for f in page["fields"]:
                    if f["type"] not in NEVER_COPIED and f["id"] in item:
                        value = _valid(f, item[f["id"]])
                        if value is not None:
                            kept[f["id"]] = value
                if kept:
                    items.append(kept)
            if items:
                values[page["id"]] = items
            continue
        for f in page["fields"]:
            if f["type"] in NEVER_COPIED or f["id"] in already or f["id"] not in data:
                continue
            value = _valid(f, data[f["id"]])
            if value is not None:
                values[f["id"]] = value
    return values


def _field_of(definition: dict, field_id: str) -> dict | None:
    return next((f for p in definition["form"]["pages"] for f in p["fields"] if f["id"] == field_id), None)


def counter_prefill(*, draft, session, by) -> list[str]:
    """Fill the draft's empty answers from the visitor's earlier filings and profile. Returns the field ids filled."""
    from madoguchi.profiles.models import Profile, ProfileUse
    from madoguchi.submissions.models import Submission
    from madoguchi.submissions.services import draft_save

    visitor = session.visitor
    if visitor is None or not session.prefill_consent:
        return []
    definition = draft.version.definition
    procedure = draft.version.procedure
    own = list(
        Submission.objects.filter(user=visitor, filed_as=Submission.FiledAs.SELF)
        .select_related("version", "department")
        .order_by("-submitted_at")[:EARLIER_FILINGS]
    )
    values: dict = {}
    used_filings: list = []
    same = next((s for s in own if s.procedure_id == procedure.pk), None)
    if same is not None:
        values.update(_same_procedure_values(definition, same.data, draft.data))
        if values:
            used_filings.append(same)

    profile = Profile.objects.filter(user=visitor).first()
    profile_keys: list[str] = []
    for key, field_id in shared_fields_of(definition).items():
        if key in NOT_IN_PROFILE or field_id in values or field_id in draft.data:
            continue
        spec = _field_of(definition, field_id)
        found = None
        for earlier in own:
            earlier_id = shared_fields_of(earlier.version.definition).get(key)
            if earlier_id and earlier_id in earlier.data:
                found = _valid(spec, earlier.data[earlier_id])
                if found is not None:
                    if earlier not in used_filings:
                        used_filings.append(earlier)
                    break
        if found is None and profile is not None and key in profile.data:
            found = _valid(spec, profile.data[key])
            if found is not None:
                profile_keys.append(key)
        if found is not None:
            values[field_id] = found

    if not values:
        return []
    draft_save(draft=draft, values=values)
    for earlier in used_filings:
        audit_record(action=AuditEvent.Action.READ, object_type="submissions.submission", object_id=earlier.pk,
                     department_code=earlier.department.code, fields=["data"],
                     purpose="窓口での申請書への入力（本人の同意）", actor=by)  # fmt: skip
    if profile_keys:
        ProfileUse.objects.create(profile=profile, procedure=procedure, direction=ProfileUse.Direction.PREFILL,
                                  keys=profile_keys)  # fmt: skip
        audit_record(action=AuditEvent.Action.READ, object_type="profiles.profile", object_id=profile.pk,
                     fields=profile_keys, purpose="窓口での申請書への入力（本人の同意）", actor=by)  # fmt: skip
    return list(values)
