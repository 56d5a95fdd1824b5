"""Rate limits on log-in, registration, submission and look-up endpoints.

Counting is django-ratelimit's, on the shared database cache (``CACHES['ratelimit']``),
so every web process on every host counts together. Above the limit the view is not
called: the visitor gets 429 with ``Retry-After`` and a plain page, and a log line and
an audit row record the refusal (without the visitor's input).
"""

from __future__ import annotations

import logging
from functools import wraps

from django.conf import settings
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
            usage = get_usage(
                request, group=group, key=client_key, rate=rate, method=[method], increment=True
            )
            if usage is not None and usage["should_limit"]:
                retry_after = max(1, int(usage["time_left"]))
                logger.warning("rate limit reached group=%s path=%s", group, request.path)
                from madoguchi.privacy.audit import audit_record

                audit_record(
                    action="rate_limited", object_type=f"endpoint.{group}", result="denied", detail=rate
                )
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
