"""``/api/disaster/``: the state of disaster mode for anyone (GET, no personal data) and the switch
for the city's disaster-response system with a disaster token (POST to declare; DELETE, or POST
to ``/api/disaster/end``, to end). A cases-API or open-data token is refused (401): only a
``DisasterToken`` switches. Errors are ``{"error", "message", "message_ja"}`` as in the cases API,
field errors in ``fields``; every switch is an audit row naming the token's prefix."""

from __future__ import annotations

import json
import logging

from django.core.exceptions import RequestDataTooBig, ValidationError
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from madoguchi.cases.api import _json, _rate_limited, _unauthorized, error
from madoguchi.core.access import public

from . import selectors, services

logger = logging.getLogger(__name__)


def _token_or_401(request: HttpRequest):
    header = request.headers.get("Authorization")
    token = services.disaster_token_authenticate(header)
    if token is None:
        logger.info("disaster api refused reason=%s", "no token" if not header else "invalid token")
    return token, _unauthorized("invalid" if header else "missing")


def _conflict(exc: services.DisasterConflict) -> JsonResponse:
    english = {"already_active": "A disaster is already active; end it first.",
               "not_active": "No disaster is active."}  # fmt: skip
    return error(409, exc.code, english.get(exc.code, exc.code), exc.message_ja)


def _end(request: HttpRequest, token) -> JsonResponse:
    try:
        services.end_disaster(token=token)
    except services.DisasterConflict as exc:
        return _conflict(exc)
    return _json(selectors.disaster_public_state())


@public
@csrf_exempt
def state(request: HttpRequest) -> JsonResponse:
    if request.method == "GET":
        return _json(selectors.disaster_public_state())
    if request.method not in ("POST", "DELETE"):
        return error(405, "method_not_allowed", "Use GET, POST or DELETE.",
                     "このURLには GET か POST か DELETE でリクエストしてください。", Allow="GET, POST, DELETE")  # fmt: skip
    limited = _rate_limited(request)
    if limited is not None:
        return limited
    token, refusal = _token_or_401(request)
    if token is None:
        return refusal
    if request.method == "DELETE":
        return _end(request, token)
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, RequestDataTooBig):
        body = None
    if not isinstance(body, dict):
        return error(
            400, "invalid_json", "The body must be a JSON object.", "本文はJSONのオブジェクトにしてください。"
        )
    try:
        services.declare_disaster(name=body.get("name"), kind=body.get("kind"), occurred_on=body.get("date"),
                                  area=body.get("area", []), token=token)  # fmt: skip
    except ValidationError as exc:
        fields = {("date" if k == "occurred_on" else k): " ".join(v) for k, v in exc.message_dict.items()}
        response = _json({"error": "invalid", "message": "Some fields are invalid; see fields.",
                          "message_ja": "入力に誤りがあります。", "fields": fields}, status=400)  # fmt: skip
        return response
    except services.DisasterConflict as exc:
        return _conflict(exc)
    return _json(selectors.disaster_public_state(), status=201)


@public
@csrf_exempt
def end(request: HttpRequest) -> JsonResponse:
    if request.method != "POST":
        return error(
            405,
            "method_not_allowed",
            "Use POST.",
            "このURLには POST でリクエストしてください。",
            Allow="POST",
        )
    limited = _rate_limited(request)
    if limited is not None:
        return limited
    token, refusal = _token_or_401(request)
    if token is None:
        return refusal
    return _end(request, token)
