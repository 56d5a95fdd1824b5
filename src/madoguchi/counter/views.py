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
from madoguchi.forms.engine import (
    answers_summary,
    first_incomplete_page,
    input_key,
    page_fields,
    read_fields,
    visible_pages,
)
from madoguchi.forms.fieldtypes import FieldInvalid, localised
from madoguchi.forms.rendering import raw_from_values, render_fields
from madoguchi.forms.repeat import repeat_page
from madoguchi.submissions import services as submission_services

from . import selectors, services
from .forms import IdentityForm
from .models import CounterFiling, CounterSession

COUNTER_ROLES = (StaffRole.Role.HANDLER, StaffRole.Role.APPROVER, StaffRole.Role.DEPT_ADMIN)
counter_staff = staff_required(*COUNTER_ROLES)


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
        draft.resume_url = _resume_url(draft)
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
    return redirect(_page_url(draft, visible_pages(draft.version.definition, draft.data)[0]["id"]))


@counter_staff
@require_POST
def end(request: HttpRequest, session_id) -> HttpResponse:
    session = selectors.session_get_current(user=request.user, session_id=session_id)
    services.session_end(staff=request.user, session=session)
    messages.success(request, _("受付を終えました。入力途中のものは消しました。"))
    return redirect("counter:home")


# --- the form runner, at the counter ------------------------------------------------------------------------


def _page_url(draft, page_id: str, returning: bool = False) -> str:
    url = reverse("counter:page", kwargs={"draft_id": draft.pk, "page_id": page_id})
    return f"{url}?return=check" if returning else url


def _check_url(draft) -> str:
    return reverse("counter:check", kwargs={"draft_id": draft.pk})


def _resume_url(draft) -> str:
    missing = first_incomplete_page(draft.version.definition, draft.data)
    return _page_url(draft, missing["id"]) if missing else _check_url(draft)


def _neighbours(definition, data, page_id):
    pages = visible_pages(definition, data)
    ids = [p["id"] for p in pages]
    index = ids.index(page_id)
    return (pages[index - 1] if index > 0 else None), (pages[index + 1] if index + 1 < len(pages) else None)


def _progress(definition, data, page_id) -> dict:
    ids = [p["id"] for p in visible_pages(definition, data)]
    return {"current": ids.index(page_id) + 1 if page_id in ids else 1, "total": len(ids)}


def _next_url(draft, page_id: str, returning: bool) -> str:
    draft.refresh_from_db()
    definition, data = draft.version.definition, draft.data
    if returning:
        missing = first_incomplete_page(definition, data)
        return _page_url(draft, missing["id"], True) if missing else _check_url(draft)
    _previous, following = _neighbours(definition, data, page_id)
    return _page_url(draft, following["id"]) if following else _check_url(draft)


def _store_uploads(request, draft, fields: list[dict]) -> tuple[dict, dict]:
    """Store the page's new uploads (as the online runner does), keeping the files already attached."""
    from madoguchi.privacy.services import file_store
    from madoguchi.privacy.uploads import UploadRejected

    prepared, errors = {}, {}
    for spec in fields:
        if spec["type"] != "file":
            continue
        key = input_key(spec["id"])
        attached = {item["id"]: item for item in draft.data.get(spec["id"], [])}
        kept = [attached[i] for i in request.POST.getlist(f"{key}-keep") if i in attached]
        for upload in request.FILES.getlist(key):
            try:
                stored = file_store(uploaded=upload, uploaded_by=request.user,
                                    department=draft.version.procedure.department)  # fmt: skip
            except UploadRejected as exc:
                errors[key] = FieldInvalid(exc.message)
                continue
            kept.append({"id": str(stored.pk), "name": stored.display_name})
        prepared[key] = {"files": kept}
        submission_services.draft_save(
            draft=draft, values={spec["id"]: kept} if kept else {}, replace=(spec["id"],)
        )
    return prepared, errors


def _page_context(link, draft, current, returning, language) -> dict:
    definition = draft.version.definition
    previous, _following = _neighbours(definition, draft.data, current["id"])
    back = _check_url(draft) if returning else (
        _page_url(draft, previous["id"]) if previous else reverse("counter:session", kwargs={"session_id": link.session_id})
    )  # fmt: skip
    return {
        "session": link.session, "draft": draft, "page": current, "returning": returning, "back_url": back,
        "title": localised(current["title"], language), "intro": localised(current.get("intro"), language),
        "procedure_name": localised(definition["name"], language),
        "progress": _progress(definition, draft.data, current["id"]),
    }  # fmt: skip


@counter_staff
@require_http_methods(["GET", "POST"])
def page(request: HttpRequest, draft_id, page_id: str) -> HttpResponse:
    link = selectors.counter_draft_get(user=request.user, draft_id=draft_id)
    draft = link.draft
    definition = draft.version.definition
    current = next((p for p in visible_pages(definition, draft.data) if p["id"] == page_id), None)
    if current is None:
        raise Http404
    returning = request.GET.get("return") == "check"
    language = current_language()
    if current.get("repeat"):
        return _repeat_page(request, link, draft, current, returning, language)
    fields = page_fields(current, draft.data)
    raw = raw_from_values(fields, draft.data)
    errors: dict = {}
    notice = ""
    if request.method == "POST":
        action = request.POST.get("action", "continue")
        prepared, upload_errors = _store_uploads(request, draft, fields)
        draft.refresh_from_db()
        result = read_fields(fields, request.POST, draft.data, prepared_files=prepared)
        raw = result.raw
        if action.startswith("lookup:"):
            from madoguchi.submissions.views import _postal_lookup

            notice = _postal_lookup(action.removeprefix("lookup:"), fields, raw, language)
        else:
            errors = {**result.errors, **upload_errors}
            if not errors:
                submission_services.draft_save(draft=draft, values=result.values,
                                               replace=tuple(f["id"] for f in current["fields"]))  # fmt: skip
                return redirect(_next_url(draft, current["id"], returning))
    rendered = render_fields(fields, raw, errors, language, page=current)
    context = _page_context(link, draft, current, returning, language)
    context.update({
        "fields": rendered, "errors": errors, "notice": notice, "error_fields": [f for f in rendered if f.error],
        "has_files": any(f["type"] == "file" for f in fields),
    })  # fmt: skip
    return render(request, "counter/page.html", context, status=400 if errors else 200)


def _repeat_page(request, link, draft, current, returning, language) -> HttpResponse:
    """A repeating page (children, household members): add and remove items with buttons."""
    repeat = current["repeat"]
    low, high = repeat.get("min", 1), repeat.get("max", 10)
    result = repeat_page(current, draft.data, language, request.POST if request.method == "POST" else None)
    if result.values is not None:
        submission_services.draft_save(
            draft=draft, values={current["id"]: result.values}, replace=(current["id"],)
        )
        return redirect(_next_url(draft, current["id"], returning))
    items = result.items
    context = _page_context(link, draft, current, returning, language)
    context.update({
        "items": items, "item_label": localised(repeat["item"], language), "can_add": len(items) < high,
        "can_remove": len(items) > low, "errors": result.errors, "repeat_error": result.repeat_error,
        "error_fields": [f for item in items for f in item.fields if f.error],
    })  # fmt: skip
    bad = bool(result.errors or result.repeat_error)
    return render(request, "counter/repeat_page.html", context, status=400 if bad else 200)


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
        return redirect(_page_url(draft, missing["id"], True))
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
        return redirect(_check_url(draft))
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
