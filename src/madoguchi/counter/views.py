"""The counter (書かない窓口): a member of staff files an application for the visitor in front of them,
on the same procedure definitions as the online runner.

One open session per member of staff, for one visitor; every page of it carries the session's or
the draft's id and answers 404 once the next visitor's session has started. The pages work without
JavaScript; the visitor confirms on the printed sheet (and signs it) or on a large-type screen.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from madoguchi.accounts.models import StaffRole
from madoguchi.core.access import staff_required
from madoguchi.core.i18n import current_language
from madoguchi.core.ratelimit import rate_limit
from madoguchi.forms.engine import answers_summary, first_incomplete_page, visible_pages
from madoguchi.forms.fieldtypes import localised
from madoguchi.submissions import services as submission_services
from madoguchi.submissions.runner import Runner

from . import selectors, services
from .forms import IdentityForm
from .models import CounterFiling, CounterSession

COUNTER_ROLES = (StaffRole.Role.HANDLER, StaffRole.Role.APPROVER, StaffRole.Role.DEPT_ADMIN)
counter_staff = staff_required(*COUNTER_ROLES)
RUNNER = Runner(page_route="counter:page", check_route="counter:check", templates="counter/",
                name_rejected_files=False)  # fmt: skip


def _uuid(value) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Http404 from None


# --- the counter's home and sessions --------------------------------------------------------------------


@counter_staff
def home(request: HttpRequest) -> HttpResponse:
    services.session_end_stale(staff=request.user)
    session = selectors.session_open_of(user=request.user)
    return render(request, "counter/home.html", {
        "session": session, "departments": selectors.counter_departments(request.user),
    })  # fmt: skip


@counter_staff
@require_POST
def start(request: HttpRequest) -> HttpResponse:
    """「次の方を受け付ける」: the previous visitor's session ends (its drafts deleted) and a new one opens."""
    user = request.user
    departments = list(selectors.counter_departments(user))
    booking = None
    if request.POST.get("booking"):
        booking = selectors.booking_get_for_staff(user=user, booking_id=_uuid(request.POST["booking"]))
        own = next((d for d in departments if d.pk == booking.department_id), None)
        department = own or next((d for d in departments if d.general_counter), None)
    else:
        code = request.POST.get("department", "")
        department = next((d for d in departments if d.code == code), None)
        if department is None and len(departments) == 1:
            department = departments[0]
    if department is None:
        messages.error(request, _("受け付ける課を選んでください。"))
        return redirect("counter:home")
    try:
        session = services.session_start(staff=user, department=department, booking=booking)
    except services.CounterRefused as exc:
        messages.error(request, exc.message)
        return redirect("counter:home")
    return redirect("counter:session", session_id=session.pk)


def _session_context(request, session: CounterSession, **extra) -> dict:
    language = current_language()
    procedures = selectors.counter_procedures(session=session)
    booked = session.booking.procedure_id if session.booking_id else None
    procedures.sort(key=lambda p: (p.pk != booked, p.department.sort_order, p.slug))
    drafts = selectors.session_drafts(session=session)
    for draft in drafts:
        draft.name = localised(draft.version.definition["name"], language)
        draft.resume_url = RUNNER.resume_url(draft)
    return {
        "session": session,
        "identity_form": extra.pop("identity_form", None) or IdentityForm(initial={
            "document": session.identity_document, "secondary": session.identity_secondary}),
        "procedures": [{"procedure": p, "name": localised(p.current_version.definition["name"], language),
                        "booked": p.pk == booked} for p in procedures],
        "drafts": drafts,
        "filings": selectors.session_filings(session=session),
        "visitor_error": extra.pop("visitor_error", ""),
        "visitor_query": extra.pop("visitor_query", ""),
        **extra,
    }  # fmt: skip


@counter_staff
def session_view(request: HttpRequest, session_id) -> HttpResponse:
    session = selectors.session_get_current(user=request.user, session_id=session_id)
    return render(request, "counter/session.html", _session_context(request, session))


@counter_staff
@require_POST
@rate_limit("counter_lookup", setting="lookup")
def visitor(request: HttpRequest, session_id) -> HttpResponse:
    session = selectors.session_get_current(user=request.user, session_id=session_id)
    query = request.POST.get("query", "")[:254]
    try:
        if request.POST.get("action") == "clear":
            services.session_visitor_clear(by=request.user, session=session)
            messages.success(request, _("来庁者のアカウントの紐付けを外しました。"))
        else:
            services.session_visitor_find(by=request.user, session=session, query=query)
            messages.success(
                request,
                _("来庁者のアカウントを確認しました。以前の情報を使うか、ご本人に同意を確かめてください。"),
            )
    except services.CounterRefused as exc:
        return render(request, "counter/session.html",
                      _session_context(request, session, visitor_error=exc.message, visitor_query=query), status=400)  # fmt: skip
    return redirect("counter:session", session_id=session.pk)


@counter_staff
@require_POST
def identity(request: HttpRequest, session_id) -> HttpResponse:
    session = selectors.session_get_current(user=request.user, session_id=session_id)
    form = IdentityForm(request.POST)
    if not form.is_valid():
        return render(request, "counter/session.html", _session_context(request, session, identity_form=form),
                      status=400)  # fmt: skip
    services.session_identity_set(by=request.user, session=session, document=form.cleaned_data["document"],
                                  secondary=form.cleaned_data.get("secondary") or [])  # fmt: skip
    messages.success(request, _("本人確認の書類を記録しました。"))
    return redirect("counter:session", session_id=session.pk)


@counter_staff
@require_POST
def consent(request: HttpRequest, session_id) -> HttpResponse:
    session = selectors.session_get_current(user=request.user, session_id=session_id)
    answer = request.POST.get("consent")
    if answer not in ("yes", "no"):
        return render(request, "counter/session.html", _session_context(
            request, session, consent_error=_("ご本人の答えを選んでください。")), status=400)  # fmt: skip
    try:
        filled = services.session_consent_set(by=request.user, session=session, consent=answer == "yes")
    except services.CounterRefused as exc:
        return render(request, "counter/session.html",
                      _session_context(request, session, consent_error=exc.message), status=400)  # fmt: skip
    if answer == "yes":
        messages.success(request, _("同意を記録しました。") + (
            _("入力中の申請書に、以前の情報を入れました。") if filled else ""))  # fmt: skip
    else:
        messages.success(request, _("同意しないことを記録しました。以前の情報は使いません。"))
    return redirect("counter:session", session_id=session.pk)


@counter_staff
@require_POST
def apply(request: HttpRequest, session_id) -> HttpResponse:
    """Start an application of a procedure offered at this counter, for the session's visitor."""
    session = selectors.session_get_current(user=request.user, session_id=session_id)
    slug = request.POST.get("procedure", "")
    if not slug:
        return render(request, "counter/session.html", _session_context(
            request, session, apply_error=_("申請する手続を選んでください。")), status=400)  # fmt: skip
    procedure = selectors.counter_procedure_get(session=session, slug=slug)
    draft, filled = services.counter_draft_start(by=request.user, session=session, procedure=procedure)
    if filled:
        messages.info(
            request,
            _("ご本人の同意を得て、以前の申請とプロフィールから入力しました。違うところは直してください。"),
        )
    return redirect(RUNNER.page_url(draft, visible_pages(draft.version.definition, draft.data)[0]["id"]))


@counter_staff
@require_POST
def end(request: HttpRequest, session_id) -> HttpResponse:
    session = selectors.session_get_current(user=request.user, session_id=session_id)
    services.session_end(staff=request.user, session=session)
    messages.success(request, _("受付を終えました。入力途中のものは消しました。"))
    return redirect("counter:home")


# --- the form runner, at the counter ------------------------------------------------------------------------


@counter_staff
@require_http_methods(["GET", "POST"])
def page(request: HttpRequest, draft_id, page_id: str) -> HttpResponse:
    link = selectors.counter_draft_get(user=request.user, draft_id=draft_id)
    session_url = reverse("counter:session", kwargs={"session_id": link.session_id})
    return RUNNER.page(
        request, link.draft, page_id, first_back_url=session_url, extra={"session": link.session}
    )


# --- checking with the visitor, and filing ---------------------------------------------------------------


def _answers(draft, language, include_unanswered=False):
    return answers_summary(
        draft.version.definition, draft.data, language, include_unanswered=include_unanswered
    )


def _already_filed(request) -> HttpResponse | None:
    """A second click on a send button after the first one filed: show that filing."""
    token = request.POST.get("token", "")
    try:
        key = uuid.UUID(token)
    except ValueError:
        return None
    filing = CounterFiling.objects.filter(submission__idempotency_key=key, session__staff=request.user,
                                          session__ended_at__isnull=True).first()  # fmt: skip
    if filing is None:
        return None
    return redirect("counter:filed", submission_id=filing.submission_id)


@counter_staff
@require_http_methods(["GET", "POST"])
def check(request: HttpRequest, draft_id) -> HttpResponse:
    """Staff's check page: the answers with change links, the sheet to print, the tablet, and filing
    once the visitor has signed the sheet."""
    try:
        link = selectors.counter_draft_get(user=request.user, draft_id=draft_id)
    except Http404:
        if request.method == "POST" and (done := _already_filed(request)):
            return done
        raise
    draft, session = link.draft, link.session
    missing = first_incomplete_page(draft.version.definition, draft.data)
    if missing is not None:
        return redirect(RUNNER.page_url(draft, missing["id"], True))
    language = current_language()
    error = ""
    if request.method == "POST":
        if request.POST.get("signed") != "yes":
            error = _("ご本人が確認票の内容を確かめて署名したら、チェックを入れてください。")
        else:
            result = _file(request, session, draft, "sheet")
            if isinstance(result, HttpResponse):
                return result
            error = result
    return render(request, "counter/check.html", {
        "session": session, "draft": draft, "sections": _answers(draft, language, True),
        "procedure_name": localised(draft.version.definition["name"], language), "error": error,
    }, status=400 if error else 200)  # fmt: skip


def _file(request, session, draft, confirmed_by: str) -> HttpResponse | str:
    """File the draft; the done page, or the message to show."""
    try:
        uuid.UUID(request.POST.get("token", ""))
    except ValueError:
        return render(request, "400.html", status=400)
    try:
        submission = services.counter_submit(by=request.user, session=session, draft=draft,
                                             token=request.POST["token"], confirmed_by=confirmed_by)  # fmt: skip
    except services.CounterRefused as exc:
        return exc.message
    except submission_services.SubmissionInvalid:
        return _("入力内容に不足があります。もう一度確かめてください。")
    except submission_services.DraftGone:
        return _("この申請書は受け付けられません。すでに受け付けたか、消されています。")
    return redirect("counter:filed", submission_id=submission.pk)


@counter_staff
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, draft_id) -> HttpResponse:
    """The visitor's screen (a tablet, or the counter's screen turned to them): the answers in large type
    and 「この内容で申請します」."""
    try:
        link = selectors.counter_draft_get(user=request.user, draft_id=draft_id)
    except Http404:
        if request.method == "POST" and (done := _already_filed(request)):
            return done
        raise
    draft, session = link.draft, link.session
    if first_incomplete_page(draft.version.definition, draft.data) is not None:
        return redirect(RUNNER.check_url(draft))
    language = current_language()
    error = ""
    if request.method == "POST":
        result = _file(request, session, draft, "tablet")
        if isinstance(result, HttpResponse):
            return result
        error = result
    return render(request, "counter/confirm.html", {
        "session": session, "draft": draft, "sections": _answers(draft, language),
        "procedure_name": localised(draft.version.definition["name"], language), "error": error,
    }, status=400 if error else 200)  # fmt: skip


@counter_staff
def sheet(request: HttpRequest, draft_id) -> HttpResponse:
    """The one-page confirmation sheet (PDF) the visitor checks and signs."""
    from madoguchi.privacy.audit import audit_record
    from madoguchi.privacy.models import AuditEvent

    from .pdf import render_confirmation_sheet

    link = selectors.counter_draft_get(user=request.user, draft_id=draft_id)
    pdf = render_confirmation_sheet(link.draft, link.session, language=current_language())
    audit_record(action=AuditEvent.Action.EXPORT, object_type="submissions.draft", object_id=link.draft.pk,
                 department_code=link.draft.version.procedure.department.code, fields=["data"],
                 purpose="窓口での確認票の印刷", actor=request.user)  # fmt: skip
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="kakunin.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@counter_staff
@require_POST
def discard(request: HttpRequest, draft_id) -> HttpResponse:
    link = selectors.counter_draft_get(user=request.user, draft_id=draft_id)
    session_id = link.session_id
    services.counter_draft_discard(session=link.session, draft=link.draft)
    messages.success(request, _("入力途中の申請書を消しました。"))
    return redirect("counter:session", session_id=session_id)


@counter_staff
def filed(request: HttpRequest, submission_id) -> HttpResponse:
    """Filed: the receipt number in large type, for the visitor; staff go back to the session."""
    filing = selectors.filing_get_current(user=request.user, submission_id=submission_id)
    language = current_language()
    return render(request, "counter/filed.html", {
        "filing": filing, "submission": filing.submission, "session": filing.session,
        "procedure_name": localised(filing.submission.version.definition["name"], language),
    })  # fmt: skip


@counter_staff
def receipt_pdf(request: HttpRequest, submission_id) -> HttpResponse:
    """The visitor's copy (申請の控え) of what was filed, to print for them."""
    filing = selectors.filing_get_current(user=request.user, submission_id=submission_id)
    copy = submission_services.submission_receipt_pdf(submission=filing.submission, user=request.user,
                                                      language=current_language())  # fmt: skip
    response = HttpResponse(copy.pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{copy.filename}"'
    response["Cache-Control"] = "no-store"
    return response
