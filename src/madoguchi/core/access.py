"""Who may use a view: every view declares it, and nothing is allowed by default.

Decorate each view with exactly one of

* ``public``: anyone, logged in or not;
* ``citizen_required``: a logged-in citizen (with their second factor, if they set one up);
* ``staff_required()`` / ``staff_required(Role.DEPT_ADMIN, ...)``: a staff member who has
  passed the second factor, optionally holding one of the roles;
* ``mfa_pending``: a staff member who has given the password but not yet the second
  factor (only the enrolment and verification pages use it);
* ``authenticated``: anyone logged in (log-out).

A test walks the URL configuration and fails for any view without a rule.
Objects are scoped separately, in selectors: an object outside the user's
departments answers 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import wraps
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import resolve_url

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest, HttpResponse


SECOND_FACTOR_SESSION_KEY = "madoguchi_second_factor_at"


def mark_second_factor(request: HttpRequest, at: float | None = None) -> None:
    """Remember when the second factor was last given (for step-up checks such as a My Number reveal).

    ``at`` (a Unix time) is for a second factor given elsewhere, such as at the single
    sign-on provider; it is never later than now.
    """
    import time

    now = time.time()
    request.session[SECOND_FACTOR_SESSION_KEY] = now if at is None else min(float(at), now)


@dataclass(frozen=True)
class AccessRule:
    kind: str
    roles: frozenset[str] = field(default_factory=frozenset)

    def __str__(self) -> str:
        return self.kind + (f"({', '.join(sorted(self.roles))})" if self.roles else "")


def user_needs_second_factor(user) -> bool:
    """Staff always need a second factor; citizens only once they have set one up."""
    if user.is_city_staff:
        return True
    from django_otp import user_has_device

    return user_has_device(user, confirmed=True)


def is_fully_authenticated(user) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    return not user_needs_second_factor(user) or user.is_verified()


def _redirect_to(url_name: str, request: HttpRequest) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{resolve_url(url_name)}?{urlencode({'next': request.get_full_path()})}")


def _mark(view: Callable, rule: AccessRule) -> Callable:
    view.access_rule = rule  # type: ignore[attr-defined]
    return view


def public(view: Callable) -> Callable:
    return _mark(view, AccessRule("public"))


def authenticated(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return _redirect_to(settings.LOGIN_URL, request)
        return view(request, *args, **kwargs)

    return _mark(wrapper, AccessRule("authenticated"))


def citizen_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return _redirect_to(settings.LOGIN_URL, request)
        if not user.is_citizen:
            raise Http404
        if not is_fully_authenticated(user):
            return _redirect_to("accounts:login_verify", request)
        return view(request, *args, **kwargs)

    return _mark(wrapper, AccessRule("citizen"))


def staff_required(*roles: str) -> Callable[[Callable], Callable]:
    """A staff member past the second factor; with roles, holding one of them (in any department).

    Whether the role is held in the department of the object at hand is the
    selector's business (it answers 404 otherwise).
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return _redirect_to(settings.STAFF_LOGIN_URL, request)
            if not user.is_city_staff:
                raise Http404
            if not user.is_verified():
                return _redirect_to("accounts:staff_mfa", request)
            if roles and not any(user.has_role(role) for role in roles):
                raise Http404
            return view(request, *args, **kwargs)

        return _mark(wrapper, AccessRule("staff", frozenset(roles)))

    return decorator


def mfa_pending(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return _redirect_to(settings.LOGIN_URL, request)
        return view(request, *args, **kwargs)

    return _mark(wrapper, AccessRule("mfa_pending"))
