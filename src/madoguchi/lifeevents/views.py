"""Life-event guides: the list, and one guide's questions with the steps for the answers.

Answers are POSTed and never stored, put in a URL or logged: they only choose the steps
rendered in the response (which is not cached).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_safe

from madoguchi.core.access import public
from madoguchi.core.i18n import current_language
from madoguchi.forms.engine import read_fields
from madoguchi.forms.fieldtypes import localised
from madoguchi.forms.rendering import render_fields

from .selectors import guide_get_public, guide_list_public, guide_plan

# The catalogue's names for its life-event filter (procedures/_event.html).
EVENT_NAMES = {
    "moving": _("引っ越し"), "birth": _("妊娠・出産"), "childcare": _("子育て"), "care": _("介護"),
    "disaster": _("災害"),
}  # fmt: skip


@public
@require_safe
def guide_list(request: HttpRequest) -> HttpResponse:
    language = current_language()
    guides = [
        {"slug": g.slug, "name": localised(g.definition["name"], language),
         "summary": localised(g.definition["summary"], language)}
        for g in guide_list_public()
    ]  # fmt: skip
    return render(request, "lifeevents/list.html", {"guides": guides})


@public
@require_http_methods(["GET", "HEAD", "POST"])
def guide_detail(request: HttpRequest, slug: str) -> HttpResponse:
    guide = guide_get_public(slug=slug)
    definition = guide.definition
    questions = definition["questions"]
    language = current_language()
    raw, errors, plan = {}, {}, None
    if request.method == "POST":
        result = read_fields(questions, request.POST, {})
        raw, errors = result.raw, result.errors
        if result.ok:
            plan = guide_plan(guide=guide, answers=result.values, language=language)
    fields = render_fields(questions, raw, errors, language, page={"fields": questions})
    online = list({s.procedure.slug: s for s in plan or [] if s.online}.values())  # first of each
    events = [{"code": e, "name": EVENT_NAMES.get(e, e)} for e in definition.get("life_events", [])]
    response = render(request, "lifeevents/guide.html", {
        "guide": guide, "name": localised(definition["name"], language),
        "summary": localised(definition["summary"], language), "events": events,
        "fields": fields, "error_fields": [f for f in fields if f.error], "plan": plan,
        "online_steps": online, "online_count": sum(1 for s in plan or [] if s.online),
        "elsewhere_count": sum(1 for s in plan or [] if not s.online),
        "bundle_url": reverse("submissions:bundle_start") if len(online) >= 2 else "",
    }, status=400 if errors else 200)  # fmt: skip
    if request.method == "POST":
        patch_cache_control(response, no_store=True, private=True)  # the answers shape the page
    return response
