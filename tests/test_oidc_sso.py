"""Staff single sign-on (OpenID Connect) against a real provider running in the test process.

The provider below is a small but real one on 127.0.0.1: it answers the authorization,
token, userinfo and JWKS endpoints over HTTP, checks the client's secret, the redirect
address and the PKCE verifier, and signs its ID tokens (RS256) with a key made by
`cryptography`. Nothing of Madoguchi or of mozilla-django-oidc is mocked: the browser is
Django's test client, and the provider's redirect is fetched over HTTP like a browser would.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.core.checks import run_checks
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from madoguchi.accounts.sso import SSO_SECOND_FACTOR_SESSION_KEY
from madoguchi.core.access import SECOND_FACTOR_SESSION_KEY
from tests.conftest import PASSWORD, current_token, make_citizen, make_staff

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:staff_login")
MFA = reverse("accounts:staff_mfa")
HOME = reverse("core:staff_home")
DEPARTMENTS = reverse("organisations:department_list")
START = reverse("accounts:staff_sso_start")
CALLBACK = reverse("accounts:staff_sso_callback")
LOGOUT = reverse("accounts:logout")

REFUSED = "のアカウントでは職員ページにログインできません"
FAILED = "でのログインを完了できませんでした"


# --- a real OpenID Connect provider ----------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int_bytes(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


def sign_jwt(claims: dict, key: rsa.RSAPrivateKey, kid: str) -> str:
    header = {"alg": "RS256", "typ": "JWT", "kid": kid}
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url(signature)}"


class Provider:
    """The city's identity provider, as far as one staff log-in needs it."""

    client_id = "madoguchi-staff"
    kid = "city-idp-2026"

    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.client_secret = secrets.token_urlsafe(24)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.issuer = self.base
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.lock = threading.Lock()
        self.reset()

    def start(self):
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def reset(self):
        with self.lock:
            self.codes: dict[str, dict] = {}
            self.access_tokens: dict[str, dict] = {}
            self.token_requests = 0
            self.errors: list[str] = []
        # What the next log-in asserts; each test changes what it needs.
        self.email = "someone@city.example"
        self.email_verified: object = True
        self.amr: list[str] | None = ["pwd"]
        self.acr: str | None = None
        self.sub = "subject-0001"
        self.userinfo_sub: str | None = None  # None: the same as the ID token's
        self.signing_key = self.key
        self.audience: object = self.client_id
        self.issuer_claim = self.issuer
        self.lifetime = 300
        self.auth_time: int | None = None
        self.nonce_override: str | None = None

    def jwks(self) -> dict:
        numbers = self.key.public_key().public_numbers()
        return {"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid,
                          "n": b64url(_int_bytes(numbers.n)), "e": b64url(_int_bytes(numbers.e))}]}  # fmt: skip

    def settings_for_client(self) -> dict:
        return {
            "OIDC_RP_CLIENT_ID": self.client_id,
            "OIDC_RP_CLIENT_SECRET": self.client_secret,
            "OIDC_OP_ISSUER": self.issuer,
            "OIDC_OP_AUTHORIZATION_ENDPOINT": f"{self.base}/authorize",
            "OIDC_OP_TOKEN_ENDPOINT": f"{self.base}/token",
            "OIDC_OP_USER_ENDPOINT": f"{self.base}/userinfo",
            "OIDC_OP_JWKS_ENDPOINT": f"{self.base}/jwks",
            "OIDC_RP_SIGN_ALGO": "RS256",
        }

    # -- endpoints --

    def authorize(self, query: dict) -> tuple[int, dict, bytes]:
        one = {k: v[0] for k, v in query.items()}
        problems = []
        if one.get("client_id") != self.client_id:
            problems.append("unknown client")
        if one.get("response_type") != "code" or "openid" not in one.get("scope", "").split():
            problems.append("not an OpenID Connect code request")
        if one.get("code_challenge_method") != "S256" or not one.get("code_challenge"):
            problems.append("no PKCE challenge")
        if not one.get("nonce") or not one.get("state") or not one.get("redirect_uri"):
            problems.append("no nonce, state or redirect_uri")
        if problems:
            self.errors.extend(problems)
            return 400, {}, b"bad request"
        code = secrets.token_urlsafe(16)
        with self.lock:
            self.codes[code] = {
                "nonce": one["nonce"],
                "challenge": one["code_challenge"],
                "redirect_uri": one["redirect_uri"],
            }
        location = f"{one['redirect_uri']}?{urlencode({'code': code, 'state': one['state']})}"
        return 302, {"Location": location}, b""

    def token(self, form: dict, authorization: str | None) -> tuple[int, dict, bytes]:
        one = {k: v[0] for k, v in form.items()}
        client_id, secret = one.get("client_id"), one.get("client_secret")
        if authorization and authorization.startswith("Basic "):
            client_id, _, secret = base64.b64decode(authorization[6:]).decode().partition(":")
        with self.lock:
            self.token_requests += 1
            grant = self.codes.pop(one.get("code", ""), None)  # a code works once
        error = None
        if client_id != self.client_id or secret != self.client_secret:
            error = "invalid_client"
        elif (
            one.get("grant_type") != "authorization_code"
            or grant is None
            or one.get("redirect_uri") != grant["redirect_uri"]
            or b64url(hashlib.sha256(one.get("code_verifier", "").encode()).digest())
            != grant["challenge"]  # PKCE
        ):
            error = "invalid_grant"
        if error:
            self.errors.append(error)
            return 400, {"Content-Type": "application/json"}, json.dumps({"error": error}).encode()
        now = int(time.time())
        claims = {
            "iss": self.issuer_claim,
            "sub": self.sub,
            "aud": self.audience,
            "iat": now if self.lifetime > 0 else now + self.lifetime - 60,
            "exp": now + self.lifetime,
            "nonce": self.nonce_override or grant["nonce"],
            "email": self.email,
        }
        if self.amr is not None:
            claims["amr"] = self.amr
        if self.acr is not None:
            claims["acr"] = self.acr
        if self.auth_time is not None:
            claims["auth_time"] = self.auth_time
        access_token = secrets.token_urlsafe(24)
        with self.lock:
            self.access_tokens[access_token] = {
                "sub": self.userinfo_sub or self.sub,
                "email": self.email,
                "email_verified": self.email_verified,
            }
        body = {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": sign_jwt(claims, self.signing_key, self.kid),
        }
        return (
            200,
            {"Content-Type": "application/json", "Cache-Control": "no-store"},
            json.dumps(body).encode(),
        )

    def userinfo(self, authorization: str | None) -> tuple[int, dict, bytes]:
        token = (authorization or "").removeprefix("Bearer ")
        with self.lock:
            claims = self.access_tokens.get(token)
        if claims is None:
            self.errors.append("userinfo without a valid access token")
            return 401, {"WWW-Authenticate": "Bearer"}, b""
        return 200, {"Content-Type": "application/json"}, json.dumps(claims).encode()


def _handler_for(provider: Provider):
    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, headers: dict, body: bytes):
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            url = urlsplit(self.path)
            if url.path == "/authorize":
                self._send(*provider.authorize(parse_qs(url.query)))
            elif url.path == "/userinfo":
                self._send(*provider.userinfo(self.headers.get("Authorization")))
            elif url.path == "/jwks":
                self._send(200, {"Content-Type": "application/json"}, json.dumps(provider.jwks()).encode())
            else:
                self._send(404, {}, b"")

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode())
            if urlsplit(self.path).path == "/token":
                self._send(*provider.token(form, self.headers.get("Authorization")))
            else:
                self._send(404, {}, b"")

        def log_message(self, format, *args):  # quiet: the request lines are of no interest
            pass

    return Handler


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch_redirect(url: str) -> str:
    """GET a URL of the provider as a browser would, and return where it redirects."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        response = opener.open(url, timeout=10)
    except urllib.error.HTTPError as exc:
        assert exc.code in (302, 303), exc.code
        return exc.headers["Location"]
    raise AssertionError(f"the provider did not redirect (status {response.status})")


@pytest.fixture(scope="module")
def provider_server():
    provider = Provider()
    provider.start()
    yield provider
    provider.stop()


@pytest.fixture
def provider(provider_server, settings):
    provider_server.reset()
    for name, value in provider_server.settings_for_client().items():
        setattr(settings, name, value)
    return provider_server


# --- helpers ---------------------------------------------------------------------------------


def start(client, next_url: str | None = None) -> str:
    """Press the button on the log-in page; return the provider's answer (the callback address)."""
    response = client.get(START, {"next": next_url} if next_url else {})
    assert response.status_code == 302
    authorize = response["Location"]
    assert authorize.startswith(f"{urlsplit(authorize).scheme}://{urlsplit(authorize).netloc}/authorize?")
    callback = fetch_redirect(authorize)
    assert callback.startswith(f"http://testserver{CALLBACK}?"), callback
    return callback


def back_from_provider(client, callback: str):
    url = urlsplit(callback)
    return client.get(f"{url.path}?{url.query}")


def sso_log_in(client, next_url: str | None = None):
    return back_from_provider(client, start(client, next_url))


def logged_in_user_id(client):
    return client.session.get("_auth_user_id")


def messages_on(client, url: str = LOGIN) -> str:
    return client.get(url).content.decode()


@pytest.fixture
def alice(city):
    return make_staff("alice.sato@city.example", "佐藤 アリス", ("kaigo-hoken", "handler"))


# --- 1. the provider gave a second factor ------------------------------------------------


def test_staff_with_the_providers_second_factor_reach_staff_pages(client, provider, alice):
    provider.email = "Alice.Sato@CITY.example"  # matched whatever the letter case
    provider.amr = ["pwd", "mfa"]
    provider.auth_time = int(time.time()) - 30

    response = sso_log_in(client)

    assert response.status_code == 302 and response["Location"] == HOME
    assert logged_in_user_id(client) == str(alice.pk)
    assert client.session["_auth_user_backend"] == "madoguchi.accounts.sso.StaffSingleSignOnBackend"
    assert client.session[SSO_SECOND_FACTOR_SESSION_KEY] == alice.pk
    assert client.session[SECOND_FACTOR_SESSION_KEY] == pytest.approx(provider.auth_time)
    assert client.get(HOME).status_code == 200
    assert client.get(DEPARTMENTS).status_code == 200
    assert not TOTPDevice.objects.filter(user=alice).exists()  # no TOTP app was needed
    assert provider.errors == []  # secret, redirect address and PKCE verifier all checked by the provider


def test_the_page_asked_for_before_log_in_is_where_staff_land(client, provider, alice):
    provider.email, provider.amr = alice.email, ["hwk", "pwd"]
    response = sso_log_in(client, next_url=DEPARTMENTS)
    assert response["Location"] == DEPARTMENTS


def test_a_next_address_elsewhere_is_ignored(client, provider, alice):
    provider.email, provider.amr = alice.email, ["mfa"]
    assert sso_log_in(client, next_url="https://elsewhere.example/staff/")["Location"] == HOME


def test_a_configured_acr_also_counts_as_the_second_factor(client, provider, alice, settings):
    settings.MADOGUCHI_OIDC_MFA_ACR = ["urn:city:loa:mfa"]
    provider.email, provider.amr, provider.acr = alice.email, ["pwd"], "urn:city:loa:mfa"
    assert sso_log_in(client)["Location"] == HOME
    assert client.get(HOME).status_code == 200


def test_the_accepted_amr_values_are_configurable(client, provider, alice, settings):
    settings.MADOGUCHI_OIDC_MFA_AMR = ["hwk"]
    provider.email, provider.amr = alice.email, ["pwd", "mfa"]  # "mfa" no longer enough
    assert sso_log_in(client)["Location"].startswith(MFA)


# --- 2. no second factor from the provider: TOTP follows -------------------------------------


def test_staff_without_the_providers_second_factor_give_a_totp_code(client, provider, alice):
    provider.email, provider.amr = alice.email, ["pwd"]

    response = sso_log_in(client)

    assert response.status_code == 302 and response["Location"] == f"{MFA}?next=%2Fstaff%2F"
    assert logged_in_user_id(client) == str(alice.pk)
    assert SSO_SECOND_FACTOR_SESSION_KEY not in client.session
    for page in (HOME, DEPARTMENTS):
        assert client.get(page)["Location"].startswith(MFA)

    # First log-in: enrol the authenticator app, exactly as after a password.
    assert "2段階認証の設定" in client.get(MFA).content.decode()
    device = TOTPDevice.objects.get(user=alice, confirmed=False)
    response = client.post(f"{MFA}?next=%2Fstaff%2F", {"otp_token": current_token(device)})
    assert response["Location"] == HOME
    assert client.get(DEPARTMENTS).status_code == 200


def test_the_client_secret_may_go_by_http_basic(client, provider, alice, settings):
    settings.OIDC_TOKEN_USE_BASIC_AUTH = True
    provider.email, provider.amr = alice.email, ["mfa"]
    assert sso_log_in(client)["Location"] == HOME
    assert provider.errors == []


def test_no_amr_at_all_means_no_second_factor(client, provider, alice):
    provider.email, provider.amr = alice.email, None
    assert sso_log_in(client)["Location"].startswith(MFA)
    assert client.get(HOME)["Location"].startswith(MFA)


# --- 3. only existing, active staff accounts --------------------------------------------------


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("unknown", "unknown_account"),
        ("citizen", "not_staff"),
        ("inactive", "inactive"),
        ("unverified", "email_unverified"),
        ("unverified_as_text", "email_unverified"),
    ],
)
def test_anyone_but_an_active_staff_member_is_refused(client, provider, city, caplog, case, reason):
    staff = make_staff("bob.suzuki@city.example", "鈴木 ボブ", ("kaigo-hoken", "handler"))
    citizen = make_citizen("erin.takahashi@example.test", "高橋 エリン")
    provider.amr = ["pwd", "mfa"]
    provider.email = {"unknown": "nobody@city.example", "citizen": citizen.email}.get(case, staff.email)
    if case == "inactive":
        staff.is_active = False
        staff.save(update_fields=["is_active"])
    if case == "unverified":
        provider.email_verified = False
    if case == "unverified_as_text":
        provider.email_verified = "false"

    with caplog.at_level("INFO"):
        response = sso_log_in(client)

    assert response.status_code == 302 and response["Location"] == LOGIN
    assert logged_in_user_id(client) is None
    assert SSO_SECOND_FACTOR_SESSION_KEY not in client.session
    assert client.get(HOME)["Location"].startswith(LOGIN)
    assert REFUSED in messages_on(client)
    refusals = [r.getMessage() for r in caplog.records if "single sign-on refused" in r.getMessage()]
    assert refusals and f"reason={reason}" in refusals[0]
    assert "@" not in caplog.text  # no address, whoever it was
    assert _user_count() == 2  # nobody was created


def _user_count() -> int:
    from madoguchi.accounts.models import User

    return User.objects.count()


def test_an_unverified_flag_left_out_is_not_a_refusal(client, provider, alice):
    provider.email, provider.email_verified, provider.amr = alice.email, None, ["mfa"]
    assert sso_log_in(client)["Location"] == HOME


# --- 4. a tampered or forged answer ------------------------------------------------------------


def _tamper_state(callback: str) -> str:
    url = urlsplit(callback)
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    query["state"] = query["state"][:-2] + ("AA" if not query["state"].endswith("AA") else "BB")
    return f"{url.scheme}://{url.netloc}{url.path}?{urlencode(query)}"


def _other_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


FORGERIES = {
    "signed by another key": lambda p: setattr(p, "signing_key", _other_key()),
    "for another client": lambda p: setattr(p, "audience", "another-client"),
    "from another issuer": lambda p: setattr(p, "issuer_claim", "http://127.0.0.1:1/other"),
    "expired": lambda p: setattr(p, "lifetime", -600),
    "for another log-in (nonce)": lambda p: setattr(p, "nonce_override", "a-nonce-from-elsewhere"),
    "userinfo about someone else": lambda p: setattr(p, "userinfo_sub", "subject-9999"),
}


@pytest.mark.parametrize("forgery", FORGERIES)
def test_a_forged_or_misdirected_id_token_is_refused(client, provider, alice, caplog, forgery):
    provider.email, provider.amr = alice.email, ["pwd", "mfa"]
    FORGERIES[forgery](provider)

    response = sso_log_in(client)

    assert response.status_code == 302 and response["Location"] == LOGIN
    assert logged_in_user_id(client) is None
    assert SSO_SECOND_FACTOR_SESSION_KEY not in client.session
    assert FAILED in messages_on(client)
    assert client.get(HOME)["Location"].startswith(LOGIN)
    assert any("single sign-on" in r.getMessage() for r in caplog.records if r.levelname == "WARNING")


def test_a_tampered_state_is_refused(client, provider, alice):
    provider.email, provider.amr = alice.email, ["pwd", "mfa"]
    callback = start(client)

    response = back_from_provider(client, _tamper_state(callback))

    assert response.status_code == 302 and response["Location"] == LOGIN
    assert logged_in_user_id(client) is None
    assert FAILED in messages_on(client)
    assert provider.token_requests == 0  # the code was never even exchanged


def test_a_callback_without_a_log_in_started_here_is_refused(client, provider, alice):
    provider.email, provider.amr = alice.email, ["pwd", "mfa"]
    callback = start(client)
    other_browser = client.__class__()

    response = back_from_provider(other_browser, callback)  # e.g. a link sent to a colleague

    assert response.status_code == 302 and response["Location"] == LOGIN
    assert other_browser.session.get("_auth_user_id") is None
    assert provider.token_requests == 0


def test_an_answer_is_good_for_one_log_in_only(client, provider, alice):
    provider.email, provider.amr = alice.email, ["pwd", "mfa"]
    callback = start(client)
    assert back_from_provider(client, callback)["Location"] == HOME
    client.post(LOGOUT)

    response = back_from_provider(client, callback)

    assert response["Location"] == LOGIN and logged_in_user_id(client) is None


def test_the_provider_saying_no_is_shown_and_ends_nobodys_session(client, provider, alice):
    provider.email, provider.amr = alice.email, ["pwd", "mfa"]
    sso_log_in(client)
    assert client.get(HOME).status_code == 200

    # A link to the callback with an error (as a cancelled log-in sends) logs nobody out.
    response = client.get(CALLBACK, {"error": "access_denied", "state": "whatever"})

    assert response["Location"] == LOGIN
    assert client.get(HOME).status_code == 200


def test_a_provider_that_cannot_be_reached_is_a_message_not_an_error(client, provider, alice, settings):
    provider.email = alice.email
    callback = start(client)
    settings.OIDC_OP_TOKEN_ENDPOINT = "http://127.0.0.1:9/token"  # nothing listens there

    response = back_from_provider(client, callback)

    assert response["Location"] == LOGIN
    assert FAILED in messages_on(client)


# --- 5. off unless configured --------------------------------------------------------------------


def test_single_sign_on_is_off_unless_configured(client, city, settings):
    assert settings.OIDC_RP_CLIENT_ID == ""  # the test environment configures nothing
    assert client.get(START).status_code == 404
    assert client.get(CALLBACK, {"code": "x", "state": "y"}).status_code == 404
    page = client.get(LOGIN).content.decode()
    assert START not in page and "でログイン</a>" not in page


def test_half_a_configuration_is_off_and_reported(client, provider, settings):
    settings.OIDC_OP_ISSUER = ""
    assert client.get(START).status_code == 404
    errors = [e for e in run_checks() if e.id == "madoguchi.E003"]
    assert errors and "MADOGUCHI_OIDC_ISSUER" in errors[0].msg


def test_when_configured_the_log_in_page_offers_the_provider(client, provider, settings):
    page = client.get(LOGIN).content.decode()
    assert f'href="{START}"' in page and "庁内アカウントでログイン" in page
    settings.MADOGUCHI_OIDC_PROVIDER_NAME = "石巻市職員ポータル"
    page = client.get(f"{LOGIN}?next=%2Fstaff%2Fdepartments%2F").content.decode()
    assert "石巻市職員ポータルでログイン" in page
    assert f'href="{START}?next=%2Fstaff%2Fdepartments%2F"' in page


# --- 6. log-out ends the provider's second factor with the session --------------------------------


def test_log_out_clears_the_providers_second_factor(client, provider, alice):
    provider.email, provider.amr = alice.email, ["pwd", "mfa"]
    sso_log_in(client)
    assert client.get(HOME).status_code == 200

    client.post(LOGOUT)
    assert SSO_SECOND_FACTOR_SESSION_KEY not in client.session

    response = client.post(LOGIN, {"username": alice.email, "password": PASSWORD})
    assert response["Location"].startswith(MFA)
    assert client.get(HOME)["Location"].startswith(MFA)


def test_turning_single_sign_on_off_ends_its_sessions(client, provider, alice, settings):
    provider.email, provider.amr = alice.email, ["pwd", "mfa"]
    sso_log_in(client)
    assert client.get(HOME).status_code == 200
    settings.OIDC_RP_CLIENT_ID = ""
    assert client.get(HOME)["Location"].startswith(LOGIN)


# --- password log-in is unchanged ----------------------------------------------------------------


def test_password_log_in_still_works_beside_single_sign_on(client, provider, alice):
    response = client.post(LOGIN, {"username": alice.email, "password": PASSWORD})
    assert response["Location"].startswith(MFA)
    assert client.session["_auth_user_backend"] == "madoguchi.accounts.backends.EmailBackend"


def test_a_wrong_password_with_a_code_in_the_address_never_reaches_the_provider(client, provider, alice):
    response = client.post(f"{LOGIN}?code=abc&state=def", {"username": alice.email, "password": "wrong-1234"})
    assert response.status_code == 200
    assert "メールアドレスかパスワードが違います" in response.content.decode()
    assert provider.token_requests == 0


def test_an_account_locked_by_password_failures_can_still_use_the_provider(client, provider, alice, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(LOGIN, {"username": alice.email, "password": "wrong-1234"})
    assert client.post(LOGIN, {"username": alice.email, "password": PASSWORD}).status_code == 429
    provider.email, provider.amr = alice.email, ["pwd", "mfa"]
    assert sso_log_in(client)["Location"] == HOME
    assert client.get(HOME).status_code == 200


def test_the_flag_counts_only_for_the_user_it_was_set_for(client, provider, alice, city):
    bob = make_staff("bob.suzuki@city.example", "鈴木 ボブ", ("kaigo-hoken", "handler"))
    client.post(LOGIN, {"username": alice.email, "password": PASSWORD})
    session = client.session
    session[SSO_SECOND_FACTOR_SESSION_KEY] = bob.pk
    session.save()
    assert client.get(HOME)["Location"].startswith(MFA)
