"""Writes for drafts and submissions. Every channel ends in ``submission_create``."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from madoguchi.forms.engine import prune, schema_errors
from madoguchi.privacy.audit import audit_record, audited_atomic
from madoguchi.privacy.models import AuditEvent, StoredFile
from madoguchi.procedures.definitions import filer_kind
from madoguchi.procedures.models import Procedure, ProcedureVersion

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
            # An accepted draft was checked when the citizen was told it was received; the answers
            # cannot have changed since (``submission_accept``).
            errors = [] if draft.accepted_at else schema_errors(version.schema, data)
            if errors:
                raise SubmissionInvalid(errors)
            now = draft.accepted_at or timezone.now()
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
    # An accepted draft already holds the id and number the citizen was given.
    return Submission.objects.create(
        id=draft.submission_id or uuid.uuid4(), receipt_number=draft.receipt_number or new_receipt_number(),
        idempotency_key=key, version=draft.version, procedure=procedure,
        department=procedure.department, user=user if user is not None and user.is_authenticated else None,
        data=data, channel=channel, submitted_at=now, retain_until=retain_until, agent=agent, filed_as=filed_as,
        entered_by=entered_by,
    )  # fmt: skip


# --- the online filing: accepted in the request, made into a submission by the worker ----------


class DraftNotOwned(Exception):
    """No such draft for this citizen or browser session (or it expired): the view answers 404."""


class FormBroken(Exception):
    """The form's token is not one this system made."""


class DraftInBundle(Exception):
    def __init__(self, bundle_id):
        super().__init__(str(bundle_id))
        self.bundle_id = bundle_id


@dataclass(frozen=True)
class Accepted:
    submission_id: uuid.UUID
    receipt_number: str
    anonymous: bool


def submission_accept(*, draft_id, idempotency_key, user, session_key: str) -> Accepted:
    """Receive a citizen's online filing: the answer to 「送信」, as cheap as it can be made.

    In one transaction the draft is marked accepted with the submission id and receipt number the
    citizen is shown, and checked (its owner, its answers against the version's schema, the filer);
    anything wrong rolls the mark back. The accepted draft is its own outbox: a worker's dispatcher
    (``accepted_dispatch``) queues the task that turns it into the submission, in batches, so the
    request writes no task row. (With the immediate task backend there is no worker: the task is
    queued, and so run, in the request.) The worker's ``submission_materialize`` then does the rest
    of ``submission_create`` (the submission, its files' retention, the cases, the triage row, the
    profile, the receipt notice, the audit row), with the time of acceptance as the time of filing.
    Under a surge the citizen is answered at once and the back office's work waits
    (docs/decisions/0008-accept-then-materialize.md).

    Filings that carry a My Number Card signature or come from a 提出代行者 are made into the
    submission at once (``submission_create``): what they check (the signature, the registration)
    is recorded with the submission.

    Idempotent: a second click with the same token returns what the first one accepted.
    """
    from madoguchi.procedures.selectors import version_rules

    draft_id = uuid.UUID(str(draft_id))
    try:
        idempotency_key = uuid.UUID(str(idempotency_key))
    except ValueError:  # a broken or forged form: said so to the draft's owner only
        _accept_again(draft_id, None, user, session_key)
        raise FormBroken from None
    inline = False
    in_request = dispatch_in_request()
    with transaction.atomic():
        # The usual case in one statement: mark the draft accepted, and read it back. Whatever
        # is wrong with it below rolls the mark back with the transaction.
        draft = _accept_mark(draft_id, idempotency_key, dispatched=in_request)
        if draft is None:  # sent already, in a bundle, someone else's, gone: read it to tell which
            return _accept_again(draft_id, idempotency_key, user, session_key)
        if not _owned(draft, user, session_key):
            raise DraftNotOwned
        if draft.bundle_id:
            raise DraftInBundle(draft.bundle_id)
        rules = version_rules(version_id=draft.version_id, sha256=draft.version_sha256)
        data = prune(rules.definition, draft.data)
        errors = rules.errors(data)
        if errors:
            raise SubmissionInvalid(errors)
        inline = needs_signature(rules.definition, Submission.Channel.ONLINE) or (
            filer_kind(rules.definition, data) == Submission.FiledAs.AGENT
        )
        if inline:  # made into the submission at once, below: the mark is not kept
            transaction.set_rollback(True)
        else:
            if in_request:
                from .tasks import submission_materialize as task

                task.enqueue(draft_id=str(draft.pk))
            if transaction.get_rollback():  # an error swallowed on the way (a task run in-process):
                # the block would end in a silent rollback, and the citizen must not be told
                # "received" for a filing that is not stored.
                raise OperationalError("the acceptance was rolled back")
            accepted = Accepted(draft.submission_id, draft.receipt_number, draft.user_id is None)
    if inline:
        submission = submission_create(draft_id=draft_id, idempotency_key=idempotency_key, user=user,
                                       session_key=session_key)  # fmt: skip
        return Accepted(submission.pk, submission.receipt_number, submission.user_id is None)
    logger.info(
        "submission accepted procedure_version=%s submission_id=%s", draft.version_id, accepted.submission_id
    )
    return accepted


def dispatch_in_request() -> bool:
    """Whether the request queues the task of an accepted filing itself: only when tasks run in the
    process that queues them (the immediate backend, as in the tests), where no worker dispatches."""
    from django_tasks.backends.immediate import ImmediateBackend

    from .tasks import submission_materialize

    return isinstance(submission_materialize.get_backend(), ImmediateBackend)


def _accept_mark(draft_id: uuid.UUID, key: uuid.UUID, *, dispatched: bool) -> Draft | None:
    """Mark the draft accepted if it is waiting with this token; the draft as marked, or None.

    One ``UPDATE … RETURNING`` (PostgreSQL, SQLite 3.35+) instead of a locking read and a write:
    written by hand because it is the statement every online filing makes (issue 11)."""
    from django.db import connection

    table = Draft._meta.db_table
    versions = ProcedureVersion._meta.db_table
    quote = connection.ops.quote_name
    now = timezone.now()
    submission_id = uuid.uuid4()
    receipt_number = new_receipt_number()
    field = Draft._meta.get_field
    params = [
        field("accepted_at").get_db_prep_value(now, connection),
        field("submission_id").get_db_prep_value(submission_id, connection),
        receipt_number,
        field("dispatched_at").get_db_prep_value(now if dispatched else None, connection),
        field("id").get_db_prep_value(draft_id, connection),
        field("submission_token").get_db_prep_value(key, connection),
        field("expires_at").get_db_prep_value(now, connection),
    ]
    with connection.cursor() as cursor:
        # The names are the models' own, quoted.
        cursor.execute(
            f"UPDATE {quote(table)} SET accepted_at = %s, submission_id = %s, receipt_number = %s, "  # noqa: S608
            f"dispatched_at = %s "
            f"WHERE id = %s AND submission_token = %s AND accepted_at IS NULL AND expires_at >= %s "
            f"RETURNING user_id, session_key, data, bundle_id, version_id, "
            f"(SELECT sha256 FROM {quote(versions)} WHERE {quote(versions)}.id = {quote(table)}.version_id)",
            params,
        )  # fmt: skip
        row = cursor.fetchone()
    if row is None:
        return None
    user_id, session_key, data, bundle_id, version_id, sha256 = row
    draft = Draft(
        id=draft_id, user_id=user_id, session_key=session_key, submission_token=key,
        data=field("data").from_db_value(data, None, connection), bundle_id=bundle_id, version_id=version_id,
        accepted_at=now, submission_id=submission_id, receipt_number=receipt_number,
        dispatched_at=now if dispatched else None,
    )  # fmt: skip
    draft.version_sha256 = sha256
    return draft


def _owned(draft, user, session_key: str) -> bool:
    """The draft is this citizen's, or (started without an account) this browser session's."""
    if draft.user_id is not None:
        return user is not None and user.is_authenticated and draft.user_id == user.pk
    return bool(draft.session_key) and draft.session_key == session_key


def _accept_again(draft_id, key, user, session_key) -> Accepted | None:
    """``submission_accept`` when the draft was not waiting with this token: a second click (what the
    first one accepted), a submission made already, or a draft that is gone, someone else's or in a
    bundle."""
    draft = Draft.objects.filter(pk=draft_id).only(
        "id", "user", "session_key", "submission_token", "bundle", "expires_at", "accepted_at", "submission_id",
        "receipt_number",
    ).first()  # fmt: skip
    if draft is not None:
        if not _owned(draft, user, session_key) or (
            draft.accepted_at is None and draft.expires_at < timezone.now()
        ):
            raise DraftNotOwned
        if draft.submission_token == key and draft.accepted_at is not None:  # a double click
            return Accepted(draft.submission_id, draft.receipt_number, draft.user_id is None)
    if key is None:
        return None
    existing = Submission.objects.filter(idempotency_key=key).only("id", "receipt_number", "user_id").first()
    if existing is not None:
        return Accepted(existing.pk, existing.receipt_number, existing.user_id is None)
    raise DraftGone  # submitted by another form, expired, or a forged token


def submission_materialize(*, draft_id) -> Submission | None:
    """Make the submission of an accepted draft (the worker's half of ``submission_accept``).

    Run twice, or after the draft became its submission, it makes nothing more; None when there is
    no accepted draft of that id and no submission made from it.
    """
    draft = Draft.objects.filter(pk=draft_id).select_related("user").first()
    if draft is None or draft.accepted_at is None:
        return None
    return submission_create(draft_id=draft.pk, idempotency_key=draft.submission_token, user=draft.user,
                             session_key=draft.session_key)  # fmt: skip


def accepted_dispatch(*, limit: int = 500) -> int:
    """Queue the task that makes the submission for accepted drafts not queued yet, oldest first, at
    most ``limit``; how many were queued. Run by every worker (``manage.py worker``) about once a
    second: several workers take different drafts (``SKIP LOCKED`` on PostgreSQL; SQLite has one
    writer at a time), and the mark and the task rows commit together or not at all."""
    from .tasks import submission_materialize as task

    with transaction.atomic():
        waiting = list(
            Draft.objects.select_for_update(skip_locked=True)
            .filter(accepted_at__isnull=False, dispatched_at__isnull=True)
            .order_by("accepted_at")
            .values_list("pk", flat=True)[:limit]
        )
        if not waiting:
            return 0
        Draft.objects.filter(pk__in=waiting).update(dispatched_at=timezone.now())
        for draft_id in waiting:
            task.enqueue(draft_id=str(draft_id))
    return len(waiting)


def accepted_requeue_stalled(*, older_than: timedelta = timedelta(minutes=10)) -> int:
    """Queue again the accepted drafts whose task was queued more than ``older_than`` ago, that are
    still not submissions and have no task waiting or running for them (a task that failed, for
    example while the database restarted). Run by every worker's sweep (``core.worker``); returns
    how many were queued."""
    from django_tasks_db.models import DBTaskResult

    from .tasks import submission_materialize as task

    stalled = [
        str(pk)
        for pk in Draft.objects.filter(dispatched_at__lt=timezone.now() - older_than)
        .order_by("dispatched_at")
        .values_list("pk", flat=True)[:500]
    ]
    if not stalled:
        return 0
    pending = {
        str(row.get("kwargs", {}).get("draft_id"))
        for row in DBTaskResult.objects.filter(
            task_path=task.module_path,
            status__in=["READY", "RUNNING"],
            args_kwargs__kwargs__draft_id__in=stalled,
        ).values_list("args_kwargs", flat=True)
    }
    again = [draft_id for draft_id in stalled if draft_id not in pending]
    if not again:
        return 0
    with transaction.atomic():
        Draft.objects.filter(pk__in=again).update(dispatched_at=timezone.now())
        for draft_id in again:
            task.enqueue(draft_id=draft_id)
    logger.warning("accepted filings queued again count=%s", len(again))
    return len(again)


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
