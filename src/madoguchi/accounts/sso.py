"""Staff single sign-on through the city's OpenID Connect provider (mozilla-django-oidc).

Off unless configured (``sso_enabled``). The flow is the library's authorization-code
flow with state, nonce and PKCE; what this module adds:

* the ID token is checked in full: signature with the configured algorithm only,
  ``iss``, ``aud`` (and ``azp``), ``exp`` and ``iat``; the userinfo answer must be about
  the same ``sub``;
* only an existing, active staff account matched on the e-mail address (any letter
  case, ``email_verified`` not false) logs in; nobody is ever created; a refusal is
  logged with a reason code and never the address;
* the provider's log-in counts as the second factor when the ID token's ``amr`` holds
  one of ``MADOGUCHI_OIDC_MFA_AMR`` (RFC 8176) or its ``acr`` is one of
  ``MADOGUCHI_OIDC_MFA_ACR``. The callback then records the user's id under
  ``SSO_SECOND_FACTOR_SESSION_KEY`` in the server-side session, and ``OTPMiddleware``
  below makes ``user.is_verified()`` true for that user. Only the callback writes the
  key; log-out flushes it with the session. Otherwise the TOTP step follows, as after
  a password.
"""

from __future__ import annotations

import logging
import re
from functools import partial
from urllib.parse import urlencode

import jwt
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _
from django_otp.middleware import OTPMiddleware as _OTPMiddleware
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView
from requests import RequestException

from madoguchi.accounts.backends import active_user
from madoguchi.core.access import mark_second_factor

logger = logging.getLogger(__name__)

SSO_SECOND_FACTOR_SESSION_KEY = "madoguchi_sso_second_factor"

# Setting -> the environment variable that sets it (madoguchi/settings.py).
REQUIRED_SETTINGS = {
    "OIDC_RP_CLIENT_ID": "MADOGUCHI_OIDC_CLIENT_ID",
    "OIDC_RP_CLIENT_SECRET": "MADOGUCHI_OIDC_CLIENT_SECRET",
    "OIDC_OP_ISSUER": "MADOGUCHI_OIDC_ISSUER",
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "MADOGUCHI_OIDC_AUTHORIZATION_ENDPOINT",
    "OIDC_OP_TOKEN_ENDPOINT": "MADOGUCHI_OIDC_TOKEN_ENDPOINT",
    "OIDC_OP_USER_ENDPOINT": "MADOGUCHI_OIDC_USERINFO_ENDPOINT",
    "OIDC_OP_JWKS_ENDPOINT": "MADOGUCHI_OIDC_JWKS_ENDPOINT",
}
# Algorithms the library verifies: with the provider's keys (RS, ES) or the client secret (HS).
SIGN_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "HS256", "HS384", "HS512"})
CLOCK_SKEW_SECONDS = 60

# What may go wrong talking to the provider or checking its answer; each ends the attempt.
FAILURES = (SuspiciousOperation, jwt.PyJWTError, RequestException, ValueError, KeyError, TypeError)


def missing_settings() -> list[str]:
    """The environment variables still needed for single sign-on."""
    return [env for name, env in REQUIRED_SETTINGS.items() if not getattr(settings, name, "")]


def sso_enabled() -> bool:
    return not missing_settings() and getattr(settings, "OIDC_RP_SIGN_ALGO", "") in SIGN_ALGORITHMS


def provider_name() -> str:
    return str(settings.MADOGUCHI_OIDC_PROVIDER_NAME)


def second_factor_asserted(id_token_claims: dict) -> bool:
    """Whether the provider says it checked a second factor (RFC 8176 ``amr``, or a configured ``acr``)."""
    amr = id_token_claims.get("amr") or []
    if isinstance(amr, str):
        amr = amr.split()
    accepted = {value.lower() for value in settings.MADOGUCHI_OIDC_MFA_AMR}
    if isinstance(amr, list) and any(isinstance(v, str) and v.lower() in accepted for v in amr):
        return True
    acr = id_token_claims.get("acr")
    return isinstance(acr, str) and acr in settings.MADOGUCHI_OIDC_MFA_ACR


def _is_false(value) -> bool:
    return value is False or (isinstance(value, str) and value.strip().lower() == "false")


class StaffSingleSignOnBackend(OIDCAuthenticationBackend):
    """Authenticates an existing staff account from the provider's answer; never creates one."""

    def __init__(self, *args, **kwargs):
        # Django loads every backend for every log-in, password ones included: with
        # single sign-on off this one must load too (the library would refuse).
        self.UserModel = get_user_model()
        if sso_enabled():
            super().__init__(*args, **kwargs)

    def authenticate(self, request, **kwargs):
        # Only on our callback (which passes the nonce), never for a password log-in
        # that happens to carry ?code=…&state=… in its address.
        if (
            request is None
            or not sso_enabled()
            or "nonce" not in kwargs
            or request.path != reverse(settings.OIDC_AUTHENTICATION_CALLBACK_URL)
        ):
            return None
        return super().authenticate(request, **kwargs)

    def get_user(self, user_id):
        if not sso_enabled():  # turning single sign-on off ends its sessions
            return None
        user = active_user(self, user_id)  # None for an inactive account
        return user if user is not None and user.kind == user.Kind.STAFF else None

    def get_payload_data(self, token, key):
        """Verify a signed token in full; an unsigned one (``alg: none``) is never accepted."""
        algorithm = self.OIDC_RP_SIGN_ALGO
        if jwt.get_unverified_header(token).get("alg") != algorithm:
            raise SuspiciousOperation("The token is not signed with the configured algorithm.")
        claims = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            audience=self.OIDC_RP_CLIENT_ID,
            issuer=settings.OIDC_OP_ISSUER,
            leeway=CLOCK_SKEW_SECONDS,
            options={"require": ["iss", "aud", "exp", "iat", "sub"]},
        )
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise SuspiciousOperation("The token names other audiences and was not issued to us.")
        return claims

    def filter_users_by_claims(self, claims):
        email = claims.get("email")
        if not isinstance(email, str) or not email.strip():
            return self.UserModel.objects.none()
        return self.UserModel.objects.filter(email__iexact=email.strip())

    def get_or_create_user(self, access_token, id_token, payload):
        """The staff account the provider vouches for, or None (and the reason logged)."""
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if not isinstance(userinfo, dict) or userinfo.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("The userinfo answer is about another subject than the ID token.")
        claims = {**payload, **userinfo}
        if not isinstance(claims.get("email"), str) or not claims["email"].strip():
            return self._refuse("no_email")
        if _is_false(claims.get("email_verified")):
            return self._refuse("email_unverified")
        users = list(self.filter_users_by_claims(claims)[:2])
        if not users:
            return self._refuse("unknown_account")
        if len(users) > 1:
            return self._refuse("ambiguous_account")
        user = users[0]
        if user.kind != user.Kind.STAFF:
            return self._refuse("not_staff", user.pk)
        if not user.is_active:
            return self._refuse("inactive", user.pk)
        # Read by the callback view (as django-otp reads user.otp_device after authenticate).
        user.sso_second_factor = second_factor_asserted(payload)
        user.sso_auth_time = payload.get("auth_time")
        return user

    def _refuse(self, reason: str, user_id: int | None = None) -> None:
        logger.warning("staff single sign-on refused reason=%s user_id=%s", reason, user_id)
        self.request.madoguchi_sso_refusal = reason
        return None


class StartView(OIDCAuthenticationRequestView):
    """Sends the browser to the provider with a fresh state, nonce and PKCE challenge."""


class CallbackView(OIDCAuthenticationCallbackView):
    """Where the provider sends the browser back; logs in, then the TOTP step unless the provider gave one."""

    @property
    def success_url(self) -> str:
        return self.request.session.get("oidc_login_next") or resolve_url("core:staff_home")

    def get(self, request: HttpRequest) -> HttpResponse:
        if "error" in request.GET:
            # The provider refused or the person cancelled. Unlike the library, do not
            # log anyone out here: a link to this address must not end a session.
            code = request.GET["error"]
            states = request.session.get("oidc_states")
            if isinstance(states, dict) and states.pop(request.GET.get("state", ""), None) is not None:
                request.session.modified = True
            logger.info(
                "staff single sign-on: the provider answered error=%s",
                code if re.fullmatch(r"[a-z_]{1,40}", code) else "other",
            )
            return self._failure(refused=False)
        try:
            return super().get(request)
        except FAILURES as exc:
            logger.warning("staff single sign-on failed reason=%s", type(exc).__name__)
            return self._failure(refused=False)

    def login_failure(self) -> HttpResponse:
        refused = getattr(self.request, "madoguchi_sso_refusal", None) is not None
        if not refused:
            logger.warning("staff single sign-on did not complete")
        return self._failure(refused=refused)

    def _failure(self, *, refused: bool) -> HttpResponse:
        name = provider_name()
        if refused:
            text = _(
                "%(provider)sのアカウントでは職員ページにログインできません。"
                "職員として登録されたアカウントでログインしてください。わからないときは所属の課管理者に問い合わせてください。"
            )
        else:
            text = _("%(provider)sでのログインを完了できませんでした。もう一度お試しください。")
        messages.error(self.request, text % {"provider": name})
        return HttpResponseRedirect(resolve_url(settings.STAFF_LOGIN_URL))

    def login_success(self) -> HttpResponse:
        user = self.user
        target = self.success_url
        super().login_success()  # django.contrib.auth.login, which cycles the session key
        session = self.request.session
        session.pop("oidc_login_next", None)
        if getattr(user, "sso_second_factor", False):
            session[SSO_SECOND_FACTOR_SESSION_KEY] = user.pk
            auth_time = getattr(user, "sso_auth_time", None)
            if isinstance(auth_time, int | float) and not isinstance(auth_time, bool):
                mark_second_factor(self.request, at=auth_time)
            logger.info(
                "staff signed in by single sign-on with the provider's second factor user_id=%s", user.pk
            )
            return HttpResponseRedirect(target)
        logger.info("staff signed in by single sign-on, second factor still needed user_id=%s", user.pk)
        return HttpResponseRedirect(f"{resolve_url('accounts:staff_mfa')}?{urlencode({'next': target})}")


start_view = StartView.as_view()
callback_view = CallbackView.as_view()


def _verified(*args) -> bool:
    return True


def _with_provider_second_factor(request: HttpRequest, user):
    """``user.is_verified()`` is true when the provider gave this very user's second factor in this session."""
    if (
        user.is_authenticated
        and user.otp_device is None
        and user.kind == user.Kind.STAFF
        and request.session.get(SSO_SECOND_FACTOR_SESSION_KEY) == user.pk
        and sso_enabled()
    ):
        user.is_verified = partial(_verified, user)
    return user


class OTPMiddleware(_OTPMiddleware):
    """django_otp's middleware (``user.otp_device``, ``user.is_verified()``), also counting the provider's second factor."""

    def _verify_user_sync(self, request, user):
        return _with_provider_second_factor(request, super()._verify_user_sync(request, user))

    async def _verify_user_async_via_auser(self, request, auser):
        user = await super()._verify_user_async_via_auser(request, auser)
        return _with_provider_second_factor(request, user)
