"""Rate limits on log-in, registration, submission and look-up endpoints.

Counting is django-ratelimit's, on the shared database cache (``CACHES['ratelimit']``),
so every web process on every host counts together. Above the limit the view is not
called: the visitor gets 429 with ``Retry-After`` and a plain page, and a log line and
an audit row record the refusal (without the visitor's input).

When the counters cannot be read or written (the database is locked or down), the limit fails
closed, as django-ratelimit does: the request is refused with 429 (``Retry-After: 1``). If the audit row cannot be
written either, the refusal is still answered (and logged), never turned into a 500.
"""

from __future__ import annotations

import logging
from functools import wraps

from django.conf import settings
from django.db import DatabaseError
from django.shortcuts import render
from django_ratelimit.core import get_usage

logger = logging.getLogger(__name__)


def client_key(group, request) -> str:
    from madoguchi.core.context import client_ip

    return client_ip(request) or "unknown"


def rate_limit(group: str, *, setting: str, method: str = "POST"):
    """Limit ``method`` requests per client address to the rate in ``settings.MADOGUCHI_RATE_LIMITS[setting]``."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            rate = settings.MADOGUCHI_RATE_LIMITS[setting]
            try:
                usage = get_usage(
                    request, group=group, key=client_key, rate=rate, method=[method], increment=True
                )
            except DatabaseError as exc:  # the counters are unreadable: fail closed, as django-ratelimit does
                logger.warning("rate limit counters unavailable group=%s (%s)", group, type(exc).__name__)
                usage = {"should_limit": True, "time_left": 1}
            if usage is not None and usage["should_limit"]:
                retry_after = max(1, int(usage["time_left"]))
                logger.warning("rate limit reached group=%s path=%s", group, request.path)
                from madoguchi.privacy.audit import audit_record

                try:
                    audit_record(
                        action="rate_limited", object_type=f"endpoint.{group}", result="denied", detail=rate
                    )
                except DatabaseError as exc:  # the database is what is overloaded: still answer 429, not 500
                    logger.warning("rate limit refusal not audited group=%s (%s)", group, type(exc).__name__)
                response = render(
                    request,
                    "429.html",
                    {"retry_after": retry_after, "retry_minutes": max(1, round(retry_after / 60))},
                    status=429,
                )
                response["Retry-After"] = str(retry_after)
                return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
