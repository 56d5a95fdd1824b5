"""Log-in, second factor, registration and password views for citizens and staff.

Each view validates input, calls one service, and renders. Messages never
say whether an address has an account.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp import user_has_device

from madoguchi.core.access import (
    authenticated,
    citizen_required,
    is_fully_authenticated,
    mark_second_factor,
    mfa_pending,
    public,
)
from madoguchi.core.overload import costly_work
from madoguchi.core.ratelimit import rate_limit

from . import services, sso
from .forms import EmailForm, LoginForm, PasswordConfirmForm, SignupForm, TokenForm
from .models import User

logger = logging.getLogger(__name__)


def _next_url(request: HttpRequest, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(default)


def _with_next(url_name: str, target: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{resolve_url(url_name)}?{urlencode({'next': target})}")


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """Shown instead of the log-in form while an account is locked (django-axes)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    logger.warning("log-in locked out after repeated failures path=%s", request.path)
    response = render(request, "accounts/locked.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response


# --- citizens ---------------------------------------------------------------


@public
@require_http_methods(["GET", "POST"])
@rate_limit("login_view", setting="login")
@costly_work
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.user.is_citizen and is_fully_authenticated(request.user):
        return redirect(_next_url(request, "accounts:home"))
    form = LoginForm(request, request.POST or None, kind=User.Kind.CITIZEN)
    if request.method == "POST" and form.is_valid():
        user = form.user_cache
        if user.email_verified_at is None:
            messages.warning(
                request, _("メールアドレスの確認がまだ済んでいません。届いたメールのリンクを開いてください。")
            )
            return redirect("accounts:verify_resend")
        login(request, user)
        logger.info("citizen logged in user_id=%s", user.pk)
        if user_has_device(user, confirmed=True):
            return _with_next("accounts:login_verify", _next_url(request, "accounts:home"))
        return redirect(_next_url(request, "accounts:home"))
    return render(request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")})


@mfa_pending
@require_http_methods(["GET", "POST"])
@rate_limit("login_verify", setting="login")
def login_verify(request: HttpRequest) -> HttpResponse:
    """Second step for a citizen who turned on the second factor."""
    user = request.user
    if is_fully_authenticated(user):
        return redirect(_next_url(request, "accounts:home"))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = services.totp_device_verify(user=user, token=form.cleaned_data["otp_token"])
        if device is not None:
            otp_login(request, device)
            mark_second_factor(request)
            return redirect(_next_url(request, "accounts:home"))
        form.add_error(
            "otp_token",
            _("確認コードが違うか、時間切れです。アプリに表示されている新しいコードを入力してください。"),
        )
    return render(request, "accounts/login_verify.html", {"form": form, "next": request.GET.get("next", "")})


@public
@require_http_methods(["GET", "POST"])
@rate_limit("signup", setting="signup")
@costly_work
def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.citizen_register(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                display_name=form.cleaned_data["display_name"],
                language=request.LANGUAGE_CODE,
            )
        except ValidationError as exc:
            form.add_error("password1", exc)
        else:
            return redirect("accounts:signup_done")
    return render(request, "accounts/signup.html", {"form": form})


@public
def signup_done(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/signup_done.html")


@public
def verify_email(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    user = services.citizen_verify_email(uidb64=uidb64, token=token)
    if user is None:
        return render(request, "accounts/verify_failed.html", status=400)
    messages.success(request, _("メールアドレスを確認しました。ログインしてください。"))
    return redirect("accounts:login")


@public
@require_http_methods(["GET", "POST"])
@rate_limit("verify_resend", setting="email")
def verify_resend(request: HttpRequest) -> HttpResponse:
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.email_verification_resend(email=form.cleaned_data["email"])
        return redirect("accounts:signup_done")
    return render(request, "accounts/verify_resend.html", {"form": form})


@public
@require_http_methods(["GET", "POST"])
@rate_limit("password_reset", setting="email")
def password_reset(request: HttpRequest) -> HttpResponse:
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.password_reset_request(email=form.cleaned_data["email"])
        return redirect("accounts:password_reset_done")
    return render(request, "accounts/password_reset.html", {"form": form})


@public
def password_reset_done(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/password_reset_done.html")


password_reset_confirm = public(
    auth_views.PasswordResetConfirmView.as_view(
        template_name="accounts/password_reset_confirm.html",
        success_url=reverse_lazy("accounts:password_reset_complete"),
        post_reset_login=False,
    )
)


@public
def password_reset_complete(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/password_reset_complete.html")


@citizen_required
def account_home(request: HttpRequest) -> HttpResponse:
    has_totp = user_has_device(request.user, confirmed=True)
    return render(request, "accounts/account_home.html", {"has_totp": has_totp})


def _enrolment_context(user: User) -> dict:
    device = services.totp_device_start(user=user)
    qr = segno.make(device.config_url, error="m")
    return {
        "qr_svg": qr.svg_data_uri(scale=5, border=2),
        "secret": _base32(device.bin_key),
    }


def _base32(key: bytes) -> str:
    import base64

    text = base64.b32encode(key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@citizen_required
@require_http_methods(["GET", "POST"])
def totp_setup(request: HttpRequest) -> HttpResponse:
    """A citizen turns on the optional second factor."""
    if user_has_device(request.user, confirmed=True):
        return redirect("accounts:home")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = services.totp_device_confirm(user=request.user, token=form.cleaned_data["otp_token"])
        if device is not None:
            otp_login(request, device)
            mark_second_factor(request)
            messages.success(
                request, _("2段階認証を設定しました。次回のログインから確認コードを入力します。")
            )
            return redirect("accounts:home")
        form.add_error(
            "otp_token", _("確認コードが違います。アプリに表示されている6桁の数字を入力してください。")
        )
    return render(request, "accounts/totp_setup.html", {"form": form, **_enrolment_context(request.user)})


@citizen_required
@require_http_methods(["GET", "POST"])
def totp_disable(request: HttpRequest) -> HttpResponse:
    form = PasswordConfirmForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.totp_devices_delete(user=request.user, by=request.user)
        messages.success(request, _("2段階認証を解除しました。"))
        return redirect("accounts:home")
    return render(request, "accounts/totp_disable.html", {"form": form})


# --- staff ------------------------------------------------------------------


@public
@require_http_methods(["GET", "POST"])
@rate_limit("staff_login", setting="login")
@costly_work
def staff_login(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.user.is_city_staff:
        return redirect(
            _next_url(request, "core:staff_home") if request.user.is_verified() else "accounts:staff_mfa"
        )
    form = LoginForm(request, request.POST or None, kind=User.Kind.STAFF)
    if request.method == "POST" and form.is_valid():
        login(request, form.user_cache)
        logger.info("staff password accepted user_id=%s", form.user_cache.pk)
        return _with_next("accounts:staff_mfa", _next_url(request, "core:staff_home"))
    context = {"form": form, "next": request.GET.get("next", ""), "sso_enabled": sso.sso_enabled()}
    if context["sso_enabled"]:
        context["sso_provider_name"] = sso.provider_name()
    return render(request, "accounts/staff_login.html", context)


@public
@require_GET
@rate_limit("staff_sso_start", setting="login", method="GET")
def staff_sso_start(request: HttpRequest) -> HttpResponse:
    """Single sign-on: off to the city's OpenID Connect provider (404 when not configured)."""
    if not sso.sso_enabled():
        raise Http404
    user = request.user
    if user.is_authenticated and user.is_city_staff and user.is_verified():
        return redirect(_next_url(request, "core:staff_home"))
    return sso.start_view(request)


@public
@require_GET
@rate_limit("staff_sso_callback", setting="login", method="GET")
def staff_sso_callback(request: HttpRequest) -> HttpResponse:
    """Single sign-on: back from the provider; an existing staff account only, then TOTP unless the provider gave a second factor."""
    if not sso.sso_enabled():
        raise Http404
    return sso.callback_view(request)


@mfa_pending
@require_http_methods(["GET", "POST"])
@rate_limit("staff_mfa", setting="login")
def staff_mfa(request: HttpRequest) -> HttpResponse:
    """The second step of every staff log-in: enrol a TOTP app the first time, then verify."""
    user = request.user
    if not user.is_city_staff:
        return redirect("core:home")
    if user.is_verified():
        return redirect(_next_url(request, "core:staff_home"))
    enrolled = user_has_device(user, confirmed=True)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["otp_token"]
        if enrolled:
            device = services.totp_device_verify(user=user, token=token)
        else:
            device = services.totp_device_confirm(user=user, token=token)
        if device is not None:
            otp_login(request, device)
            mark_second_factor(request)
            logger.info("staff second factor accepted user_id=%s", user.pk)
            return redirect(_next_url(request, "core:staff_home"))
        logger.info("staff second factor refused user_id=%s", user.pk)
        form.add_error(
            "otp_token",
            _("確認コードが違うか、時間切れです。アプリに表示されている新しいコードを入力してください。"),
        )
    context = {"form": form, "enrolled": enrolled, "next": request.GET.get("next", "")}
    if not enrolled:
        context.update(_enrolment_context(user))
    return render(request, "accounts/staff_mfa.html", context)


@authenticated
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    was_staff = request.user.is_city_staff
    logger.info("logged out user_id=%s", request.user.pk)
    logout(request)  # flushes the server-side session
    messages.info(request, _("ログアウトしました。"))
    return redirect("accounts:staff_login" if was_staff else "core:home")
