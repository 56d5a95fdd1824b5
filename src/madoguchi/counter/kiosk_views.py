"""Shelter kiosks: a tablet or PC at a shelter (避難所) that files applications, one applicant at a time.

Staff of a department with counter rights enrol a browser as a kiosk for a place (/staff/counter/kiosks/):
it gets a signed, HttpOnly cookie bound to a ``Kiosk`` row, and the member of staff is logged out of it.
On the kiosk, 「はじめる」 opens a fresh applicant visit (the browser's session is flushed first), whose
drafts belong to the visit only; 「終わる／次の方へ」, or the idle time (a ``<meta http-equiv="refresh">``
to the time-out URL, and a server-side check of the last request), ends it: drafts deleted, session
flushed, back to the start page. Every kiosk page is ``no-store``; an ended visit's URLs answer 404.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core import signing
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from madoguchi.core.access import public
from madoguchi.core.i18n import current_language
from madoguchi.forms.engine import answers_summary, first_incomplete_page, visible_pages
from madoguchi.forms.fieldtypes import localised
from madoguchi.submissions import services as submission_services
from madoguchi.submissions.runner import Runner

from . import selectors, services
from .forms import KioskEnrolForm
from .models import KioskVisit
from .views import counter_staff

KIOSK_COOKIE = "madoguchi_kiosk"
KIOSK_COOKIE_SALT = "madoguchi.counter.kiosk"
KIOSK_COOKIE_AGE = 60 * 60 * 24 * 180  # a shelter may run for months; revoking ends it at once
VISIT_KEY = "kiosk_visit"


# --- the kiosk's cookie and the applicant's visit ---------------------------------------------------------


def _kiosk(request: HttpRequest):
    try:
        value = request.get_signed_cookie(KIOSK_COOKIE, salt=KIOSK_COOKIE_SALT)
    except (KeyError, signing.BadSignature):
        return None
    kiosk_id, _sep, key = value.partition(":")
    return selectors.kiosk_by_credentials(kiosk_id=kiosk_id, key=key)


def _no_store(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
    return response


def _render(request, template: str, context: dict, status: int = 200) -> HttpResponse:
    """A kiosk page, never stored by the browser. A page of an open visit (``idle_seconds`` set) refreshes
    itself to the warning page once the visit has been idle for the idle time less the warning time."""
    idle = services.kiosk_idle_seconds()
    context.setdefault("idle_seconds", idle)
    context["idle_minutes"] = max(1, round(idle / 60))
    if context["idle_seconds"] and "refresh_to" not in context:
        context["refresh_after"] = idle - services.kiosk_warning_seconds()
        context["refresh_to"] = reverse("counter:kiosk_still_there")
    return _no_store(render(request, template, context, status=status))


RUNNER = Runner(page_route="counter:kiosk_page", check_route="counter:kiosk_check", templates="counter/kiosk/",
                render=_render)  # fmt: skip


def _not_enrolled(request) -> HttpResponse:
    return _render(request, "counter/kiosk/not_enrolled.html", {"idle_seconds": None}, status=403)


def _gone(request, kiosk) -> HttpResponse:
    return _render(request, "counter/kiosk/gone.html", {"kiosk": kiosk}, status=404)


def _home_url(ended: str = "") -> str:
    url = reverse("counter:kiosk_home")
    return f"{url}?{urlencode({'ended': ended})}" if ended else url


def _fresh_session(request) -> None:
    """Nothing of the previous applicant (or of a member of staff) is left in the browser's session."""
    if request.user.is_authenticated:
        logout(request)  # flushes the session too
    else:
        request.session.flush()


def _finish(request, ended: str = "") -> HttpResponse:
    _fresh_session(request)
    response = redirect(_home_url(ended))
    response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)  # the next applicant starts in Japanese
    return _no_store(response)


class _Stop(Exception):
    def __init__(self, response: HttpResponse):
        self.response = response


def _applicant(request):
    """(kiosk, visit) of this request, or _Stop with the page to show instead."""
    kiosk = _kiosk(request)
    if kiosk is None:
        raise _Stop(_not_enrolled(request))
    visit_id = request.session.get(VISIT_KEY)
    if not visit_id:
        raise _Stop(_gone(request, kiosk))
    visit, why = services.kiosk_visit_resume(kiosk=kiosk, visit_id=visit_id)
    if visit is None:
        raise _Stop(_finish(request, "idle") if why == "idle" else _gone(request, kiosk))
    return kiosk, visit


def kiosk_view(view):
    """A page of an applicant's visit: the kiosk's cookie and the visit are checked first."""
    from functools import wraps

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            kiosk, visit = _applicant(request)
        except _Stop as stop:
            return stop.response
        try:
            return _no_store(view(request, kiosk, visit, *args, **kwargs))
        except Http404:
            return _gone(request, kiosk)

    return wrapper


# --- the start page, starting and ending -------------------------------------------------------------


@public
@require_http_methods(["GET"])
def kiosk_home(request: HttpRequest) -> HttpResponse:
    kiosk = _kiosk(request)
    if kiosk is None:
        return _not_enrolled(request)
    language = current_language()
    resume_url = ""
    if request.session.get(VISIT_KEY):
        visit, why = services.kiosk_visit_resume(kiosk=kiosk, visit_id=request.session[VISIT_KEY])
        if visit is None and why == "idle":
            return _finish(request, "idle")
        drafts = selectors.kiosk_visit_drafts(visit=visit) if visit else []
        if drafts:
            resume_url = RUNNER.resume_url(drafts[-1])
        elif visit is not None:  # filed, then back at the start without 「終わる」: the visit is over
            services.kiosk_visit_end(visit=visit, reason=KioskVisit.EndReason.DONE)
            _fresh_session(request)
    procedures = [{"slug": p.slug, "name": localised(p.current_version.definition["name"], language),
                   "summary": localised(p.current_version.definition.get("summary"), language)}
                  for p in selectors.kiosk_procedures(kiosk=kiosk)]  # fmt: skip
    return _render(request, "counter/kiosk/home.html", {
        "kiosk": kiosk, "procedures": procedures, "ended": request.GET.get("ended", ""),
        "resume_url": resume_url, "staff_logged_in": request.user.is_authenticated,
        # The start page needs no refresh unless an applicant's form is open.
        "idle_seconds": services.kiosk_idle_seconds() if resume_url else None,
    })  # fmt: skip


@public
@require_POST
def kiosk_start(request: HttpRequest) -> HttpResponse:
    """「はじめる」: the previous applicant's visit ends (drafts deleted), the session is flushed, a new
    visit and a draft of the chosen procedure begin."""
    kiosk = _kiosk(request)
    if kiosk is None:
        return _not_enrolled(request)
    procedure = selectors.kiosk_procedure_get(kiosk=kiosk, slug=request.POST.get("procedure", "")[:100])
    if procedure is None:
        return _no_store(redirect(_home_url()))
    previous = request.session.get(VISIT_KEY)
    if previous:
        visit, _why = services.kiosk_visit_resume(kiosk=kiosk, visit_id=previous)
        if visit is not None:
            services.kiosk_visit_end(visit=visit, reason=KioskVisit.EndReason.NEXT)
    _fresh_session(request)
    visit = services.kiosk_visit_start(kiosk=kiosk)
    draft = services.kiosk_draft_start(visit=visit, procedure=procedure)
    request.session[VISIT_KEY] = str(visit.pk)
    first = visible_pages(draft.version.definition, {})[0]
    return _no_store(redirect(RUNNER.page_url(draft, first["id"])))


@public
@require_POST
def kiosk_end(request: HttpRequest) -> HttpResponse:
    """「終わる／次の方へ」 (and 「やめる」): the visit ends, its drafts are deleted, the session flushed."""
    kiosk = _kiosk(request)
    if kiosk is None:
        return _not_enrolled(request)
    if request.session.get(VISIT_KEY):
        visit, _why = services.kiosk_visit_resume(kiosk=kiosk, visit_id=request.session[VISIT_KEY])
        if visit is not None:
            services.kiosk_visit_end(visit=visit, reason=KioskVisit.EndReason.DONE)
    return _finish(request, "done")


@public
@require_http_methods(["GET"])
def kiosk_still_there(request: HttpRequest) -> HttpResponse:
    """The warning before the idle end (WCAG 2.2.1: the applicant is told and can extend the time with one
    button): 「続ける」 goes back to the form (a request, so the time starts again); without it the page
    refreshes to the time-out. Showing this page does not count as activity."""
    kiosk = _kiosk(request)
    if kiosk is None:
        return _not_enrolled(request)
    visit_id = request.session.get(VISIT_KEY)
    visit = (
        KioskVisit.objects.filter(pk=visit_id, kiosk=kiosk, ended_at__isnull=True).first()
        if visit_id
        else None
    )
    if visit is None:
        return _no_store(redirect(_home_url()))
    drafts = selectors.kiosk_visit_drafts(visit=visit)
    filing = visit.filings.order_by("-created_at").first()
    if drafts:
        resume_url = RUNNER.resume_url(drafts[-1])
    elif filing is not None:
        resume_url = reverse("counter:kiosk_filed", kwargs={"submission_id": filing.submission_id})
    else:
        resume_url = _home_url()
    warning = services.kiosk_warning_seconds()
    return _render(request, "counter/kiosk/still_there.html", {
        "kiosk": kiosk, "resume_url": resume_url, "warning_seconds": warning,
        "refresh_after": warning, "refresh_to": reverse("counter:kiosk_timeout"),
    })  # fmt: skip


@public
@require_http_methods(["GET"])
def kiosk_timeout(request: HttpRequest) -> HttpResponse:
    """Where a kiosk page's meta refresh goes after the idle time (no JavaScript needed). The visit ends
    only if the server saw no request for the idle time (a few seconds' grace for the clock)."""
    from datetime import timedelta

    from django.utils import timezone

    kiosk = _kiosk(request)
    if kiosk is None:
        return _not_enrolled(request)
    visit_id = request.session.get(VISIT_KEY)
    if not visit_id:
        return _no_store(redirect(_home_url()))
    visit = KioskVisit.objects.filter(pk=visit_id, kiosk=kiosk, ended_at__isnull=True).first()
    idle_since = timezone.now() - timedelta(seconds=services.kiosk_idle_seconds() - 5)
    if visit is not None and visit.last_seen_at > idle_since:
        return _no_store(redirect(_home_url()))  # somebody is still at it: the start page offers 「続ける」
    if visit is not None:
        services.kiosk_visit_end(visit=visit, reason=KioskVisit.EndReason.IDLE)
    return _finish(request, "idle")


# --- the form, at the kiosk -------------------------------------------------------------------------


@public
@kiosk_view
def kiosk_page(request: HttpRequest, kiosk, visit, draft_id, page_id: str) -> HttpResponse:
    if request.method not in ("GET", "POST"):
        return HttpResponse(status=405)
    draft = selectors.kiosk_draft_get(visit=visit, draft_id=draft_id).draft
    return RUNNER.page(request, draft, page_id, first_back_url="", extra={"kiosk": kiosk})


@public
@kiosk_view
def kiosk_check(request: HttpRequest, kiosk, visit, draft_id) -> HttpResponse:
    """The answers with change links, and 「この内容で申請する」."""
    if request.method not in ("GET", "POST"):
        return HttpResponse(status=405)
    try:
        draft = selectors.kiosk_draft_get(visit=visit, draft_id=draft_id).draft
    except Http404:
        # A second click after the first one filed: show that filing (of this visit only).
        filing = (
            visit.filings.filter(submission__idempotency_key=_token(request)).first()
            if request.method == "POST"
            else None
        )
        if filing is None:
            raise
        return redirect("counter:kiosk_filed", submission_id=filing.submission_id)
    missing = first_incomplete_page(draft.version.definition, draft.data)
    if missing is not None:
        return redirect(RUNNER.page_url(draft, missing["id"], True))
    language = current_language()
    error = ""
    if request.method == "POST":
        if _token(request) is None:
            error = _("この画面は古くなっています。もう一度確かめてから申請してください。")
        else:
            try:
                submission = services.kiosk_submit(visit=visit, draft=draft, token=str(_token(request)))
                return redirect("counter:kiosk_filed", submission_id=submission.pk)
            except services.CounterRefused as exc:
                error = exc.message
            except submission_services.SubmissionInvalid:
                error = _("入力内容に不足があります。もう一度確かめてください。")
            except submission_services.DraftGone:
                error = _("この申請書は受け付けられません。すでに受け付けたか、消されています。")
            except (
                OperationalError,
                InterfaceError,
            ) as exc:  # a lock or statement timeout, a lost connection
                return _not_sent(request, kiosk, draft, exc)
    return _render(request, "counter/kiosk/check.html", {
        "kiosk": kiosk, "draft": draft, "error": error,
        "sections": answers_summary(draft.version.definition, draft.data, language, include_unanswered=True),
        "procedure_name": localised(draft.version.definition["name"], language),
    }, status=400 if error else 200)  # fmt: skip


def _not_sent(request, kiosk, draft, exc) -> HttpResponse:
    """The database failed during the filing: ``submission_create`` is one transaction, so nothing was
    stored and the draft keeps every answer. The applicant is told, on the check page, to send again (the
    same token: never twice)."""
    import logging

    from django.db import connection

    logging.getLogger(__name__).warning(
        "kiosk submission not sent: the database failed (%s)", type(exc).__name__
    )
    try:
        if not connection.is_usable():
            connection.close()
    except Exception:
        connection.close()
    retry_after = int(getattr(settings, "MADOGUCHI_OVERLOAD_RETRY_AFTER", 30))
    response = _render(request, "counter/kiosk/check.html", {
        "kiosk": kiosk, "draft": draft, "procedure_name": localised(draft.version.definition["name"], current_language()),
        "sections": answers_summary(draft.version.definition, draft.data, current_language(), include_unanswered=True),
        "error": _("混み合っているため、申請はまだ送信されていません。入力した内容は残っています。"
                   "少し待ってから、もう一度「この内容で申請する」を押してください。"),
    }, status=503)  # fmt: skip
    response["Retry-After"] = str(retry_after)
    return response


def _token(request):
    import uuid

    try:
        return uuid.UUID(request.POST.get("token", ""))
    except ValueError:
        return None


@public
@kiosk_view
def kiosk_filed(request: HttpRequest, kiosk, visit, submission_id) -> HttpResponse:
    """The receipt number in large type, the printable copy, and 「終わる／次の方へ」."""
    filing = selectors.kiosk_filing_get(visit=visit, submission_id=submission_id)
    language = current_language()
    return _render(request, "counter/kiosk/filed.html", {
        "kiosk": kiosk, "filing": filing, "submission": filing.submission,
        "procedure_name": localised(filing.submission.version.definition["name"], language),
    })  # fmt: skip


@public
@kiosk_view
def kiosk_receipt_pdf(request: HttpRequest, kiosk, visit, submission_id) -> HttpResponse:
    filing = selectors.kiosk_filing_get(visit=visit, submission_id=submission_id)
    copy = submission_services.submission_receipt_pdf(submission=filing.submission, user=None,
                                                      language=current_language())  # fmt: skip
    response = HttpResponse(copy.pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{copy.filename}"'
    return response


# --- staff: the department's kiosks -------------------------------------------------------------------


def _enrol_form(user, data=None):
    departments = list(selectors.counter_departments(user))
    choices = {d.code: selectors.kiosk_eligible_procedures(department=d) for d in departments}
    return KioskEnrolForm(data, departments=departments, procedures=choices, language=current_language())


def _paper_forms(user) -> list[dict]:
    language = current_language()
    found, seen = [], set()
    for department in selectors.counter_departments(user):
        for procedure in selectors.kiosk_eligible_procedures(department=department):
            definition = procedure.current_version.definition
            if "paper" in definition.get("channels", []) and procedure.slug not in seen:
                seen.add(procedure.slug)
                found.append({"slug": procedure.slug, "name": localised(definition["name"], language)})
    return found


@counter_staff
@require_http_methods(["GET", "POST"])
def kiosks(request: HttpRequest) -> HttpResponse:
    """The department's kiosks: the list, enrolling this browser, revoking."""
    form = _enrol_form(request.user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            kiosk, key = services.kiosk_enrol(by=request.user, department=form.cleaned_data["department"],
                                              place=form.cleaned_data["place"],
                                              procedures=form.cleaned_data["procedures"])  # fmt: skip
        except services.CounterRefused as exc:
            form.add_error("procedures", exc.message)
        else:
            # The browser becomes the kiosk: the member of staff is logged out of it.
            _fresh_session(request)
            response = redirect("counter:kiosk_home")
            response.set_signed_cookie(
                KIOSK_COOKIE, f"{kiosk.pk}:{key}", salt=KIOSK_COOKIE_SALT, max_age=KIOSK_COOKIE_AGE,
                httponly=True, samesite="Lax", secure=settings.SESSION_COOKIE_SECURE,
            )  # fmt: skip
            return _no_store(response)
    current = _kiosk(request)
    listed = list(selectors.kiosks_visible(user=request.user))
    names = selectors.procedure_names(
        slugs={s for k in listed for s in k.procedures}, language=current_language()
    )
    for kiosk in listed:
        kiosk.procedure_names = [names.get(slug, slug) for slug in kiosk.procedures]
    return render(request, "counter/kiosks.html", {
        "kiosks": listed, "form": form, "this_kiosk": current,
        "paper_forms": _paper_forms(request.user), "idle_minutes": services.kiosk_idle_seconds() // 60,
    }, status=400 if request.method == "POST" else 200)  # fmt: skip


@counter_staff
@require_POST
def kiosk_revoke(request: HttpRequest, kiosk_id) -> HttpResponse:
    kiosk = selectors.kiosk_get_for_staff(user=request.user, kiosk_id=kiosk_id)
    services.kiosk_revoke(by=request.user, kiosk=kiosk)
    messages.success(request, _("受付端末「%(place)s」の登録を取り消しました。") % {"place": kiosk.place})
    response = redirect("counter:kiosks")
    current = _kiosk(request)
    if current is None or current.pk == kiosk.pk:
        response.delete_cookie(KIOSK_COOKIE)
    return response
