"""Public pages under /opendata/: search with facets, a dataset with a table preview, downloads
(counted), the coverage of the standard datasets, and the page for developers."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import timezone
from django.views.decorators.http import require_GET

from madoguchi.core.access import public

from . import selectors, services
from .intake import preview_rows
from .models import LICENCES
from .standards import standard_get

PAGE_SIZE = 20
JSONLD_TEMPLATE = "opendata/_jsonld.html"  # added by the DCAT / schema.org work; optional until then


def _jsonld_template() -> str | None:
    try:
        get_template(JSONLD_TEMPLATE)
    except TemplateDoesNotExist:
        return None
    return JSONLD_TEMPLATE


@public
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    filters = {
        key: request.GET.get(key, "").strip()[:100]
        for key in ("organization", "tag", "res_format", "license_id")
    }
    sort = request.GET.get("sort", "modified")
    result = selectors.catalogue_search(query=query, filters=filters, sort=sort)
    page = Paginator(result.datasets, PAGE_SIZE).get_page(request.GET.get("page"))
    params = {
        k: v for k, v in {"q": query, **filters, "sort": sort if sort != "modified" else ""}.items() if v
    }
    facets = []
    for facet in result.facets:
        items = []
        for value, label, count in facet.items:
            toggled = {**params, facet.key: "" if facet.selected == value else value}
            items.append(
                {
                    "value": value,
                    "label": label,
                    "count": count,
                    "selected": facet.selected == value,
                    "query": _query({k: v for k, v in toggled.items() if v}),
                }
            )
        facets.append({"key": facet.key, "title": facet.title, "items": items})
    return render(
        request,
        "opendata/search.html",
        {
            "query": query,
            "filters": filters,
            "sort": sort,
            "page": page,
            "total": result.total,
            "facets": facets,
            "page_query": _query({k: v for k, v in params.items()}),
            "searched": bool(params),
            "today": timezone.localdate(),
        },
    )


def _query(params: dict) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


@public
@require_GET
def dataset(request: HttpRequest, name: str) -> HttpResponse:
    ds = selectors.dataset_get_public(name=name)
    resources = list(selectors.public_resources(ds))
    preview = None
    for resource in resources:
        version = resource.current_version
        if resource.format == "CSV" and version.file:
            with version.file.open("rb") as fh:
                header, rows = preview_rows(fh.read(512 * 1024))
            preview = {"resource": resource, "header": header, "rows": rows, "total": version.row_count}
            break
    return render(
        request,
        "opendata/dataset.html",
        {
            "dataset": ds,
            "resources": resources,
            "preview": preview,
            "standard": standard_get(ds.conforms_to),
            "today": timezone.localdate(),
            "jsonld_template": _jsonld_template(),
            "overdue": ds.is_overdue(),
            "tags": ds.tag_list,
        },
    )


@public
@require_GET
def download(request: HttpRequest, name: str, resource_id) -> HttpResponse:
    """The current file of a public resource (or its link), counted."""
    resource = selectors.resource_get_public(name=name, resource_id=resource_id)
    services.download_count(resource=resource)
    version = resource.current_version
    if not version.file:
        return HttpResponseRedirect(resource.url)
    filename = version.file.name.rsplit("/", 1)[-1]
    response = FileResponse(
        version.file.open("rb"),
        as_attachment=True,
        filename=filename,
        content_type=version.media_type or "application/octet-stream",
    )
    response["Content-Security-Policy"] = "sandbox"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@public
@require_GET
def schema(request: HttpRequest, name: str, resource_id) -> HttpResponse:
    """The Frictionless Table Schema a CSV resource is published with."""
    resource = selectors.resource_get_public(name=name, resource_id=resource_id)
    table_schema = resource.current_version.table_schema
    if not table_schema:
        from django.http import Http404

        raise Http404
    response = JsonResponse(table_schema, json_dumps_params={"ensure_ascii": False, "indent": 1})
    response["Access-Control-Allow-Origin"] = "*"
    return response


@public
@require_GET
def coverage(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    return render(
        request, "opendata/coverage.html", {"rows": selectors.coverage(today=today), "today": today}
    )


@public
@require_GET
def developers(request: HttpRequest) -> HttpResponse:
    site = settings.MADOGUCHI_SITE_URL.rstrip("/")
    example = selectors.public_datasets().order_by("title").first()
    return render(
        request,
        "opendata/developers.html",
        {
            "site": site,
            "example": example,
            "licences": LICENCES.values(),
            "example_json": json.dumps(
                {"help": "…", "success": True, "result": ["aed-locations", "…"]}, ensure_ascii=False
            ),
        },
    )
