"""HTTP for the CKAN Action API, the DCAT documents and the staff page of write tokens.

``action`` is CKAN's ``/api/3/action/<name>`` (also ``/api/action/<name>``, which ``ckanapi`` calls,
and ``/api/1|2/action/<name>``, which CKAN's harvester calls): GET with query parameters for the
reads, POST with a JSON body (or multipart/form-data with a file ``upload``) for everything. The
answer is CKAN's envelope ``{"help", "success", "result"}`` or ``{"help", "success": false, "error":
{"__type", "message"}}`` with CKAN's status codes: 400 unknown action or bad request, 403
Authorization Error, 404 Not Found Error, 409 Validation Error, 400 Search Query Error. The API is
public and CSRF-exempt (no cookies are used: a write needs a token in ``Authorization``).
"""

from __future__ import annotations

import contextlib
import json
import logging
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from madoguchi.accounts.models import StaffRole
from madoguchi.cases.tokens import can_manage_tokens
from madoguchi.core.access import public, staff_required
from madoguchi.core.ratelimit import usage as rate_usage
from madoguchi.organisations.selectors import department_get_visible

from . import ckan, dcat
from .api_tokens import (
    opendata_token_authenticate,
    opendata_token_create,
    opendata_token_list,
    opendata_token_revoke,
    token_from_headers,
)
from .models import OpenDataApiToken

logger = logging.getLogger(__name__)

RATE_GROUP = "opendata_api"
RATE_SETTING = "opendata_api"
DEFAULT_RATE = "600/m"


def site_base() -> str:
    return settings.MADOGUCHI_SITE_URL.rstrip("/")


def _json(data, status: int = 200) -> JsonResponse:
    response = JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/json;charset=utf-8"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _rate_limited(request: HttpRequest) -> bool:
    rate = settings.MADOGUCHI_RATE_LIMITS.get(RATE_SETTING, DEFAULT_RATE)
    usage = rate_usage(request, group=RATE_GROUP, rate=rate, methods=("GET", "POST"))
    return bool(usage and usage.should_limit)


def _mixed(querydict) -> dict:
    """CKAN's reading of form and query parameters: one value as a string, several as a list."""
    return {k: v[0] if len(v) == 1 else v for k, v in querydict.lists()}


def _request_data(request: HttpRequest, *, get_allowed: bool) -> tuple[dict, dict]:
    if request.method == "GET":
        if not get_allowed:
            raise ValueError("Invalid request. Please use POST method for your request")
        return _mixed(request.GET), {}
    content_type = request.content_type or ""
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        data = _mixed(request.POST)
        values = list(data.values())
        if len(data) == 1 and values[0] in ("1", ""):  # CKAN: a JSON object posted as a form key
            with contextlib.suppress(ValueError):
                data = json.loads(next(iter(data)))
        return data, dict(request.FILES.items())
    body = request.body
    if not body:
        return {}, {}
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"Error decoding JSON data. Error: {exc!r}") from None
    if not isinstance(data, dict):
        raise ValueError(f"Request data JSON decoded to {data!r} but it needs to be a dictionary.")
    return data, {}


def _help_url(name: str) -> str:
    path = reverse("opendata_api:action", kwargs={"ver": ckan.API_VERSION, "logic_function": "help_show"})
    return f"{site_base()}{path}?{urlencode({'name': name})}"


def _bad_request(message: str) -> JsonResponse:
    return _json(f"Bad request - {message}", status=400)


@public
@csrf_exempt
def action(request: HttpRequest, logic_function: str, ver: int = ckan.API_VERSION) -> HttpResponse:
    if ver not in (1, 2, 3):
        return _bad_request(f"API version not supported: {ver}")
    if request.method not in ("GET", "POST"):
        response = _bad_request("Use GET or POST")
        response["Allow"] = "GET, POST"
        return response
    act = ckan.ACTIONS.get(logic_function)
    if act is None:
        return _bad_request(f"Action name not known: {logic_function}")
    if _rate_limited(request):
        response = _json(
            {"help": _help_url(logic_function), "success": False,
             "error": {"__type": "Rate Limit Error", "message": "Too many requests; slow down and try again."}},
            status=429,
        )  # fmt: skip
        response["Retry-After"] = "60"
        return response
    try:
        data, files = _request_data(request, get_allowed=act.side_effect_free)
    except RequestDataTooBig:
        return _bad_request("Request body too large")
    except ValueError as exc:
        return _bad_request(f"JSON Error: {exc}")
    data.pop("callback", None)
    token = opendata_token_authenticate(token_from_headers(request.headers))
    caller = ckan.Caller(base_url=site_base(), token=token, files=files)
    envelope = {"help": _help_url(logic_function)}
    try:
        result = act.function(data, caller)
    except ckan.ActionError as exc:
        envelope.update(success=False, error=exc.error())
        if exc.status >= 500:
            logger.error("ckan action failed action=%s", logic_function)
        return _json(envelope, status=exc.status)
    envelope.update(success=True, result=result)
    response = _json(envelope)
    if act.side_effect_free:
        response["Access-Control-Allow-Origin"] = "*"
    return response


@public
@csrf_exempt
def api_root(request: HttpRequest, ver: int | None = None) -> JsonResponse:
    """``/api`` and ``/api/3``: the API version, as CKAN answers."""
    return _json({"version": ver or 1})


# --- DCAT -----------------------------------------------------------------------------------------------


def _rdf_response(body: bytes, fmt: str) -> HttpResponse:
    response = HttpResponse(body, content_type=dcat.CONTENT_TYPES[fmt])
    response["Access-Control-Allow-Origin"] = "*"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@public
@require_http_methods(["GET", "HEAD"])
def catalog(request: HttpRequest, fmt: str) -> HttpResponse:
    """The DCAT-AP catalogue, 100 datasets a page (``?page=``, ``modified_since``, ``q``, ``fq``), with
    Hydra paging as ckanext-dcat writes it."""
    if fmt not in dcat.CONTENT_TYPES:
        raise Http404
    page = request.GET.get("page", "1") or "1"
    if not page.isdigit() or int(page) < 1:
        return HttpResponse(
            "page: a positive whole number", status=400, content_type="text/plain; charset=utf-8"
        )
    try:
        body = dcat.catalog_document(
            fmt=fmt, page=int(page), base=site_base(), path=request.path,
            params={k: request.GET[k] for k in ("modified_since", "q", "fq") if request.GET.get(k)},
        )  # fmt: skip
    except (ckan.SearchQueryError, ValueError) as exc:
        message = exc.message if isinstance(exc, ckan.ActionError) else str(exc)
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    return _rdf_response(body, fmt)


@public
@require_http_methods(["GET", "HEAD"])
def dataset_document(request: HttpRequest, name: str, fmt: str) -> HttpResponse:
    """One published dataset in DCAT-AP (``/dataset/<name>.jsonld|ttl|xml|rdf``; its id works too)."""
    if fmt not in dcat.CONTENT_TYPES:
        raise Http404
    try:
        body = dcat.dataset_document(name, fmt=fmt, base=site_base())
    except ckan.NotFound:
        raise Http404 from None
    return _rdf_response(body, fmt)


# --- write tokens (staff) ----------------------------------------------------------------------------


class OpenDataTokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("名前"),
        max_length=100,
        help_text=gettext_lazy(
            "どのシステムが使うかがわかる名前にしてください（例：施設管理システム連携）。"
        ),
    )


def _managed_department(request: HttpRequest, code: str):
    department = department_get_visible(user=request.user, code=code)
    if not can_manage_tokens(request.user, department):
        raise Http404
    return department


@staff_required(StaffRole.Role.DEPT_ADMIN, StaffRole.Role.SYSADMIN)
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest, code: str) -> HttpResponse:
    """A department's write tokens for the open-data API: listed, made (shown once) and revoked."""
    department = _managed_department(request, code)
    form = OpenDataTokenForm()
    created = plaintext = None
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            token_id = request.POST.get("token_id") or ""
            token = OpenDataApiToken.objects.filter(
                department=department, pk=int(token_id) if token_id.isdigit() else None
            ).first()
            if token is None:
                raise Http404
            opendata_token_revoke(by=request.user, token=token)
            messages.success(request, _("トークン「%(name)s」を無効にしました。") % {"name": token.name})
            return redirect("opendata_api:api_tokens", code=department.code)
        form = OpenDataTokenForm(request.POST)
        if form.is_valid():
            try:
                created, plaintext = opendata_token_create(
                    by=request.user, department=department, name=form.cleaned_data["name"]
                )
            except ValidationError as exc:
                for field, errors in getattr(exc, "error_dict", {None: exc.error_list}).items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form = OpenDataTokenForm()
    # The new token is in this response only: not stored, nor put in the session.
    return render(
        request,
        "opendata/api_tokens.html",
        {
            "department": department,
            "tokens": opendata_token_list(department=department),
            "form": form,
            "created": created,
            "plaintext": plaintext,
            "api_url": site_base()
            + reverse("opendata_api:action", kwargs={"ver": 3, "logic_function": "package_list"}),
        },
    )
