from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from madoguchi.core.access import public
from madoguchi.core.i18n import current_language
from madoguchi.forms.fieldtypes import localised
from madoguchi.organisations.models import Department

from .selectors import LIFE_EVENTS, catalogue, procedure_get_public


@public
def catalogue_view(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    department = request.GET.get("department", "")
    event = request.GET.get("event", "")
    procedures = catalogue(query=query, department=department, life_event=event)
    from madoguchi.disaster.selectors import first_in_catalogue

    procedures = first_in_catalogue(procedures)
    departments = (
        Department.objects.filter(procedures__isnull=False, is_active=True).distinct().order_by("sort_order")
    )
    return render(request, "procedures/catalogue.html", {
        "procedures": procedures, "query": query, "department": department, "event": event,
        "departments": departments, "events": LIFE_EVENTS, "language": current_language(),
        "searched": bool(query or department or event),
    })  # fmt: skip


@public
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    procedure = procedure_get_public(slug=slug)
    definition = procedure.current_version.definition
    language = current_language()
    return render(request, "procedures/detail.html", {
        "procedure": procedure, "d": definition, "language": language,
        "name": localised(definition["name"], language), "summary": localised(definition["summary"], language),
        "prepare": [localised(p, language) for p in definition.get("prepare", [])],
        "attachments": [localised(a["label"], language) for a in definition.get("attachments", [])],
        "fee_note": localised(definition.get("fee_note"), language),
        "asks_my_number": any(f["type"] == "my_number" for p in definition["form"]["pages"] for f in p["fields"]),
    })  # fmt: skip


@public
def power_of_attorney(request: HttpRequest, slug: str) -> HttpResponse:
    """A blank 委任状 for a procedure that a proxy may file."""
    from django.http import Http404

    from .poa import render_power_of_attorney

    procedure = procedure_get_public(slug=slug)
    if "proxy" not in procedure.current_version.definition["filers"]:
        raise Http404
    response = HttpResponse(
        render_power_of_attorney(procedure, language=current_language()), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="ininjo-{procedure.slug}.pdf"'
    return response
