"""Writes of the citizen's profile, and the two ways forms use it (ワンスオンリー).

- ``prefill_draft``: with the citizen's consent, a new draft starts with the kept answers in
  the fields that share them (``shared:`` in the definition). Each value is checked again by
  its field type first, and the runner checks it again when the page is sent.
- ``learn_from_submission``: with consent, answers the citizen filed for themselves update
  what is kept, so the next form starts from the newest.
Nothing happens without consent. Every change is audited.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from madoguchi.forms.fieldtypes import TYPES, FieldInvalid
from madoguchi.forms.shared import PROFILE_KEYS, shared_fields_of, shared_spec
from madoguchi.privacy.audit import audit_record
from madoguchi.privacy.models import AuditEvent

from .models import Profile, ProfileUse

HOUSEHOLD_MAX = 10


def valid_value(key: str, value):
    """The value as its field type cleans it, or None when it is not (or no longer) valid."""
    spec = shared_spec(key)
    kind = TYPES[spec["type"]]
    try:
        raw = kind.raw_from_value(spec, value)
        if kind.is_empty(raw):
            return None
        return kind.clean(spec, raw)
    except (FieldInvalid, TypeError, ValueError, KeyError, AttributeError):
        return None


def _audit(user, profile: Profile, action, fields, purpose: str) -> None:
    audit_record(action=action, object_type="profiles.profile", object_id=profile.pk, fields=list(fields),
                 purpose=purpose, actor=user)  # fmt: skip


@transaction.atomic
def profile_save(*, user, values: dict, household: list[dict], consent: bool) -> Profile:
    """Replace what is kept with what the citizen wrote (already checked field by field)."""
    profile, _created = Profile.objects.select_for_update().get_or_create(user=user)
    profile.data = {k: values[k] for k in PROFILE_KEYS if values.get(k) not in (None, "", {}, [])}
    profile.household = household[:HOUSEHOLD_MAX]
    if consent and not profile.prefill_consent:
        profile.consented_at = timezone.now()
    profile.prefill_consent = consent
    if not consent:
        profile.consented_at = None
    profile.save()
    _audit(
        user,
        profile,
        AuditEvent.Action.CHANGE,
        [*profile.data, "household", "prefill_consent"],
        "プロフィールの更新",
    )
    return profile


@transaction.atomic
def profile_delete(*, user) -> None:
    """Erase everything kept, and the record of its uses."""
    profile = Profile.objects.filter(user=user).first()
    if profile is None:
        return
    _audit(user, profile, AuditEvent.Action.DELETE, ["data", "household"], "プロフィールの消去")
    profile.delete()


def prefill_draft(*, draft) -> list[str]:
    """Fill a new draft's shared fields from the profile, if the citizen agreed. Returns the keys used."""
    from madoguchi.submissions.services import draft_save

    user = draft.user
    if user is None or not user.is_citizen:
        return []
    profile = Profile.objects.filter(user=user, prefill_consent=True).first()
    if profile is None:
        return []
    fields = shared_fields_of(draft.version.definition)
    values, used = {}, []
    for key, field_id in fields.items():
        if key not in profile.data or field_id in draft.data:
            continue
        value = valid_value(key, profile.data[key])
        if value is not None:
            values[field_id] = value
            used.append(key)
    if used:
        draft_save(draft=draft, values=values)
        ProfileUse.objects.create(profile=profile, procedure=draft.version.procedure,
                                  direction=ProfileUse.Direction.PREFILL, keys=used)  # fmt: skip
        _audit(user, profile, AuditEvent.Action.READ, used, "申請書への入力")
    return used


def learn_from_submission(*, submission) -> list[str]:
    """Keep the shared answers of a citizen's own filing (not of one made for somebody else)."""
    user = submission.user
    if user is None or not user.is_citizen or submission.filed_as != "self":
        return []
    profile = Profile.objects.filter(user=user, prefill_consent=True).first()
    if profile is None:
        return []
    learned = {}
    for key, field_id in shared_fields_of(submission.version.definition).items():
        if key in PROFILE_KEYS and field_id in submission.data:
            value = valid_value(key, submission.data[field_id])
            if value is not None and profile.data.get(key) != value:
                learned[key] = value
    if learned:
        profile.data = {**profile.data, **learned}
        profile.save(update_fields=["data", "updated_at"])
        ProfileUse.objects.create(profile=profile, procedure=submission.procedure,
                                  direction=ProfileUse.Direction.SAVED, keys=list(learned))  # fmt: skip
        _audit(user, profile, AuditEvent.Action.CHANGE, list(learned), "申請からプロフィールを更新")
    return list(learned)
