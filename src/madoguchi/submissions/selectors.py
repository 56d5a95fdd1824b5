"""Reads for drafts and submissions: only their owner (the citizen, or the browser session
that started an anonymous one) ever gets them; anyone else gets 404."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from .models import Draft, Submission


def _owns(request, obj, session_ids: list[str] | None = None) -> bool:
    user = request.user
    if obj.user_id is not None:
        return user.is_authenticated and obj.user_id == user.pk
    if isinstance(obj, Draft):
        return bool(obj.session_key) and obj.session_key == request.session.session_key
    return str(obj.pk) in (session_ids or [])


def draft_get_owned(*, request, draft_id, allow_submitted: bool = False) -> Draft | None:
    from django.utils import timezone

    draft = Draft.objects.select_related("version__procedure__department").filter(pk=draft_id).first()
    if draft is None and allow_submitted:
        return None
    if draft is None or draft.accepted_at or draft.expires_at < timezone.now() or not _owns(request, draft):
        raise Http404
    return draft


def submission_get_owned(*, request, submission_id) -> Submission:
    from .views import SESSION_SUBMISSIONS

    submission = (
        Submission.objects.select_related("version", "procedure", "department")
        .filter(pk=submission_id)
        .first()
    )
    if submission is None or not _owns(request, submission, request.session.get(SESSION_SUBMISSIONS, [])):
        raise Http404
    return submission


class AcceptedFiling:
    """An online filing the citizen was told is received, not yet made into its submission by the
    worker (``services.submission_accept``): what the receipt page shows of it, from the draft."""

    pending = True
    case = None

    def __init__(self, draft: Draft):
        self.pk = self.id = draft.submission_id
        self.receipt_number = draft.receipt_number
        self.submitted_at = draft.accepted_at
        self.version = draft.version
        self.procedure = draft.version.procedure
        self.department = self.procedure.department
        self.user_id = draft.user_id
        self._draft = draft

    @property
    def data(self) -> dict:
        return self._draft.data


def submission_or_accepted_get_owned(*, request, submission_id):
    """The citizen's submission, or the accepted filing that will become it (else 404)."""
    from .views import SESSION_SUBMISSIONS

    try:
        return submission_get_owned(request=request, submission_id=submission_id)
    except Http404:
        try:
            uuid.UUID(str(submission_id))
        except ValueError:
            raise Http404 from None
        draft = (
            Draft.objects.select_related("version__procedure__department")
            .filter(submission_id=submission_id, accepted_at__isnull=False)
            .first()
        )
        if draft is None:
            raise
        owned = (
            _owns(request, draft)
            if draft.user_id is not None
            else str(draft.submission_id) in request.session.get(SESSION_SUBMISSIONS, [])
        )
        if not owned:
            raise
        return AcceptedFiling(draft)


def accepted_of(*, user) -> list[AcceptedFiling]:
    """The citizen's filings accepted and not yet made into submissions, newest first."""
    return [
        AcceptedFiling(d)
        for d in Draft.objects.filter(user=user, accepted_at__isnull=False)
        .select_related("version__procedure__department")
        .defer("data", "signature", "version__definition", "version__schema", "version__source_text")
        .order_by("-accepted_at")
    ]


def submission_by_key(*, key: str) -> Submission | None:
    try:
        return Submission.objects.filter(idempotency_key=uuid.UUID(str(key))).first()
    except ValueError:
        return None


def drafts_of(*, user) -> QuerySet[Draft]:
    from django.utils import timezone

    return (
        Draft.objects.filter(user=user, expires_at__gte=timezone.now(), accepted_at__isnull=True)
        .select_related("version__procedure")
        .order_by("-updated_at")
    )


def bundle_get_owned(*, user, bundle_id):
    """The citizen's own bundle (None for anybody else's: the view answers 404)."""
    from .models import Bundle

    if not user.is_authenticated:
        return None
    return Bundle.objects.filter(pk=bundle_id, user=user).first()


# --- My page -----------------------------------------------------------------------------------


def my_page(*, user, language: str) -> dict:
    """Everything of one citizen in one place, newest first, with what they need to do next."""
    from datetime import timedelta

    from django.urls import reverse
    from django.utils import timezone

    from madoguchi.cases.models import Case, CaseMessage, CorrectionRequest, Decision
    from madoguchi.cases.workflows import workflow
    from madoguchi.documents.models import IssuedDocument
    from madoguchi.forms.fieldtypes import localised

    def outcome_label(flow, outcome: str) -> str:
        try:
            return flow.status(outcome).display(language)
        except (KeyError, ValueError, StopIteration):
            return outcome

    def name_of(procedure) -> str:
        return procedure.name_en if language == "en" and procedure.name_en else procedure.name

    def detail(submission_id, anchor: str = "") -> str:
        return reverse("submissions:detail", kwargs={"submission_id": submission_id}) + anchor

    # The lists need names, numbers, dates and statuses: the answers (encrypted) and the versions'
    # definitions are not loaded (a citizen with many applications made this page slow).
    submissions = list(
        Submission.objects.filter(user=user)
        .select_related("procedure")
        .defer("data")
        .order_by("-submitted_at")
    )
    cases = list(Case.objects.filter(submission__user=user).select_related("procedure", "department")
                 .order_by("created_at"))  # fmt: skip
    cases_of: dict = {}
    for c in cases:
        cases_of.setdefault(c.submission_id, []).append(c)
    for submission in submissions:
        mine = cases_of.get(submission.pk, [])
        if len(mine) > 1:  # a procedure that opens several cases: each one's department and status
            mine.sort(key=lambda c: c.department_id != submission.department_id)
            submission.status_label = "／".join(
                f"{c.department.display_name}：{workflow(c.workflow).status(c.status).display(language)}"
                for c in mine
            )
        else:
            submission.status_label = (
                workflow(mine[0].workflow).status(mine[0].status).display(language)
                if mine
                else submission.get_status_display()
            )
        submission.needs_action = any(c.status == "correction" for c in mine)
    accepted = accepted_of(user=user)  # received, on their way to the department (issue 11)
    for filing in accepted:
        filing.status_label = _("受付済み（担当課へ届ける処理中）")
        filing.needs_action = False
    submissions = accepted + submissions
    corrections = list(CorrectionRequest.objects.filter(case__submission__user=user, resolved_at__isnull=True)
                       .select_related("case__procedure"))  # fmt: skip
    messages = list(CaseMessage.objects.filter(case__submission__user=user).select_related("case__procedure")
                    .order_by("-at")[:30])  # fmt: skip
    decisions = list(Decision.objects.filter(case__submission__user=user, state=Decision.State.APPROVED)
                     .select_related("case__procedure").order_by("-approved_at")[:30])  # fmt: skip
    documents = list(
        IssuedDocument.objects.filter(case__submission__user=user).select_related("case__procedure")
    )
    drafts = [d for d in drafts_of(user=user) if d.bundle_id is None]
    bundles = list(user.bundles.filter(submitted_at__isnull=True, drafts__isnull=False).distinct())

    todo = []
    for c in corrections:
        todo.append({"at": c.requested_at, "text": _("補正の依頼があります。直して送り直してください。"),
                     "what": name_of(c.case.procedure),
                     "url": reverse("submissions:correct", kwargs={"submission_id": c.case.submission_id}),
                     "action": _("直す")})  # fmt: skip
    for m in messages:
        if m.from_staff and m.read_at is None:
            todo.append({"at": m.at, "text": _("市からメッセージが届いています。"), "what": name_of(m.case.procedure),
                         "url": detail(m.case.submission_id, "#messages"), "action": _("読む")})  # fmt: skip
    for d in drafts:
        todo.append({"at": d.updated_at, "text": _("入力の途中です。保存期限までに送信してください。"),
                     "what": localised(d.version.definition["name"], language), "url": resume_url(d),
                     "action": _("続きを入力する"), "until": d.expires_at})  # fmt: skip
    for b in bundles:
        from .bundle_views import bundle_next_url

        names = "、".join(name_of(d.version.procedure) for d in b.drafts.select_related("version__procedure"))
        todo.append({"at": b.created_at, "text": _("まとめて申請の途中です。"), "what": names,
                     "url": bundle_next_url(b), "action": _("続きを入力する")})  # fmt: skip
    recent = timezone.now() - timedelta(days=30)
    for doc in documents:
        if doc.revoked_at is None and doc.issued_at >= recent:
            todo.append({"at": doc.issued_at, "text": _("書類が発行されました。ダウンロードできます。"), "what": doc.title,
                         "url": reverse("privacy:file_download", kwargs={"file_id": doc.file_id}),
                         "action": _("ダウンロード")})  # fmt: skip
    todo.sort(key=lambda t: t["at"], reverse=True)

    timeline = []
    for s in submissions:
        timeline.append({"at": s.submitted_at, "kind": _("受付"), "text": name_of(s.procedure),
                         "detail": s.receipt_number, "url": detail(s.pk)})  # fmt: skip
    for c in corrections:
        timeline.append({"at": c.requested_at, "kind": _("補正依頼"), "text": name_of(c.case.procedure),
                         "detail": c.reason, "url": detail(c.case.submission_id)})  # fmt: skip
    for m in messages:
        timeline.append({"at": m.at, "kind": _("市から") if m.from_staff else _("あなたから"),
                         "text": name_of(m.case.procedure), "detail": m.text, "url": detail(m.case.submission_id, "#messages")})  # fmt: skip
    for d in decisions:
        label = outcome_label(workflow(d.case.workflow), d.outcome)
        timeline.append({"at": d.approved_at or d.proposed_at, "kind": _("決定"), "text": name_of(d.case.procedure),
                         "detail": label, "url": detail(d.case.submission_id)})  # fmt: skip
    for doc in documents:
        timeline.append({"at": doc.issued_at, "kind": _("書類の発行"), "text": doc.title,
                         "detail": _("取り消されました") if doc.revoked_at else doc.short_code,
                         "url": detail(doc.case.submission_id)})  # fmt: skip
    timeline.sort(key=lambda t: t["at"], reverse=True)
    return {
        "todo": todo,
        "timeline": timeline[:50],
        "submissions": submissions,
        "documents": documents,
    }


def resume_url(draft) -> str:
    from django.urls import reverse

    from madoguchi.forms.engine import first_incomplete_page

    missing = first_incomplete_page(draft.version.definition, draft.data)
    page_id = missing["id"] if missing else None
    if page_id is None:
        return reverse("submissions:check", kwargs={"draft_id": draft.pk})
    return reverse("submissions:page", kwargs={"draft_id": draft.pk, "page_id": page_id})
