"""The form runner (GOV.UK pattern: one topic per page, error summary, check your answers),
and the citizen's own applications."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from madoguchi.cases import selectors as case_selectors
from madoguchi.cases import services as case_services
from madoguchi.cases.workflows import workflow as case_workflow
from madoguchi.core.access import citizen_required, is_fully_authenticated, public
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
from madoguchi.forms.fieldtypes import FieldInvalid
from madoguchi.forms.lookups import postal_address
from madoguchi.forms.rendering import raw_from_values, render_fields
from madoguchi.forms.repeat import repeat_page
from madoguchi.identity.verification import SignatureRefused
from madoguchi.privacy.services import file_store
from madoguchi.privacy.uploads import UploadRejected
from madoguchi.procedures.selectors import procedure_get_public

from . import selectors, services

SESSION_SUBMISSIONS = "madoguchi_submissions"


def _page_url(draft, page_id: str, returning: bool = False) -> str:
    url = reverse("submissions:page", kwargs={"draft_id": draft.pk, "page_id": page_id})
    return f"{url}?return=check" if returning else url


def _check_url(draft) -> str:
    return reverse("submissions:check", kwargs={"draft_id": draft.pk})


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
    return redirect(_page_url(draft, first["id"]))


# --- a page ------------------------------------------------------------------------------------


def _neighbours(definition: dict, data: dict, page_id: str) -> tuple[dict | None, dict | None]:
    pages = visible_pages(definition, data)
    ids = [p["id"] for p in pages]
    index = ids.index(page_id)
    return (pages[index - 1] if index > 0 else None), (pages[index + 1] if index + 1 < len(pages) else None)


def _store_uploads(request, draft, fields: list[dict], index=None) -> tuple[dict, dict]:
    """Store new uploads of the page's file fields; keep the ones already attached."""
    prepared, errors = {}, {}
    for spec in fields:
        if spec["type"] != "file":
            continue
        key = input_key(spec["id"], index)
        attached = {item["id"]: item for item in draft.data.get(spec["id"], [])}
        kept = [attached[i] for i in request.POST.getlist(f"{key}-keep") if i in attached]
        for upload in request.FILES.getlist(key):
            try:
                stored = file_store(uploaded=upload, uploaded_by=request.user if request.user.is_authenticated else None,
                                    department=draft.version.procedure.department)  # fmt: skip
            except UploadRejected as exc:
                errors[key] = FieldInvalid(f"{stored_name(upload)}: {exc.message}")
                continue
            kept.append({"id": str(stored.pk), "name": stored.display_name})
        prepared[key] = {"files": kept}
        # Files are saved to the draft at once, so nothing uploaded is lost if another field is wrong.
        services.draft_save(draft=draft, values={spec["id"]: kept} if kept else {}, replace=(spec["id"],))
    return prepared, errors


def stored_name(upload) -> str:
    from madoguchi.privacy.uploads import display_name_for

    return display_name_for(getattr(upload, "name", ""), "application/pdf").rsplit(".", 1)[0]


def runner_definition(draft) -> dict:
    """The form as the runner walks it. In a bundle, the shared answers were asked on the
    bundle's page, so each form asks only what is its own: shared fields (and pages left
    empty without them) are not shown. Answers and checks still use the whole definition."""
    definition = draft.version.definition
    if not draft.bundle_id:
        return definition
    pages = []
    for page in definition["form"]["pages"]:
        own = [f for f in page["fields"] if not f.get("shared")]
        if own:
            pages.append({**page, "fields": own})
    return {**definition, "form": {**definition["form"], "pages": pages}}


@public
@require_http_methods(["GET", "POST"])
def page(request: HttpRequest, draft_id, page_id: str) -> HttpResponse:
    draft = selectors.draft_get_owned(request=request, draft_id=draft_id)
    definition = runner_definition(draft)
    data = draft.data
    current = next((p for p in visible_pages(definition, data) if p["id"] == page_id), None)
    if current is None:
        raise Http404
    returning = request.GET.get("return") == "check"
    language = current_language()
    if current.get("repeat"):
        return _repeat_page(request, draft, current, returning, language)

    fields = page_fields(current, data)
    raw = raw_from_values(fields, data)
    errors: dict = {}
    notice = ""
    if request.method == "POST":
        action = request.POST.get("action", "continue")
        prepared, upload_errors = _store_uploads(request, draft, fields)
        draft.refresh_from_db()
        result = read_fields(fields, request.POST, draft.data, prepared_files=prepared)
        raw = result.raw
        if action.startswith("lookup:"):
            notice = _postal_lookup(action.removeprefix("lookup:"), fields, raw, language)
        else:
            errors = {
                **result.errors,
                **upload_errors,
                **_filer_errors(request, draft, fields, result.values),
            }
            if not errors:
                services.draft_save(draft=draft, values=result.values,
                                    replace=tuple(f["id"] for f in current["fields"]))  # fmt: skip
                if action == "save":
                    messages.success(
                        request, _("下書きを保存しました。「マイページ」から続きを入力できます。")
                    )
                    return redirect("submissions:mine")
                return redirect(_next_url(draft, current["id"], returning))
    previous, _next = _neighbours(definition, data, current["id"])
    context = {
        "draft": draft,
        "definition": definition,
        "page": current,
        "title": _localised(current["title"], language),
        "intro": _localised(current.get("intro"), language),
        "fields": render_fields(fields, raw, errors, language, page=current),
        "errors": errors,
        "notice": notice,
        "back_url": _check_url(draft) if returning else (
            _page_url(draft, previous["id"]) if previous else _start_back_url(draft)
        ),
        "returning": returning,
        "has_files": any(f["type"] == "file" for f in fields),
        "progress": _progress(definition, data, current["id"]),
        "procedure_name": _localised(definition["name"], language),
    }  # fmt: skip
    return render(request, "submissions/page.html", context)


def _filer_errors(request, draft, fields: list[dict], values: dict) -> dict:
    """On the page that asks who is filing: only a registered account may say 提出代行者."""
    from madoguchi.identity.services import filer_check
    from madoguchi.procedures.definitions import filer_kind

    definition = draft.version.definition
    filer = definition.get("filer")
    if not filer or not any(f["id"] == filer["field"] for f in fields):
        return {}
    check = filer_check(user=request.user, procedure=draft.version.procedure,
                        filed_as=filer_kind(definition, values))  # fmt: skip
    return {input_key(filer["field"]): FieldInvalid(check.error)} if check.error else {}


def _localised(text, language):
    from madoguchi.forms.fieldtypes import localised

    return localised(text, language)


def _start_back_url(draft) -> str:
    """Back from a form's first page: the procedure, or in a bundle the page before this form."""
    if draft.bundle_id:
        return reverse("submissions:bundle_shared", kwargs={"bundle_id": draft.bundle_id})
    return reverse("procedures:detail", kwargs={"slug": draft.version.procedure.slug})


def _progress(definition, data, page_id) -> dict:
    pages = visible_pages(definition, data)
    ids = [p["id"] for p in pages]
    return {"current": ids.index(page_id) + 1 if page_id in ids else 1, "total": len(pages)}


def _next_url(draft, page_id: str, returning: bool) -> str:
    draft.refresh_from_db()
    definition, data = runner_definition(draft), draft.data
    if returning:
        missing = first_incomplete_page(definition, data)
        return _page_url(draft, missing["id"], True) if missing else _check_url(draft)
    _previous, following = _neighbours(definition, data, page_id)
    if following:
        return _page_url(draft, following["id"])
    if draft.bundle_id:  # on to the bundle's next form, or its check page
        from .bundle_views import bundle_next_url

        return bundle_next_url(draft.bundle)
    return _check_url(draft)


def _postal_lookup(field_id: str, fields: list[dict], raw: dict, language: str) -> str:
    """Fill the address from the postal code (the no-JavaScript way: a button on the page)."""
    spec = next((f for f in fields if f["id"] == field_id and f["type"] == "postal_code"), None)
    if spec is None or not spec.get("address_field"):
        return ""
    import re
    import unicodedata

    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", str(raw.get(input_key(field_id), ""))))
    address = postal_address(digits) if len(digits) == 7 else None
    if address is None:
        return _("その郵便番号の住所が見つかりませんでした。住所を入力してください。")
    raw[input_key(spec["address_field"])] = address
    return _("住所を入れました。続けて番地や建物名を入力してください。")


def _repeat_page(request, draft, current, returning, language) -> HttpResponse:
    definition = runner_definition(draft)
    repeat = current["repeat"]
    low, high = repeat.get("min", 1), repeat.get("max", 10)
    result = repeat_page(current, draft.data, language, request.POST if request.method == "POST" else None)
    if result.values is not None:
        services.draft_save(draft=draft, values={current["id"]: result.values}, replace=(current["id"],))
        if result.action == "save":
            messages.success(request, _("下書きを保存しました。「マイページ」から続きを入力できます。"))
            return redirect("submissions:mine")
        return redirect(_next_url(draft, current["id"], returning))
    items = result.items
    errors = {**result.errors, **({"repeat": result.repeat_error} if result.repeat_error else {})}
    previous, _following = _neighbours(definition, draft.data, current["id"])
    context = {
        "draft": draft, "definition": definition, "page": current,
        "title": _localised(current["title"], language), "intro": _localised(current.get("intro"), language),
        "items": items, "item_label": _localised(repeat["item"], language), "can_add": len(items) < high,
        "can_remove": len(items) > low, "errors": errors, "repeat_error": result.repeat_error,
        "back_url": _check_url(draft) if returning else (
            _page_url(draft, previous["id"]) if previous else _start_back_url(draft)),
        "returning": returning, "progress": _progress(definition, draft.data, current["id"]),
        "procedure_name": _localised(definition["name"], language),
        "error_fields": [f for item in items for f in item.fields if f.error],
    }  # fmt: skip
    return render(request, "submissions/repeat_page.html", context)


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
        return redirect(_page_url(draft, missing["id"], True))
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
            return redirect(_check_url(draft))
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
    check_url = reverse("submissions:check", kwargs={"draft_id": draft_id})
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
