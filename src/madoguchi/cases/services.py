"""Writes for cases: opening them, moving them through their workflow, assigning, notes and
messages, correction requests and their answers, decisions and their approval."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from madoguchi.accounts.models import StaffRole, User
from madoguchi.forms.engine import prune, read_fields, schema_errors
from madoguchi.forms.fieldtypes import TYPES
from madoguchi.privacy.audit import audit_record, audited_atomic
from madoguchi.privacy.models import AuditEvent

from .calendar import add_business_days, business_days_between
from .models import Case, CaseEvent, CaseMessage, CaseNote, CorrectionRequest, Decision
from .workflows import workflow

logger = logging.getLogger(__name__)

CASEWORKERS = (StaffRole.Role.HANDLER, StaffRole.Role.APPROVER, StaffRole.Role.DEPT_ADMIN)


def _today() -> date:
    return timezone.localdate()


def _notify(case: Case, kind: str) -> None:
    """A notice to the citizen (My page, and an e-mail sent by the worker after the commit)."""
    from madoguchi.notifications.services import case_notify

    case_notify(case=case, kind=kind)


def notice_kind(status) -> str:
    """The kind of notice a move to ``status`` sends (its template): a decision, a correction request or a change."""
    if status.decision:
        return "decision"
    return "correction" if status.pauses_clock else "status"


def _check_caseworker(user: User, case: Case, roles=CASEWORKERS) -> None:
    if not any(user.has_role(role, case.department_id) for role in roles):
        raise PermissionDenied


def applicant_of(definition: dict, data: dict) -> tuple[str, str]:
    """The first name and furigana answers: what staff search the queue by.

    Pages asked only because of who is filing (a 代理人's own details) are skipped: the case
    bears the name of the person it is about, not of their proxy."""
    name = kana = ""
    filer_field = (definition.get("filer") or {}).get("field")
    for page in definition["form"]["pages"]:
        if filer_field and (page.get("show_if") or {}).get("field") == filer_field:
            continue
        for f in page["fields"]:
            value = data.get(f["id"])
            if not isinstance(value, dict):
                continue
            if f["type"] == "name" and not name:
                name = f"{value.get('family', '')} {value.get('given', '')}".strip()
            if f["type"] == "furigana" and not kana:
                kana = f"{value.get('family', '')} {value.get('given', '')}".strip()
    return name[:120], kana[:120]


_CASE_OPENED_HOOKS: list = []


def on_case_opened(hook) -> None:
    """Register ``hook(case=..., submission=...)``, called inside the transaction that opens a case
    (keep it cheap: every submission pays for it). The disaster triage uses it."""
    if hook not in _CASE_OPENED_HOOKS:
        _CASE_OPENED_HOOKS.append(hook)


def case_parts(definition: dict) -> list[dict]:
    """The cases a submission opens: the definition's ``cases:`` entries, or one case in the
    procedure's own department with its workflow. The first is the procedure's own case (the
    citizen's messages and corrections go to it unless another asks for a correction)."""
    default_workflow = definition.get("workflow") or "standard"
    parts = definition.get("cases") or [{"department": definition["department"]}]
    return [
        {
            "department": part["department"],
            "workflow": part.get("workflow") or default_workflow,
            "title": (part.get("title") or {}).get("ja", ""),
            "title_en": (part.get("title") or {}).get("en", ""),
        }
        for part in parts
    ]


def cases_open(*, submission) -> list[Case]:
    """Open the case(s) of a new submission (inside the submission's transaction): one per entry
    of the definition's ``cases:`` (default: one, in the procedure's department), each in its
    department's queue. All cases go in one INSERT and their first events in another, so a
    procedure with several cases costs the submit path no extra INSERT (one SELECT finds the
    other departments)."""
    from madoguchi.organisations.models import Department

    definition = submission.version.definition
    received = timezone.localdate(submission.submitted_at)
    name, kana = applicant_of(definition, submission.data)
    parts = case_parts(definition)
    codes = {p["department"] for p in parts} - {submission.department.code}
    departments = {submission.department.code: submission.department}
    if codes:
        departments.update({d.code: d for d in Department.objects.filter(code__in=codes)})
    cases = []
    for part in parts:
        flow = workflow(part["workflow"])
        cases.append(Case(
            submission=submission, procedure=submission.procedure, department=departments[part["department"]],
            workflow=flow.id, status=flow.initial, title=part["title"][:120], title_en=part["title_en"][:120],
            receipt_number=submission.receipt_number, applicant_name=name, applicant_kana=kana,
            channel=submission.channel, received_on=received,
            due_on=add_business_days(received, definition["processing_days"]),
        ))  # fmt: skip
    Case.objects.bulk_create(cases)
    CaseEvent.objects.bulk_create(
        [
            CaseEvent(case=case, kind=CaseEvent.Kind.STATUS, to_status=case.status, comment="受付")
            for case in cases
        ]
    )
    for case in cases:
        for hook in _CASE_OPENED_HOOKS:
            hook(case=case, submission=submission)
    return cases


def _move(case: Case, to_status: str, *, actor: User | None, comment: str = "") -> None:
    flow = workflow(case.workflow)
    if not flow.can_move(case.status, to_status):
        raise ValidationError(_("この状況からは、その状況に変えられません。"))
    target = flow.status(to_status)
    today = _today()
    if case.paused_since and not target.pauses_clock:
        # The clock stopped while the citizen had the case; the days they took are added back.
        case.due_on = add_business_days(case.due_on, business_days_between(case.paused_since, today))
        case.paused_since = None
    if target.pauses_clock and not case.paused_since:
        case.paused_since = today
    CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.STATUS, actor=actor, from_status=case.status,
                             to_status=to_status, comment=comment)  # fmt: skip
    case.status = to_status
    case.closed_at = timezone.now() if target.final else None
    case.save()
    if target.notify:
        _notify(case, notice_kind(target))


def case_transition(*, by: User, case: Case, to_status: str, comment: str = "") -> None:
    """Move a case one step. Decisions that need a 決裁者 go through ``decision_propose``."""
    _check_caseworker(by, case)
    target = workflow(case.workflow).status(to_status)
    if target.decision:
        raise ValidationError(_("決定は「決定案」から行ってください。"))
    with audited_atomic(action=AuditEvent.Action.CHANGE, object_type="cases.case", object_id=case.pk,
                        department_code=case.department.code, fields=["status"], actor=by) as audit:  # fmt: skip
        case = Case.objects.select_for_update().get(pk=case.pk)
        _move(case, to_status, actor=by, comment=comment)
        audit.success()


def cases_bulk_transition(*, by: User, cases: Iterable[Case], to_status: str) -> int:
    """All or none: a case that cannot move stops the whole change, and none of the cases moves."""
    moved = 0
    with transaction.atomic():
        for case in cases:
            try:
                case_transition(by=by, case=case, to_status=to_status, comment=_("一括変更"))
            except ValidationError as exc:
                raise ValidationError(
                    _("受付番号 %(receipt)s：%(reason)s どの案件も変更していません。")
                    % {"receipt": case.receipt_number, "reason": " ".join(exc.messages)}
                ) from exc
            moved += 1
    return moved


def cases_assign(*, by: User, cases: Iterable[Case], assignee: User | None) -> int:
    count = 0
    with transaction.atomic():
        for case in cases:
            _check_caseworker(by, case)
            if assignee is not None and not any(
                assignee.has_role(r, case.department_id) for r in CASEWORKERS
            ):
                raise ValidationError(_("その職員はこの課の担当者ではありません。"))
            CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.ASSIGN, actor=by,
                                     comment=assignee.display_name if assignee else _("担当者なし"))  # fmt: skip
            case.assignee = assignee
            case.save(update_fields=["assignee", "updated_at"])
            count += 1
        audit_record(action=AuditEvent.Action.CHANGE, object_type="cases.case", object_id="bulk" if count > 1 else case.pk,
                     fields=["assignee"], detail=f"{count} case(s)", actor=by)  # fmt: skip
    return count


@transaction.atomic
def case_add_note(*, by: User, case: Case, text: str) -> CaseNote:
    _check_caseworker(by, case)
    return CaseNote.objects.create(case=case, author=by, text=text.strip()[:4000])


@transaction.atomic
def case_send_message(*, by: User, case: Case, text: str) -> CaseMessage:
    """A message to the citizen (staff) or to the department (the citizen who filed)."""
    from_staff = by.is_city_staff
    if from_staff:
        _check_caseworker(by, case)
    elif case.submission.user_id != by.pk:
        raise PermissionDenied
    message = CaseMessage.objects.create(
        case=case, author=by, from_staff=from_staff, text=text.strip()[:4000]
    )
    if from_staff:
        _notify(case, "message")
    return message


# --- corrections --------------------------------------------------------------------------------


def correction_request(*, by: User, case: Case, fields: list[str], reason: str) -> CorrectionRequest:
    """Ask the citizen to fix named fields; the clock stops until they answer."""
    _check_caseworker(by, case)
    definition = case.submission.version.definition
    known = {
        f["id"] for page in definition["form"]["pages"] if not page.get("repeat") for f in page["fields"]
    }
    if not fields or set(fields) - known:
        raise ValidationError({"fields": _("直してもらう項目を選んでください。")})
    if not reason.strip():
        raise ValidationError({"reason": _("理由を書いてください。")})
    with audited_atomic(action=AuditEvent.Action.CHANGE, object_type="cases.case", object_id=case.pk,
                        department_code=case.department.code, fields=["correction"], actor=by) as audit:  # fmt: skip
        case = Case.objects.select_for_update().get(pk=case.pk)
        correction = CorrectionRequest.objects.create(
            case=case, fields=fields, reason=reason.strip(), requested_by=by
        )
        CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.CORRECTION, actor=by, comment=reason.strip(),
                                 changes={"fields": fields})  # fmt: skip
        _move(case, "correction", actor=by, comment=reason.strip())
        audit.success()
    return correction


def open_correction(case: Case) -> CorrectionRequest | None:
    return case.corrections.filter(resolved_at__isnull=True).first() if case.status == "correction" else None


def correction_fields(case: Case, correction: CorrectionRequest) -> list[dict]:
    definition = case.submission.version.definition
    wanted = set(correction.fields)
    return [
        f
        for page in definition["form"]["pages"]
        if not page.get("repeat")
        for f in page["fields"]
        if f["id"] in wanted
    ]


def correction_submit(*, user: User, case: Case, post) -> dict:
    """The citizen's answer: only the named fields change; returns the field errors (empty when done)."""
    if case.submission.user_id != user.pk:
        raise PermissionDenied
    correction = open_correction(case)
    if correction is None:
        raise ValidationError(_("直す必要のある項目はありません。"))
    fields = correction_fields(case, correction)
    submission = case.submission
    result = read_fields(fields, post, submission.data)
    if not result.ok:
        return {"errors": result.errors, "raw": result.raw}
    definition = submission.version.definition
    data = prune(definition, {**submission.data, **result.values})
    errors = schema_errors(submission.version.schema, data)
    if errors:
        raise ValidationError(errors)
    language = "ja"
    changes = {
        f["id"]: {
            "label": f["label"]["ja"],
            "before": TYPES[f["type"]].display(f, submission.data.get(f["id"]), language),
            "after": TYPES[f["type"]].display(f, data.get(f["id"]), language),
        }
        for f in fields
        if submission.data.get(f["id"]) != data.get(f["id"])
    }
    with audited_atomic(action=AuditEvent.Action.CHANGE, object_type="submissions.submission", object_id=submission.pk,
                        department_code=case.department.code, fields=list(correction.fields), purpose="補正",
                        actor=user) as audit:  # fmt: skip
        case = Case.objects.select_for_update().get(pk=case.pk)
        submission.data = data
        submission.save(update_fields=["data"])
        correction.resolved_at = timezone.now()
        correction.save(update_fields=["resolved_at"])
        CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.RESUBMITTED, actor=user, changes=changes)
        _move(case, "reviewing", actor=user, comment=_("補正が提出されました"))
        audit.success()
    return {"errors": {}, "changes": changes}


# --- decisions ------------------------------------------------------------------------------------


def decision_propose(*, by: User, case: Case, outcome: str, reason: str) -> Decision:
    """A 担当者 proposes the decision; where the workflow needs a 決裁者 it waits for approval."""
    _check_caseworker(by, case)
    case = Case.objects.get(pk=case.pk)
    flow = workflow(case.workflow)
    target = flow.status(outcome) if outcome in {s.id for s in flow.statuses} else None
    if target is None or not target.decision or not flow.can_move(case.status, outcome):
        raise ValidationError({"outcome": _("この案件では、その決定はできません。")})
    if not reason.strip():
        raise ValidationError({"reason": _("決定の理由を書いてください。")})
    if case.decisions.filter(state=Decision.State.PROPOSED).exists():
        raise ValidationError(_("決裁待ちの決定案があります。"))
    with transaction.atomic():
        decision = Decision.objects.create(case=case, outcome=outcome, reason=reason.strip(), proposed_by=by)
        CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.DECISION_PROPOSED, actor=by, to_status=outcome,
                                 comment=reason.strip())  # fmt: skip
        audit_record(action=AuditEvent.Action.CHANGE, object_type="cases.case", object_id=case.pk,
                     department_code=case.department.code, fields=["decision"], actor=by)  # fmt: skip
    if not target.needs_approver:
        decision_approve(by=by, decision=decision, required_role=False)
    return decision


def decision_approve(*, by: User, decision: Decision, required_role: bool = True) -> None:
    """A 決裁者 approves: the case moves to its outcome, the notice is made and the citizen told."""
    case = decision.case
    if required_role:
        _check_caseworker(by, case, roles=(StaffRole.Role.APPROVER,))
    with audited_atomic(action=AuditEvent.Action.CHANGE, object_type="cases.case", object_id=case.pk,
                        department_code=case.department.code, fields=["status", "decision"], purpose="決裁",
                        actor=by) as audit:  # fmt: skip
        decision = Decision.objects.select_for_update().get(pk=decision.pk)
        if decision.state != Decision.State.PROPOSED:
            raise ValidationError(_("この決定案は決裁できません。"))
        case = Case.objects.select_for_update().get(pk=case.pk)
        decision.state = Decision.State.APPROVED
        decision.approved_by = by
        decision.approved_at = timezone.now()
        _move(case, decision.outcome, actor=by, comment=decision.reason)
        from .notices import store_decision_notice

        decision.notice = store_decision_notice(decision)
        decision.save()
        audit.success()


def decision_return(*, by: User, decision: Decision, comment: str) -> None:
    _check_caseworker(by, decision.case, roles=(StaffRole.Role.APPROVER,))
    with transaction.atomic():
        decision.state = Decision.State.RETURNED
        decision.save(update_fields=["state"])
        CaseEvent.objects.create(case=decision.case, kind=CaseEvent.Kind.DECISION_RETURNED, actor=by,
                                 comment=comment.strip())  # fmt: skip


def due_soon_limit(today: date | None = None) -> date:
    return add_business_days(today or _today(), 3)
