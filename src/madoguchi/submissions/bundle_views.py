"""Filing several procedures in one go (a life-event guide's list): shared answers once, then each
form's own questions, one check page, one send. Thin: the work is in services.bundle_*."""

from __future__ import annotations

from django.contrib import messages
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from madoguchi.core.access import citizen_required
from madoguchi.core.i18n import current_language
from madoguchi.core.ratelimit import rate_limit
from madoguchi.forms.engine import answers_summary, first_incomplete_page, read_fields
from madoguchi.forms.fieldtypes import localised
from madoguchi.forms.rendering import raw_from_values, render_fields
from madoguchi.forms.shared import shared_fields_of, shared_spec
from madoguchi.identity.verification import SignatureRefused
from madoguchi.procedures.models import Procedure

from . import selectors, services
from .models import Bundle
from .runner import postal_lookup, runner_definition


def _bundle(request: HttpRequest, bundle_id) -> Bundle:
    bundle = selectors.bundle_get_owned(user=request.user, bundle_id=bundle_id)
    if bundle is None:
        raise Http404
    return bundle


def _drafts(bundle: Bundle) -> list:
    return list(bundle.drafts.select_related("version__procedure__department").order_by("bundle_position"))


def bundle_next_url(bundle: Bundle) -> str:
    """The first form of the bundle with something left to answer, else the check page."""
    from .views import RUNNER

    for draft in _drafts(bundle):
        missing = first_incomplete_page(runner_definition(draft), draft.data)
        if missing is not None:
            return RUNNER.page_url(draft, missing["id"])
    return reverse("submissions:bundle_check", kwargs={"bundle_id": bundle.pk})


@citizen_required
@require_http_methods(["GET", "POST"])
@rate_limit("draft_start", setting="submission")
def bundle_start(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":  # back here after logging in: the choice was a POST, so ask again
        messages.info(request, _("ログインしました。まとめて申請する手続を、もう一度選んでください。"))
        return redirect("lifeevents:list")
    slugs = [s for s in request.POST.getlist("procedure") if s][: services.BUNDLE_MAX + 1]
    found = {
        p.slug: p
        for p in Procedure.objects.filter(slug__in=slugs, is_active=True, current_version__isnull=False)
    }
    procedures = [found[s] for s in slugs if s in found]
    guide = request.POST.get("guide", "")[:50]
    try:
        bundle = services.bundle_start(user=request.user, procedures=procedures, guide=guide)
    except services.BundleInvalid as exc:
        messages.error(request, exc.message)
        return redirect("procedures:catalogue")
    if any(d.data for d in _drafts(bundle)):
        messages.info(request, _("プロフィールに保存した情報を入力しました。違うところは直してください。"))
    return redirect("submissions:bundle_shared", bundle_id=bundle.pk)


@citizen_required
@require_http_methods(["GET", "POST"])
def bundle_shared(request: HttpRequest, bundle_id) -> HttpResponse:
    """The answers several forms share, asked once."""
    bundle = _bundle(request, bundle_id)
    if bundle.submitted_at:
        return redirect("submissions:bundle_done", bundle_id=bundle.pk)
    keys = services.bundle_shared_keys(bundle)
    if not keys:
        return redirect(bundle_next_url(bundle))
    language = current_language()
    specs = [shared_spec(k) for k in keys]
    drafts = _drafts(bundle)
    known = {}
    for draft in drafts:
        for key, field_id in shared_fields_of(draft.version.definition).items():
            if key not in known and field_id in draft.data:
                known[key] = draft.data[field_id]
    raw, errors, notice = raw_from_values(specs, known), {}, ""
    returning = request.GET.get("return") == "check"
    if request.method == "POST":
        result = read_fields(specs, request.POST, {})
        raw = result.raw
        action = request.POST.get("action", "continue")
        if action.startswith("lookup:"):
            notice = postal_lookup(action.removeprefix("lookup:"), specs, raw, language)
        else:
            errors = result.errors
            if not errors:
                services.bundle_shared_save(bundle=bundle, values=result.values)
                if returning:
                    return redirect("submissions:bundle_check", bundle_id=bundle.pk)
                return redirect(bundle_next_url(bundle))
    names = [localised(d.version.definition["name"], language) for d in drafts]
    return render(request, "submissions/bundle_shared.html", {
        "bundle": bundle, "fields": render_fields(specs, raw, errors, language), "errors": errors,
        "notice": notice, "names": names, "returning": returning,
    }, status=400 if errors else 200)  # fmt: skip


@citizen_required
@require_http_methods(["GET", "POST"])
def bundle_check(request: HttpRequest, bundle_id) -> HttpResponse:
    from .views import RUNNER

    bundle = _bundle(request, bundle_id)
    if bundle.submitted_at:
        return redirect("submissions:bundle_done", bundle_id=bundle.pk)
    drafts = _drafts(bundle)
    for draft in drafts:
        missing = first_incomplete_page(runner_definition(draft), draft.data)
        if missing is not None:
            return redirect(RUNNER.page_url(draft, missing["id"], True))
    keys = services.bundle_shared_keys(bundle)
    if keys and any(first_incomplete_page(draft.version.definition, draft.data) for draft in drafts):
        return redirect("submissions:bundle_shared", bundle_id=bundle.pk)
    language = current_language()
    unsigned = [
        d for d in drafts if services.needs_signature(d.version.definition, "online") and not d.signature
    ]
    if request.method == "POST":
        if unsigned:
            messages.error(
                request, _("マイナンバーカードで署名していない手続があります。署名してから送信してください。")
            )
        else:
            try:
                services.bundle_submit(bundle=bundle, token=request.POST.get("token", ""), user=request.user)
            except services.BundleInvalid as exc:
                messages.error(request, exc.message)
            except services.SubmissionInvalid:
                messages.error(request, _("入力内容に不足があります。もう一度確かめてください。"))
            except SignatureRefused as exc:
                messages.error(request, exc.message)
            except (
                OperationalError,
                InterfaceError,
            ) as exc:  # a lock or statement timeout, a lost connection
                from madoguchi.core.overload import submission_not_sent

                # All or none: rolled back, every draft of the bundle kept.
                check_url = reverse("submissions:bundle_check", kwargs={"bundle_id": bundle.pk})
                return submission_not_sent(request, check_url=check_url, exc=exc)
            else:
                return redirect("submissions:bundle_done", bundle_id=bundle.pk)
        return redirect("submissions:bundle_check", bundle_id=bundle.pk)
    first = drafts[0] if drafts else None
    shared_section = None
    if keys and first is not None:
        fields = shared_fields_of(first.version.definition)
        values = {k: first.data[fields[k]] for k in keys if k in fields and fields[k] in first.data}
        for draft in drafts[1:]:
            for key, field_id in shared_fields_of(draft.version.definition).items():
                if key not in values and field_id in draft.data:
                    values[key] = draft.data[field_id]
        shared_definition = {"form": {"pages": [{"id": "shared", "title": {"ja": "共通の情報", "en": "Shared details"},
                                                 "fields": [shared_spec(k) for k in keys]}]}}  # fmt: skip
        shared_section = answers_summary(shared_definition, values, language)
    forms = [
        {
            "draft": d,
            "name": localised(d.version.definition["name"], language),
            "department": d.version.procedure.department.display_name,
            "sections": answers_summary(runner_definition(d), d.data, language),
            "needs_signature": services.needs_signature(d.version.definition, "online"),
        }
        for d in drafts
    ]
    return render(request, "submissions/bundle_check.html", {
        "bundle": bundle, "forms": forms, "shared_sections": shared_section, "unsigned": unsigned,
    })  # fmt: skip


@citizen_required
def bundle_done(request: HttpRequest, bundle_id) -> HttpResponse:
    bundle = _bundle(request, bundle_id)
    if not bundle.submitted_at:
        return redirect("submissions:bundle_check", bundle_id=bundle.pk)
    submissions = list(
        bundle.submissions.select_related("procedure", "department").order_by("receipt_number")
    )
    return render(request, "submissions/bundle_done.html", {"bundle": bundle, "submissions": submissions,
                                                             "language": current_language()})  # fmt: skip
