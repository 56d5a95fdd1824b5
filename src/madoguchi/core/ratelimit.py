"""Rate limits on log-in, registration, submission and look-up endpoints.

Each limit is a fixed window per client address, counted in the shared counter cache
(``CACHES['ratelimit']``: ``core.counters.CounterCache``, one database row per address and window),
so every web process on every host counts together. One limited request costs one statement: the
counter is created or incremented by a single upsert (``CounterCache.hit``). Windows are staggered
by the address, so that not every client's window ends at the same second.

Above the limit the view is not called: the visitor gets 429 with ``Retry-After`` and a plain page,
and a log line and an audit row record the refusal (without the visitor's input).

When the counters cannot be read or written (the database is locked or down), the limit fails
closed: the request is refused with 429 (``Retry-After: 1``). If the audit row cannot be written
either, the refusal is still answered (and logged), never turned into a 500.

Written by hand (about forty lines) in place of django-ratelimit, whose counting through a general
cache (``add``, then ``incr``) took two statements per request; see docs/performance.md.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
import zlib
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError
from django.shortcuts import render

logger = logging.getLogger(__name__)

_RATE = re.compile(r"^(\d+)/(\d*)([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
CACHE_NAME = "ratelimit"


def parse_rate(rate: str) -> tuple[int, int]:
    """``"30/10m"`` → (30 requests, 600 seconds)."""
    match = _RATE.match(rate.strip())
    if match is None:
        raise ImproperlyConfigured(f"rate limit {rate!r}: expected count/period, as 30/10m")
    count, multiple, unit = match.groups()
    return int(count), int(multiple or 1) * _UNIT_SECONDS[unit]


def clock() -> float:
    """The time the windows are cut from (tests stand it still)."""
    return time.time()


@dataclass(frozen=True)
class Usage:
    count: int
    limit: int
    time_left: int  # seconds until this window ends

    @property
    def should_limit(self) -> bool:
        return self.count > self.limit


def client_key(group, request) -> str:
    from madoguchi.core.context import client_ip

    return client_ip(request) or "unknown"


def usage(request, *, group: str, rate: str, methods=("POST",)) -> Usage | None:
    """Count this request against ``rate`` for its client address; None when its method is not limited.

    Raises ``DatabaseError`` when the counters cannot be written (callers fail closed).
    """
    if methods is not None and request.method not in methods:
        return None
    limit, period = parse_rate(rate)
    value = client_key(group, request)
    now = int(clock())
    offset = zlib.crc32(value.encode()) % period
    window_end = now - (now - offset) % period + period
    digest = hashlib.sha256(f"{group}|{rate}|{value}|{window_end}".encode()).hexdigest()
    key, timeout = f"rl:{digest}", window_end - now + 5
    cache = caches[CACHE_NAME]
    if hasattr(cache, "hit"):  # the counter table: one upsert
        count = cache.hit(key, timeout)
    elif cache.add(key, 1, timeout):  # any other cache (a test's in-memory one)
        count = 1
    else:
        count = cache.incr(key)
    return Usage(count=count, limit=limit, time_left=window_end - now)


def rate_limit(group: str, *, setting: str, method: str = "POST"):
    """Limit ``method`` requests per client address to the rate in ``settings.MADOGUCHI_RATE_LIMITS[setting]``."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            rate = settings.MADOGUCHI_RATE_LIMITS[setting]
            try:
                counted = usage(request, group=group, rate=rate, methods=(method,))
            except DatabaseError as exc:  # the counters are unreadable: fail closed
                logger.warning("rate limit counters unavailable group=%s (%s)", group, type(exc).__name__)
                counted = Usage(count=1, limit=0, time_left=1)
            if counted is not None and counted.should_limit:
                retry_after = max(1, counted.time_left)
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
