"""The REST API for core systems and RPA (docs/api.md; the contract is ``openapi.py``).

Plain Django views answering JSON. A request authenticates with ``Authorization: Bearer
<token>`` (``tokens.py``), never with a session: a logged-in browser gets 401 like anyone else,
which is also why the views are CSRF-exempt. A token sees its own department's cases only; any
other case answers 404. Every read is audited (one row per request, no staff actor, the token's
prefix in the detail). Errors are ``{"error": code, "message": English, "message_ja": 日本語}``
with a fitting status; bad input (JSON, dates, ids, cursors) is a 400 or a 404, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import uuid
from collections.abc import Callable
from datetime import date, datetime
from functools import wraps

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db.models import Q
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

from madoguchi.core.access import public
from madoguchi.core.ratelimit import usage as rate_usage
from madoguchi.privacy.audit import audit_record
from madoguchi.privacy.models import AuditEvent

from .exports import masked_answers
from .models import ApiToken, Case, CaseEvent
from .tokens import TransitionRefused, api_token_authenticate, case_transition_by_token, token_label

logger = logging.getLogger(__name__)

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_COMMENT = 2000
RATE_GROUP = "api"
RATE_SETTING = "lookup"


class BadRequest(Exception):
    def __init__(self, code: str, message: str, message_ja: str):
        super().__init__(message)
        self.code, self.message, self.message_ja = code, message, message_ja


def error(status: int, code: str, message: str, message_ja: str, **headers: str) -> JsonResponse:
    response = JsonResponse(
        {"error": code, "message": message, "message_ja": message_ja},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return _no_store(response)


def _json(data, status: int = 200) -> JsonResponse:
    return _no_store(JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False}))


def _no_store(response):
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _unauthorized(detail: str) -> JsonResponse:
    challenge = 'Bearer realm="madoguchi"' + (', error="invalid_token"' if detail == "invalid" else "")
    return error(
        401,
        "unauthorized",
        "Send a valid API token: Authorization: Bearer <token>.",
        "有効なAPIトークンを Authorization: Bearer <トークン> ヘッダーで送ってください。",
        WWW_Authenticate=challenge,
    )


def _rate_limited(request: HttpRequest) -> JsonResponse | None:
    rate = settings.MADOGUCHI_RATE_LIMITS[RATE_SETTING]
    usage = rate_usage(request, group=RATE_GROUP, rate=rate, methods=None)
    if usage is None or not usage.should_limit:
        return None
    retry_after = max(1, usage.time_left)
    logger.warning("rate limit reached group=%s path=%s", RATE_GROUP, request.path)
    audit_record(action=AuditEvent.Action.RATE_LIMITED, object_type=f"endpoint.{RATE_GROUP}",
                 result=AuditEvent.Result.DENIED, detail=rate, use_request_actor=False)  # fmt: skip
    return error(
        429,
        "rate_limited",
        f"Too many requests; retry after {retry_after} seconds.",
        f"リクエストが多すぎます。{retry_after}秒後にもう一度お試しください。",
        Retry_After=str(retry_after),
    )


def api_view(*methods: str) -> Callable[[Callable], Callable]:
    """Method check, rate limit and token authentication; the view gets ``request.api_token``."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            if request.method not in methods:
                return error(
                    405,
                    "method_not_allowed",
                    f"Use {' or '.join(methods)}.",
                    f"このURLには {' か '.join(methods)} でリクエストしてください。",
                    Allow=", ".join(methods),
                )
            limited = _rate_limited(request)
            if limited is not None:
                return limited
            header = request.headers.get("Authorization")
            token = api_token_authenticate(header)
            if token is None:
                logger.info("api request refused path=%s reason=%s", request.path,
                            "no token" if not header else "invalid token")  # fmt: skip
                return _unauthorized("invalid" if header else "missing")
            request.api_token = token
            try:
                return view(request, *args, **kwargs)
            except BadRequest as exc:
                return error(400, exc.code, exc.message, exc.message_ja)

        return public(csrf_exempt(wrapper))

    return decorator


# --- representations ---------------------------------------------------------------------------


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def case_summary(case: Case) -> dict:
    return {
        "id": str(case.pk),
        "receipt_number": case.receipt_number,
        "procedure": case.procedure.slug,
        "status": case.status,
        "received_on": _iso(case.received_on),
        "due_on": _iso(case.due_on),
        "channel": case.channel,
        "updated_at": _iso(case.updated_at),
    }


def case_history(case: Case) -> list[dict]:
    return [
        {
            "at": _iso(e.at),
            "from_status": e.from_status or None,
            "to_status": e.to_status,
            "comment": e.comment,
        }
        for e in case.events.filter(kind=CaseEvent.Kind.STATUS).order_by("at", "id")
    ]


def case_full(case: Case) -> dict:
    version = case.submission.version
    return {
        **case_summary(case),
        "procedure_version": version.number,
        "workflow": case.workflow,
        "paused_since": _iso(case.paused_since),
        "closed_at": _iso(case.closed_at),
        "answers": masked_answers(version.definition, case.submission.data),
        "history": case_history(case),
    }


# --- parameters ------------------------------------------------------------------------------


def _date_param(request: HttpRequest, name: str) -> date | None:
    value = request.GET.get(name, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadRequest(
            "invalid_parameter",
            f"{name}: give a date as YYYY-MM-DD.",
            f"{name}: 日付は YYYY-MM-DD の形で指定してください。",
        ) from None


def _datetime_param(request: HttpRequest, name: str) -> datetime | None:
    value = request.GET.get(name, "").strip()
    if not value:
        return None
    if " " in value and "T" in value:  # an unencoded "+09:00" arrives as " 09:00"
        value = value.replace(" ", "+")
    try:
        parsed = parse_datetime(value)
    except ValueError:
        parsed = None
    if parsed is None:
        raise BadRequest(
            "invalid_parameter",
            f"{name}: give a date and time in ISO 8601, e.g. 2025-04-01T09:00:00+09:00.",
            f"{name}: 日時は ISO 8601 の形（例：2025-04-01T09:00:00+09:00）で指定してください。",
        )
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _limit_param(request: HttpRequest) -> int:
    value = request.GET.get("limit", "").strip()
    if not value:
        return DEFAULT_LIMIT
    if not value.isdigit() or not 1 <= int(value) <= MAX_LIMIT:
        raise BadRequest(
            "invalid_parameter",
            f"limit: a whole number from 1 to {MAX_LIMIT}.",
            f"limit: 1から{MAX_LIMIT}までの整数で指定してください。",
        )
    return int(value)


def encode_cursor(case: Case) -> str:
    raw = json.dumps([case.updated_at.isoformat(), str(case.pk)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        stamp, case_id = json.loads(raw)
        at = datetime.fromisoformat(stamp)
        if timezone.is_naive(at):
            raise ValueError
        return at, uuid.UUID(case_id)
    except (binascii.Error, ValueError, TypeError, AttributeError):
        raise BadRequest(
            "invalid_cursor",
            "cursor: pass the next_cursor of the previous page unchanged.",
            "cursor: 前のページの next_cursor をそのまま指定してください。",
        ) from None


def _token_cases(token: ApiToken):
    return Case.objects.filter(department_id=token.department_id)


def _audit_read(request: HttpRequest, *, action: str, object_id, detail: str, fields) -> None:
    token: ApiToken = request.api_token
    audit_record(action=action, object_type="cases.case", object_id=object_id,
                 department_code=token.department.code, fields=fields, purpose="基幹システム連携（API）",
                 detail=detail, use_request_actor=False)  # fmt: skip


def _case_or_none(token: ApiToken, case_id) -> Case | None:
    return (
        _token_cases(token)
        .select_related("submission__version", "procedure", "department")
        .filter(pk=case_id)
        .first()
    )


def _not_found() -> JsonResponse:
    return error(404, "not_found", "No such case (or not your department's).", "その案件は見つかりません。")


# --- views ----------------------------------------------------------------------------------------


@api_view("GET")
def case_list(request: HttpRequest) -> JsonResponse:
    token: ApiToken = request.api_token
    cases = _token_cases(token).select_related("procedure")
    if status := request.GET.get("status", "").strip():
        cases = cases.filter(closed_at__isnull=True) if status == "open" else cases.filter(status=status)
    if procedure := request.GET.get("procedure", "").strip():
        cases = cases.filter(procedure__slug=procedure)
    if received_from := _date_param(request, "received_from"):
        cases = cases.filter(received_on__gte=received_from)
    if received_to := _date_param(request, "received_to"):
        cases = cases.filter(received_on__lte=received_to)
    if updated_since := _datetime_param(request, "updated_since"):
        cases = cases.filter(updated_at__gte=updated_since)
    limit = _limit_param(request)
    if cursor := request.GET.get("cursor", "").strip():
        at, case_id = decode_cursor(cursor)
        cases = cases.filter(Q(updated_at__gt=at) | Q(updated_at=at, pk__gt=case_id))
    page = list(cases.order_by("updated_at", "pk")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    _audit_read(request, action=AuditEvent.Action.EXPORT, object_id="list",
                detail=f"{token_label(token)}: {len(page)} case(s)", fields=["receipt_number", "status"])  # fmt: skip
    return _json({
        "results": [case_summary(c) for c in page],
        "next_cursor": encode_cursor(page[-1]) if more else None,
        "limit": limit,
    })  # fmt: skip


@api_view("GET")
def case_detail(request: HttpRequest, case_id: uuid.UUID) -> JsonResponse:
    token: ApiToken = request.api_token
    case = _case_or_none(token, case_id)
    if case is None:
        return _not_found()
    _audit_read(request, action=AuditEvent.Action.READ, object_id=case.pk, detail=token_label(token),
                fields=["submission"])  # fmt: skip
    return _json(case_full(case))


def _json_body(request: HttpRequest) -> dict:
    try:
        body = json.loads(request.body or b"")
    except RequestDataTooBig:
        raise BadRequest(
            "body_too_large", "The request body is too large.", "リクエストの本文が大きすぎます。"
        ) from None
    except (ValueError, RecursionError):
        raise BadRequest(
            "invalid_json", "The body must be a JSON object.", "本文は JSON のオブジェクトにしてください。"
        ) from None
    if not isinstance(body, dict):
        raise BadRequest(
            "invalid_json", "The body must be a JSON object.", "本文は JSON のオブジェクトにしてください。"
        )
    return body


@api_view("POST")
def case_status(request: HttpRequest, case_id: uuid.UUID) -> JsonResponse:
    token: ApiToken = request.api_token
    if token.scope != ApiToken.Scope.WRITE:
        return error(
            403,
            "insufficient_scope",
            "This token may only read; changing a case needs a write token.",
            "このトークンは読み取り専用です。案件の状況を変えるには読み書きのトークンが必要です。",
        )
    body = _json_body(request)
    to_status, comment = body.get("status"), body.get("comment", "")
    if not isinstance(to_status, str) or not to_status.strip() or len(to_status) > 40:
        raise BadRequest(
            "invalid_request", "status: give the new status.", "status: 新しい状況を指定してください。"
        )
    if comment is None:
        comment = ""
    if not isinstance(comment, str) or len(comment) > MAX_COMMENT:
        raise BadRequest(
            "invalid_request",
            f"comment: text of at most {MAX_COMMENT} characters.",
            f"comment: {MAX_COMMENT}文字以内の文字列にしてください。",
        )
    case = _case_or_none(token, case_id)
    if case is None:
        return _not_found()
    try:
        case = case_transition_by_token(token=token, case=case, to_status=to_status.strip(), comment=comment)
    except TransitionRefused as exc:
        return error(409 if exc.conflict else 400, exc.code, exc.message, exc.message_ja)
    except PermissionDenied:
        return error(
            403,
            "forbidden",
            "This token may not change this case.",
            "このトークンではこの案件を変更できません。",
        )
    return _json({**case_summary(case), "history": case_history(case)})


@public
@csrf_exempt
def openapi_document(request: HttpRequest) -> JsonResponse:
    """The OpenAPI 3.1 description of this API (no token needed: it holds no personal data)."""
    from .openapi import build_document

    if request.method not in ("GET", "HEAD"):
        return error(
            405, "method_not_allowed", "Use GET.", "このURLには GET でリクエストしてください。", Allow="GET"
        )
    return _json(build_document())


@public
@csrf_exempt
def not_found(request: HttpRequest) -> JsonResponse:
    """Anything else under /api/v1/ (including a malformed case id): a JSON 404, not the HTML page."""
    return error(404, "not_found", "No such endpoint.", "そのURLはありません。")
