from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url


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
