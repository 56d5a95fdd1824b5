"""Overload behaviour: admission control, queue-time shedding and database timeouts for web requests.

``AdmissionControlMiddleware`` is the first middleware. Each web process lets at most
``MADOGUCHI_MAX_CONCURRENT`` requests be worked at once (a semaphore). A request that finds no
free slot within ``MADOGUCHI_ADMISSION_WAIT_MS`` is answered at once with 503, ``Retry-After`` and
a plain page in Japanese and English; so is a request that the reverse proxy says already waited
longer than ``MADOGUCHI_MAX_QUEUE_MS`` in front of the application (``X-Request-Start``). Either
way the view never ran: nothing was stored, and the page says so. Health and readiness checks and
static files are never shed.

The 503 page is rendered without the database (the city's name and telephone number are read
from its data file, ``data/municipalities/<code>-*.yaml``) and without the visitor's language
(it shows both), so shedding costs almost nothing and works when the database is the problem.

The same middleware marks its process as a web process: from then on, each new PostgreSQL
connection gets ``statement_timeout`` and ``lock_timeout`` (SQLite: ``busy_timeout``), so a stuck
lock ends a request with a clear error instead of a hang. Workers, migrations and management
commands never load the middleware and keep no limit. docs/operations.md ("Overload").
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache, wraps

import yaml
from django.conf import settings
from django.db.backends.signals import connection_created
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.urls import Resolver404, resolve

logger = logging.getLogger(__name__)

# Never shed: the load balancer's probes must tell "busy" from "down", and static files are cheap.
EXEMPT_PATHS = ("/healthz", "/readyz")

# Form-runner pages whose POST, when shed, leaves every answer in the saved draft: the check page
# sends a draft that already holds all the answers (each page is saved when the citizen continues).
DRAFT_SAVED_VIEWS = {"submissions:check", "submissions:bundle_check"}
# A form page's POST carries that page's answers: the earlier pages are saved, this one is not.
PAGE_VIEWS = {"submissions:page", "submissions:bundle_shared"}
RUNNER_PREFIX = "/apply/"  # where both live (submissions/urls.py)


# --- statistics (per process) and rate-limited logging ---------------------------------------------


@dataclass
class _Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    in_flight: int = 0
    shed_busy: int = 0
    shed_queue: int = 0
    shed_costly: int = 0
    unlogged: dict = field(default_factory=dict)
    last_log: float = 0.0


stats = _Stats()
LOG_INTERVAL_SECONDS = 10.0


def _count_shed(reason: str) -> None:
    """Count a shed request; write at most one log line per interval (counts only, no request data)."""
    now = time.monotonic()
    with stats.lock:
        if reason == "busy":
            stats.shed_busy += 1
        elif reason == "costly":
            stats.shed_costly += 1
        else:
            stats.shed_queue += 1
        stats.unlogged[reason] = stats.unlogged.get(reason, 0) + 1
        if now - stats.last_log < LOG_INTERVAL_SECONDS:
            return
        counts, stats.unlogged, stats.last_log = stats.unlogged, {}, now
        in_flight = stats.in_flight
    logger.warning(
        "overload: shed requests busy=%d queue=%d costly=%d in_flight=%d (at most one line per %ds)",
        counts.get("busy", 0), counts.get("queue", 0), counts.get("costly", 0), in_flight, LOG_INTERVAL_SECONDS,
    )  # fmt: skip


def snapshot() -> dict:
    """This process's admission state, for /readyz (numbers only)."""
    with stats.lock:
        return {
            "in_flight": stats.in_flight,
            "limit": settings.MADOGUCHI_MAX_CONCURRENT,
            "shed_busy": stats.shed_busy,
            "shed_queue": stats.shed_queue,
            "shed_costly": stats.shed_costly,
        }


# --- the X-Request-Start header ---------------------------------------------------------------------

_START = re.compile(r"^\s*(?:t=)?\s*(\d+(?:\.\d+)?)\s*$")


def queued_seconds(header: str | None, now: float | None = None) -> float | None:
    """How long the request waited in front of the application, from ``X-Request-Start``.

    nginx sends ``t=<seconds>.<milliseconds>`` (``$msec``); others send milliseconds or
    microseconds since the epoch, with or without ``t=``. Unreadable values count as no header.
    """
    if not header:
        return None
    match = _START.match(header)
    if match is None:
        return None
    value = float(match.group(1))
    if value > 1e14:  # microseconds
        value /= 1_000_000
    elif value > 1e11:  # milliseconds
        value /= 1000
    now = time.time() if now is None else now
    return max(0.0, now - value)


# --- the 503 page -----------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def city_contact(code: str) -> dict:
    """The city's name and telephone number from its data file (no database); empty if none."""
    for path in sorted((settings.BASE_DIR / "data" / "municipalities").glob(f"{code}-*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            logger.exception("could not read the municipality file for the busy page")
            return {}
        return {
            "name": str(data.get("name", "")),
            "name_en": str(data.get("name_en", "")),
            "phone": str(data.get("phone", "")),
            "opening_hours": str(data.get("opening_hours", "")),
            "opening_hours_en": str(data.get("opening_hours_en", "")),
        }
    return {}


def _wait_words(seconds: int) -> tuple[str, str]:
    if seconds < 60:
        return f"{seconds}秒", f"{seconds} seconds"
    minutes = max(1, round(seconds / 60))
    return f"{minutes}分", f"{minutes} minute" + ("s" if minutes > 1 else "")


@lru_cache(maxsize=16)
def _busy_page(kind: str, retry_after: int, code: str) -> bytes:
    wait_ja, wait_en = _wait_words(retry_after)
    context = {"kind": kind, "wait_ja": wait_ja, "wait_en": wait_en, "city": city_contact(code)}
    return loader.get_template("503.html").render(context).encode("utf-8")


def _kind(request) -> str:
    """Which message is true for this request: nothing was sent, and what is kept."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return "read"
    if not request.path_info.startswith(RUNNER_PREFIX):  # resolving every URL costs ~0.3 ms
        return "post"
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return "post"
    if match.view_name in DRAFT_SAVED_VIEWS:
        return "submit"
    if match.view_name in PAGE_VIEWS:
        return "page"
    return "post"


def busy_response(request, reason: str) -> HttpResponse:
    """503 with ``Retry-After``; built without the database, the session or the user."""
    retry_after = settings.MADOGUCHI_OVERLOAD_RETRY_AFTER
    if request.path_info.startswith("/api/"):
        response = JsonResponse(
            {"error": {"code": "overloaded", "retry_after": retry_after,
                       "message": f"The service is busy; nothing was processed. Retry after {retry_after} seconds.",
                       "message_ja": f"混み合っています。処理はしていません。{retry_after}秒後にもう一度お試しください。"}},
            status=503,
        )  # fmt: skip
    else:
        page = _busy_page(_kind(request), retry_after, settings.MADOGUCHI_MUNICIPALITY_CODE)
        response = HttpResponse(page, status=503, content_type="text/html; charset=utf-8")
        response["Content-Security-Policy"] = settings.CONTENT_SECURITY_POLICY
        response["X-Frame-Options"] = "DENY"
        response["Referrer-Policy"] = "same-origin"
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Madoguchi-Shed"] = reason
    return response


# --- database timeouts for web processes --------------------------------------------------------


def _set_web_timeouts(sender, connection, **kwargs) -> None:
    statement_ms = settings.MADOGUCHI_DB_STATEMENT_TIMEOUT_MS
    lock_ms = settings.MADOGUCHI_DB_LOCK_TIMEOUT_MS
    if connection.vendor == "postgresql" and (statement_ms or lock_ms):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('statement_timeout', %s, false), set_config('lock_timeout', %s, false)",
                [f"{statement_ms}ms", f"{lock_ms}ms"],
            )
    elif connection.vendor == "sqlite" and lock_ms:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {int(lock_ms)}")


def install_web_db_timeouts() -> None:
    """From now on, this process's new database connections carry the web timeouts."""
    connection_created.connect(_set_web_timeouts, dispatch_uid="madoguchi.core.overload.web_timeouts")


# --- the middleware ---------------------------------------------------------------------------------


class AdmissionControlMiddleware:
    """Per-process admission control for a threaded WSGI server (gunicorn gthread, granian's WSGI
    interface, runserver); one instance per process, so one semaphore per process."""

    sync_capable = True
    async_capable = False

    def __init__(self, get_response):
        self.get_response = get_response
        limit = settings.MADOGUCHI_MAX_CONCURRENT
        self.semaphore = threading.BoundedSemaphore(limit) if limit > 0 else None
        self.wait = max(0, settings.MADOGUCHI_ADMISSION_WAIT_MS) / 1000
        self.max_queue = max(0, settings.MADOGUCHI_MAX_QUEUE_MS) / 1000
        self.static_prefix = "/" + settings.STATIC_URL.lstrip("/") if settings.STATIC_URL else None
        install_web_db_timeouts()
        # Prepare the pages now (template loading, the city's file), not while overloaded.
        for kind in ("read", "submit", "page", "post"):
            _busy_page(kind, settings.MADOGUCHI_OVERLOAD_RETRY_AFTER, settings.MADOGUCHI_MUNICIPALITY_CODE)

    def _exempt(self, path: str) -> bool:
        return path in EXEMPT_PATHS or bool(self.static_prefix and path.startswith(self.static_prefix))

    def __call__(self, request):
        if self._exempt(request.path_info):
            return self.get_response(request)
        queued = queued_seconds(request.META.get("HTTP_X_REQUEST_START"))
        request.madoguchi_arrived = time.monotonic() - (queued or 0.0)  # for costly_work()
        if self.max_queue and queued is not None and queued > self.max_queue:
            _count_shed("queue")
            return busy_response(request, "queue")
        if self.semaphore is None:
            return self.get_response(request)
        if not self.semaphore.acquire(timeout=self.wait):
            _count_shed("busy")
            return busy_response(request, "busy")
        with stats.lock:
            stats.in_flight += 1
        try:
            return self.get_response(request)
        finally:
            with stats.lock:
                stats.in_flight -= 1
            self.semaphore.release()


# --- costly work: hashing a password ---------------------------------------------------------------


@lru_cache(maxsize=4)
def _costly_slots(limit: int) -> threading.BoundedSemaphore:
    """This process's hashing slots (one semaphore per setting's value)."""
    return threading.BoundedSemaphore(limit)


def _costly_semaphore() -> threading.BoundedSemaphore | None:
    limit = settings.MADOGUCHI_COSTLY_AT_ONCE
    return _costly_slots(limit) if limit > 0 else None


def costly_work(view):
    """For views whose POST hashes a password (PBKDF2: about half a second of one core).

    At most ``MADOGUCHI_COSTLY_AT_ONCE`` such POSTs are worked at once per process, and one begins
    only up to ``MADOGUCHI_COSTLY_START_BY_MS`` after the request arrived (at the reverse proxy, by
    ``X-Request-Start``, else at this process): a log-in that could no longer be answered in time is
    answered at once with 503 and ``Retry-After``, before any hashing, instead of timing out after it.
    Nothing is checked or stored for a refused request; the visitor logs in again later.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        slots = _costly_semaphore()
        if request.method != "POST" or slots is None:
            return view(request, *args, **kwargs)
        arrived = getattr(request, "madoguchi_arrived", None)
        start_by = settings.MADOGUCHI_COSTLY_START_BY_MS / 1000
        left = start_by if arrived is None else start_by - (time.monotonic() - arrived)
        if left <= 0 or not slots.acquire(timeout=left):
            _count_shed("costly")
            return busy_response(request, "costly")
        try:
            return view(request, *args, **kwargs)
        finally:
            slots.release()

    return wrapper


# --- a submission the database could not take ------------------------------------------------------


def submission_not_sent(request, *, check_url: str, exc: Exception) -> HttpResponse:
    """The page for a submit that failed in the database (a lock or statement timeout, a lost connection).

    ``submission_create`` is one transaction, so nothing was stored and the draft still holds every
    answer: the citizen is told so and sends again from the check page (the same token, so never twice).
    """
    from django.db import connection
    from django.shortcuts import render

    logger.warning("submission not sent: the database failed (%s)", type(exc).__name__)
    try:
        if not connection.is_usable():
            connection.close()  # the next query (the session, this page) opens a new connection
    except Exception:
        connection.close()
    retry_after = settings.MADOGUCHI_OVERLOAD_RETRY_AFTER
    try:
        response = render(request, "core/not_sent.html", {"check_url": check_url, "retry_after": retry_after},
                          status=503)  # fmt: skip
    except Exception:  # the database is gone altogether: the page that needs nothing
        response = HttpResponse(_busy_page("submit", retry_after, settings.MADOGUCHI_MUNICIPALITY_CODE),
                                status=503, content_type="text/html; charset=utf-8")  # fmt: skip
    response["Retry-After"] = str(retry_after)
    return response
