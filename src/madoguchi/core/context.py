"""Who is asking, and from where: set once per request, read by the audit trail."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class RequestInfo:
    user: object | None
    client_ip: str | None


_current: ContextVar[RequestInfo | None] = ContextVar("madoguchi_request", default=None)


def client_ip(request) -> str | None:
    """REMOTE_ADDR, or the address the last trusted proxy saw (MADOGUCHI_PROXY_COUNT)."""
    proxies = settings.AXES_IPWARE_PROXY_COUNT or 0
    if proxies:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None


def set_current(info: RequestInfo | None):
    return _current.set(info)


def reset_current(token) -> None:
    _current.reset(token)


def current() -> RequestInfo | None:
    return _current.get()


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = set_current(RequestInfo(user=getattr(request, "user", None), client_ip=client_ip(request)))
        try:
            return self.get_response(request)
        finally:
            reset_current(token)
