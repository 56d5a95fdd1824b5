"""Writes for drafts and submissions. Every channel ends in ``submission_create``."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from madoguchi.forms.engine import prune, schema_errors
from madoguchi.privacy.audit import audit_record, audited_atomic
from madoguchi.privacy.models import AuditEvent, StoredFile
from madoguchi.procedures.definitions import filer_kind
from madoguchi.procedures.models import Procedure

from .models import ANONYMOUS_DRAFT_LIFETIME, DRAFT_LIFETIME, Draft, Submission
from .receipts import new_receipt_number

logger = logging.getLogger(__name__)


class SubmissionInvalid(Exception):
    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


class DraftGone(Exception):
    """The draft was submitted or expired meanwhile and no submission has its key."""


def _lifetime(user) -> timedelta:
    return DRAFT_LIFETIME if user is not None and user.is_authenticated else ANONYMOUS_DRAFT_LIFETIME


def draft_start(*, procedure: Procedure, user=None, session_key: str = "") -> Draft:
    """A new draft, bound to the version published now, with the initial answers registered for
    its procedure (``initial.py``)."""
    from .initial import initial_answers

    authenticated = user is not None and user.is_authenticated
    return Draft.objects.create(
        version=procedure.current_version,
        data=initial_answers(procedure.slug),
        user=user if authenticated else None,
        session_key="" if authenticated else session_key,
        expires_at=timezone.now() + _lifetime(user),
    )


@transaction.atomic
def draft_save(*, draft: Draft, values: dict, replace: tuple[str, ...] = ()) -> Draft:
    """Merge a page's answers into the draft and drop answers that no longer apply."""
    data = {k: v for k, v in draft.data.items() if k not in replace}
    data.update(values)
    data = prune(draft.version.definition, data)
    if data != draft.data:
        draft.signature = None  # a signature covers the answers it was made on, and no others
    draft.data = data
    draft.expires_at = timezone.now() + _lifetime(draft.user)
    draft.save(update_fields=["data", "signature", "expires_at", "updated_at"])
    return draft


def needs_signature(definition: dict, channel: str) -> bool:
    """Online filings of 'jpki' procedures carry a card signature; the counter and paper check identity there."""
    return definition["identity"] == "jpki" and channel == Submission.Channel.ONLINE


def _file_ids(definition: dict, data: dict) -> list[str]:
    ids = []
    for page in definition["form"]["pages"]:
        for f in page["fields"]:
            if f["type"] == "file":
                ids.extend(item["id"] for item in data.get(f["id"], []))
    return ids


def submission_create(
    *, draft_id, idempotency_key, user=None, session_key: str = "", channel: str = Submission.Channel.ONLINE,
    entered_by=None, learn_profile: bool = True,
) -> Submission:  # fmt: skip
    """Turn a complete draft into a submission, exactly once.

    ``user`` is the citizen it belongs to; ``entered_by`` the member of staff who typed it in (the
    counter), who is then the audit trail's actor. ``learn_profile=False`` keeps the filing out of the
    citizen's profile (the counter, when the visitor did not agree to it).

    Idempotent: the draft's token is the key, so a double click, a resent POST or a
    reload returns the submission already made. Atomic: the submission, its files'
    retention, the draft's deletion and the audit row commit together or not at all.
    """
    try:
        with audited_atomic(action=AuditEvent.Action.CREATE, object_type="submissions.submission",
                            fields=["data"], purpose="申請の受付", actor=entered_by or user) as audit:  # fmt: skip
            draft = (
                Draft.objects.select_for_update()
                .select_related("version__procedure__department")
                .filter(pk=draft_id)
                .first()
            )
            if draft is None or str(draft.submission_token) != str(idempotency_key):
                existing = Submission.objects.filter(idempotency_key=idempotency_key).first()
                if existing is not None:
                    audit.success(action=AuditEvent.Action.READ, object_id=existing.pk, purpose="再送信")
                    return existing
                raise DraftGone
            version = draft.version
            data = prune(version.definition, draft.data)
            errors = schema_errors(version.schema, data)
            if errors:
                raise SubmissionInvalid(errors)
            now = timezone.now()
            retain_until = now + timedelta(days=365 * version.definition["retention"]["years"])
            submission = _insert(draft, data, idempotency_key, user, channel, now, retain_until, entered_by)
            if needs_signature(version.definition, channel):
                from madoguchi.identity.services import submission_signature_record

                submission_signature_record(draft=draft, submission=submission, data=data)
            file_ids = _file_ids(version.definition, data)
            if file_ids:
                StoredFile.objects.filter(pk__in=file_ids).update(retain_until=retain_until,
                                                                    department=submission.department)  # fmt: skip
            draft.delete()
            from madoguchi.cases.services import cases_open

            cases_open(submission=submission)
            from madoguchi.profiles.services import learn_from_submission

            if learn_profile:
                learn_from_submission(submission=submission)
            from madoguchi.notifications.services import receipt_notify

            receipt_notify(
                submission=submission
            )  # queued with the submission: made and e-mailed by the worker
            # Last: the audit row locks the chain's head until the commit, so nothing may follow it.
            audit.success(object_id=submission.pk, department_code=submission.department.code)
    except IntegrityError:
        # Another request with the same key won the race; it is the submission.
        existing = Submission.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return existing
    logger.info("submission received procedure=%s submission_id=%s channel=%s",
                submission.procedure.slug, submission.pk, channel)  # fmt: skip
    return submission


def _insert(draft, data, key, user, channel, now, retain_until, entered_by=None) -> Submission:
    procedure = draft.version.procedure
    from madoguchi.identity.services import filer_check

    filed_as = filer_kind(draft.version.definition, data)
    filer = filer_check(user=user, procedure=procedure, filed_as=filed_as, channel=channel)
    if filer.error:
        raise SubmissionInvalid([filer.error])
    agent = filer.agent
    # 64 random bits: a clash is not expected in the life of the system; if one came, the unique
    # constraint would refuse it and the citizen would simply send again (nothing is stored).
    return Submission.objects.create(
        receipt_number=new_receipt_number(), idempotency_key=key, version=draft.version, procedure=procedure,
        department=procedure.department, user=user if user is not None and user.is_authenticated else None,
        data=data, channel=channel, submitted_at=now, retain_until=retain_until, agent=agent, filed_as=filed_as,
        entered_by=entered_by,
    )  # fmt: skip


@dataclass(frozen=True)
class ReceiptCopy:
    pdf: bytes
    filename: str


def submission_receipt_pdf(*, submission: Submission, user, language: str) -> ReceiptCopy:
    """The citizen's copy of what they sent, as a PDF; reading it is an audited read."""
    from .pdf import render_receipt

    pdf = render_receipt(submission, language=language)
    audit_record(action=AuditEvent.Action.EXPORT, object_type="submissions.submission", object_id=submission.pk,
                 department_code=submission.department.code, fields=["data"], purpose="申請の控え", actor=user)  # fmt: skip
    return ReceiptCopy(pdf=pdf, filename=f"receipt-{submission.receipt_number}.pdf")


# --- bundles: several procedures filed in one go ------------------------------------------------

BUNDLE_MAX = 6


class BundleInvalid(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@transaction.atomic
def bundle_start(*, user, procedures: list[Procedure], guide: str = ""):
    """A bundle with one draft per procedure (in the order given), each pre-filled from the profile
    when the citizen agreed."""
    from django.utils.translation import gettext as _

    from madoguchi.profiles.services import prefill_draft

    from .models import Bundle

    unique = list(dict.fromkeys(procedures))
    if not unique:
        raise BundleInvalid(_("申請する手続を一つ以上選んでください。"))
    if len(unique) > BUNDLE_MAX:
        raise BundleInvalid(_("一度にまとめて申請できるのは%(n)d件までです。") % {"n": BUNDLE_MAX})
    bundle = Bundle.objects.create(user=user, guide=guide[:50])
    for position, procedure in enumerate(unique):
        draft = draft_start(procedure=procedure, user=user)
        Draft.objects.filter(pk=draft.pk).update(bundle=bundle, bundle_position=position)
        draft.bundle, draft.bundle_position = bundle, position
        prefill_draft(draft=draft)
    return bundle


def bundle_shared_keys(bundle) -> list[str]:
    """The shared answers the bundle's forms ask, in the catalogue's order."""
    from madoguchi.forms.shared import SHARED_FIELDS, shared_fields_of

    asked = set()
    for draft in bundle.drafts.select_related("version"):
        asked |= set(shared_fields_of(draft.version.definition))
    return [key for key in SHARED_FIELDS if key in asked]


@transaction.atomic
def bundle_shared_save(*, bundle, values: dict) -> None:
    """Put the shared answers (checked on the bundle's page) into every form that asks them."""
    from madoguchi.forms.shared import shared_fields_of

    for draft in bundle.drafts.select_for_update().select_related("version"):
        mapped = {field_id: values[key] for key, field_id in shared_fields_of(draft.version.definition).items()
                  if key in values}  # fmt: skip
        replace = tuple(shared_fields_of(draft.version.definition).values())
        draft_save(draft=draft, values=mapped, replace=replace)


def bundle_submit(*, bundle, token: str, user) -> list[Submission]:
    """Submit every form of the bundle, all or none; idempotent on the bundle's token."""
    from django.utils.translation import gettext as _

    from .models import Bundle

    if str(token) != str(bundle.submission_token):
        raise BundleInvalid(_("この画面は古くなっています。もう一度確かめてから送信してください。"))
    with transaction.atomic():
        locked = Bundle.objects.select_for_update().get(pk=bundle.pk)
        if locked.submitted_at is not None:
            return list(locked.submissions.order_by("submitted_at", "receipt_number"))
        submissions = []
        for draft in locked.drafts.order_by("bundle_position"):
            submission = submission_create(
                draft_id=draft.pk, idempotency_key=draft.submission_token, user=user
            )
            submissions.append(submission)
        Submission.objects.filter(pk__in=[s.pk for s in submissions]).update(bundle=locked)
        locked.submitted_at = timezone.now()
        locked.save(update_fields=["submitted_at"])
    for submission in submissions:
        submission.bundle = locked
    return submissions
