"""The form runner (GOV.UK pattern: one topic per page, error summary, check your answers),
and the citizen's own applications."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from madoguchi.cases import selectors as case_selectors
from madoguchi.cases import services as case_services
from madoguchi.cases.workflows import workflow as case_workflow
from madoguchi.core.access import citizen_required, is_fully_authenticated, public
from madoguchi.core.i18n import current_language
from madoguchi.core.ratelimit import rate_limit
from madoguchi.forms.engine import answers_summary, first_incomplete_page, visible_pages
from madoguchi.forms.rendering import raw_from_values, render_fields
from madoguchi.identity.verification import SignatureRefused
from madoguchi.procedures.selectors import procedure_get_public

from . import selectors, services
from .runner import Runner

SESSION_SUBMISSIONS = "madoguchi_submissions"
RUNNER = Runner(page_route="submissions:page", check_route="submissions:check", templates="submissions/",
                invalid_status=200, save_to="submissions:mine", check_filer=True)  # fmt: skip


def _session_key(request: HttpRequest) -> str:
    if not request.session.session_key:
        request.session.save()
    return request.session.session_key


# --- starting ------------------------------------------------------------------------------


@public
@require_POST
@rate_limit("draft_start", setting="submission")
def start(request: HttpRequest, slug: str) -> HttpResponse:
    procedure = procedure_get_public(slug=slug)
    identity = procedure.current_version.definition["identity"]
    user = request.user
    if user.is_authenticated and not user.is_citizen:
        messages.warning(
            request, _("職員のアカウントでは申請できません。市民のアカウントでログインしてください。")
        )
        return redirect("procedures:detail", slug=slug)
    if identity != "none" and not (user.is_authenticated and is_fully_authenticated(user)):
        detail = reverse("procedures:detail", kwargs={"slug": slug})
        return HttpResponseRedirect(f"{reverse('accounts:login')}?{urlencode({'next': detail})}")
    draft = services.draft_start(procedure=procedure, user=user, session_key=_session_key(request))
    if user.is_authenticated:
        from madoguchi.profiles.services import prefill_draft

        if prefill_draft(draft=draft):
            messages.info(
                request, _("プロフィールに保存した情報を入力しました。違うところは直してください。")
            )
    first = visible_pages(draft.version.definition, {})[0]
    return redirect(RUNNER.page_url(draft, first["id"]))


# --- a page ------------------------------------------------------------------------------------


@public
@require_http_methods(["GET", "POST"])
def page(request: HttpRequest, draft_id, page_id: str) -> HttpResponse:
    draft = selectors.draft_get_owned(request=request, draft_id=draft_id)
    return RUNNER.page(request, draft, page_id, first_back_url=_start_back_url(draft), extra={})


def _localised(text, language):
    from madoguchi.forms.fieldtypes import localised

    return localised(text, language)


def _start_back_url(draft) -> str:
    """Back from a form's first page: the procedure, or in a bundle the page before this form."""
    if draft.bundle_id:
        return reverse("submissions:bundle_shared", kwargs={"bundle_id": draft.bundle_id})
    return reverse("procedures:detail", kwargs={"slug": draft.version.procedure.slug})


# --- check your answers and submit -------------------------------------------------------------


@public
@require_http_methods(["GET", "POST"])
def check(request: HttpRequest, draft_id) -> HttpResponse:
    if request.method == "POST":  # the draft is read once, locked, by the service
        return _submit(request, draft_id)
    draft = selectors.draft_get_owned(request=request, draft_id=draft_id)
    if draft.bundle_id:  # a bundle is checked and sent as a whole
        return redirect("submissions:bundle_check", bundle_id=draft.bundle_id)
    definition = draft.version.definition
    missing = first_incomplete_page(definition, draft.data)
    if missing is not None:
        return redirect(RUNNER.page_url(draft, missing["id"], True))
    language = current_language()
    sections = answers_summary(definition, draft.data, language, include_unanswered=True)
    return render(request, "submissions/check.html", {
        "draft": draft, "sections": sections, "procedure_name": _localised(definition["name"], language),
        "identity": definition["identity"], "needs_signature": services.needs_signature(definition, "online"),
    })  # fmt: skip


@public
@require_http_methods(["GET", "POST"])
@rate_limit("sign", setting="submission")
def sign(request: HttpRequest, draft_id) -> HttpResponse:
    """Sign the answers with a My Number Card (through a signing client plugin)."""
    from madoguchi.identity import signers
    from madoguchi.identity.services import draft_sign
    from madoguchi.identity.verification import SignatureRefused

    draft = selectors.draft_get_owned(request=request, draft_id=draft_id)
    signer = signers.client("dev")  # the only client on this machine; a real JPKI client registers beside it
    error = ""
    if request.method == "POST" and signer is None:
        error = _("署名の仕組みが設定されていません。市にお問い合わせください。")
    elif request.method == "POST":
        try:
            result = signer.sign(card=request.POST.get("card", ""), pin=request.POST.get("pin", ""),
                                 payload=_draft_payload(draft))  # fmt: skip
            draft_sign(draft=draft, result=result)
        except PermissionError:
            error = _("暗証番号が違います。署名用の暗証番号（6〜16文字）を入力してください。")
        except ValueError:
            error = _("カードを選んでください。")
        except SignatureRefused as exc:
            error = exc.message
        else:
            messages.success(request, _("マイナンバーカードで署名しました。内容を確かめて送信してください。"))
            return redirect(RUNNER.check_url(draft))
    language = current_language()
    return render(request, "submissions/sign.html", {
        "draft": draft, "signer": signer, "cards": signer.cards() if signer else {}, "error": error,
        "procedure_name": _localised(draft.version.definition["name"], language),
    }, status=400 if error else 200)  # fmt: skip


def _draft_payload(draft) -> bytes:
    from madoguchi.identity.services import draft_payload

    return draft_payload(draft)


@rate_limit("submit", setting="submission")
def _submit(request: HttpRequest, draft_id) -> HttpResponse:
    check_url = reverse_lazy("submissions:check", kwargs={"draft_id": draft_id})  # made only if needed
    try:
        accepted = services.submission_accept(
            draft_id=draft_id, idempotency_key=request.POST.get("token", ""), user=request.user,
            session_key=_session_key(request),
        )  # fmt: skip
    except services.DraftNotOwned:
        raise Http404 from None
    except services.FormBroken:
        return render(request, "400.html", status=400)
    except services.DraftInBundle as exc:  # a bundle is checked and sent as a whole
        return redirect("submissions:bundle_check", bundle_id=exc.bundle_id)
    except services.DraftGone:
        messages.error(request, _("この下書きは送信できません。期限が切れたか、すでに送信されています。"))
        return redirect("submissions:mine" if request.user.is_authenticated else "core:home")
    except services.SubmissionInvalid:
        messages.error(request, _("入力内容に不足があります。もう一度確かめてください。"))
        return redirect(check_url)
    except SignatureRefused as exc:
        messages.error(request, exc.message)
        return redirect(check_url)
    except (OperationalError, InterfaceError) as exc:  # a lock or statement timeout, a lost connection
        from madoguchi.core.overload import submission_not_sent

        return submission_not_sent(request, check_url=check_url, exc=exc)  # rolled back: draft kept
    if accepted.anonymous:  # filed without an account: this browser session is what owns it
        owned = request.session.get(SESSION_SUBMISSIONS, [])
        if str(accepted.submission_id) not in owned:
            request.session[SESSION_SUBMISSIONS] = [*owned, str(accepted.submission_id)][-20:]
    return HttpResponseRedirect(
        reverse("submissions:detail", kwargs={"submission_id": accepted.submission_id}) + "?sent=1"
    )


# --- the citizen's applications -----------------------------------------------------------------


@public
def detail(request: HttpRequest, submission_id) -> HttpResponse:
    submission = selectors.submission_or_accepted_get_owned(request=request, submission_id=submission_id)
    language = current_language()
    definition = submission.version.definition
    pending = isinstance(submission, selectors.AcceptedFiling)  # received; its case is being opened
    case = None if pending else case_selectors.case_of_submission(submission=submission)
    context = {
        "submission": submission, "procedure_name": _localised(definition["name"], language),
        "sections": answers_summary(definition, submission.data, language),
        "processing_days": definition["processing_days"], "case": case, "pending": pending,
        "just_sent": request.GET.get("sent") == "1",
    }  # fmt: skip
    if case is not None:
        context.update({
            "status": case_workflow(case.workflow).status(case.status).display(language),
            "thread": case.messages.all(),
            "correction": case_services.open_correction(case),
            "notices": case.decisions.filter(state="approved", notice__isnull=False),
        })  # fmt: skip
    return render(request, "submissions/detail.html", context)


@citizen_required
@require_POST
def reply(request: HttpRequest, submission_id) -> HttpResponse:
    submission = selectors.submission_get_owned(request=request, submission_id=submission_id)
    case = case_selectors.case_of_submission(submission=submission)
    text = request.POST.get("text", "").strip()
    if case is None or not text:
        messages.error(request, _("メッセージを入力してください。"))
    else:
        case_services.case_send_message(by=request.user, case=case, text=text)
        messages.success(request, _("メッセージを送りました。"))
    return redirect("submissions:detail", submission_id=submission.pk)


@citizen_required
@require_http_methods(["GET", "POST"])
def correct(request: HttpRequest, submission_id) -> HttpResponse:
    """The citizen fixes only the fields the department asked about, and sends them again."""
    submission = selectors.submission_get_owned(request=request, submission_id=submission_id)
    case = case_selectors.case_of_submission(submission=submission)
    correction = case_services.open_correction(case) if case else None
    if correction is None:
        return redirect("submissions:detail", submission_id=submission.pk)
    language = current_language()
    fields = case_services.correction_fields(case, correction)
    raw = raw_from_values(fields, submission.data)
    errors: dict = {}
    if request.method == "POST":
        result = case_services.correction_submit(user=request.user, case=case, post=request.POST)
        if not result["errors"]:
            messages.success(request, _("直した内容を送りました。市で確認します。"))
            return redirect("submissions:detail", submission_id=submission.pk)
        errors, raw = result["errors"], result["raw"]
    return render(request, "submissions/correct.html", {
        "submission": submission, "correction": correction, "fields": render_fields(fields, raw, errors, language),
        "errors": errors, "procedure_name": _localised(submission.version.definition["name"], language),
    })  # fmt: skip


@public
def receipt_pdf(request: HttpRequest, submission_id) -> HttpResponse:
    submission = selectors.submission_get_owned(request=request, submission_id=submission_id)
    copy = services.submission_receipt_pdf(
        submission=submission, user=request.user, language=current_language()
    )
    response = HttpResponse(copy.pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{copy.filename}"'
    response["Cache-Control"] = "no-store"
    return response


@citizen_required
def mine(request: HttpRequest) -> HttpResponse:
    """My page: what to do next, then everything of this citizen's, newest first."""
    language = current_language()
    context = selectors.my_page(user=request.user, language=language)
    from madoguchi.notifications.selectors import notices_for

    notices = list(notices_for(user=request.user, limit=10))
    return render(request, "submissions/mine.html", {**context, "notices": notices, "language": language})
