from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthenticationMiddleware
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url


class AuthenticationMiddleware(DjangoAuthenticationMiddleware):
    """Django's ``request.user`` (read when first used), taking the account read together with the
    session when the session store did (``madoguchi.core.sessions``): one query instead of two."""

    def process_request(self, request):
        from django.utils.functional import SimpleLazyObject

        from .sessions import authenticated_user

        super().process_request(request)  # its checks, and request.auser
        request.user = SimpleLazyObject(lambda: authenticated_user(request))


class StaffAreaMiddleware:
    """Guards the admin site, whose views carry no access rule of ours.

    Only a system administrator (Django's ``is_staff``) who has passed the
    second factor reaches ``/admin/``; a staff member still without it is sent
    to enrol or verify; anyone else gets 404. Our own views are guarded by
    their decorators (``madoguchi.core.access``).
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.admin_prefix = "/admin/"

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(self.admin_prefix):
            user = request.user
            if not user.is_authenticated:
                url = resolve_url(settings.STAFF_LOGIN_URL)
                return HttpResponseRedirect(f"{url}?{urlencode({'next': request.get_full_path()})}")
            if not (user.is_city_staff and user.is_staff):
                raise Http404
            if not user.is_verified():
                return HttpResponseRedirect(resolve_url("accounts:staff_mfa"))
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """Content-Security-Policy, Permissions-Policy, and no caching of personal pages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"
        )
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response.headers["Cache-Control"] = "no-store"
        return response


TOUCHED_KEY = "_touched"


class SessionTouchMiddleware:
    """Extends a session on activity without writing it on every request (the idle timeout).

    Django's ``SESSION_SAVE_EVERY_REQUEST`` writes the session row on every page — three statements
    per request, most of them for nothing. Here a request that changed nothing re-saves the session
    (which moves its expiry ``SESSION_COOKIE_AGE`` ahead) only when the last save is older than
    ``MADOGUCHI_SESSION_TOUCH_SECONDS``: the idle timeout is then exact to within that time.
    Placed right after ``SessionMiddleware``, so that its response phase runs before the save.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.is_empty() or response.status_code >= 500:
            return response
        now = int(time.time())
        if (
            session.modified
            or now - int(session.get(TOUCHED_KEY, 0)) >= settings.MADOGUCHI_SESSION_TOUCH_SECONDS
        ):
            session[TOUCHED_KEY] = now
        return response
