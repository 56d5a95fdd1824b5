"""Staff log-in: password, then a TOTP second factor enrolled at first log-in; lock-out; idle timeout; logout."""

import re
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from madoguchi.core.models import Session
from tests.conftest import PASSWORD, current_token, totp_device

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:staff_login")
MFA = reverse("accounts:staff_mfa")
HOME = reverse("core:staff_home")


def _password_step(client, user, password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": user.email, "password": password, **extra})


def test_first_log_in_enrols_a_totp_app_then_reaches_staff_home(client, kaigo_alice):
    response = _password_step(client, kaigo_alice)
    assert response.status_code == 302 and response["Location"].startswith(MFA)

    page = client.get(MFA)
    body = page.content.decode()
    assert "2段階認証の設定" in body
    assert 'src="data:image/svg+xml' in body  # the QR code, inline, no external request
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', body).group(1)
    device = TOTPDevice.objects.get(user=kaigo_alice, confirmed=False)
    import base64

    assert (
        base64.b32decode(secret.replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8))
        == device.bin_key
    )

    # Nothing but the second-factor page is reachable yet.
    assert client.get(HOME)["Location"].startswith(MFA)

    response = client.post(MFA, {"otp_token": current_token(device)})
    assert response.status_code == 302 and response["Location"] == HOME
    assert TOTPDevice.objects.get(user=kaigo_alice).confirmed
    assert client.get(HOME).status_code == 200


def test_enrolled_staff_give_the_code_at_every_log_in(client, kaigo_alice):
    device = totp_device(kaigo_alice)
    _password_step(client, kaigo_alice)
    body = client.get(MFA).content.decode()
    assert "確認コードの入力" in body and "secret" not in body
    response = client.post(MFA, {"otp_token": current_token(device)})
    assert response["Location"] == HOME


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("000000", "確認コードが違うか、時間切れです"),
        ("12345", "確認コードは半角数字6桁で入力してください"),
        ("abcdef", "確認コードは半角数字6桁で入力してください"),
        ("", "このフィールドは必須です"),
    ],
)
def test_a_wrong_code_is_refused_with_a_clear_message(client, kaigo_alice, token, message):
    device = totp_device(kaigo_alice)
    if token == "000000" and current_token(device) == "000000":
        token = "000001"
    _password_step(client, kaigo_alice)
    response = client.post(MFA, {"otp_token": token})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert client.get(HOME).status_code == 302


def test_a_code_from_long_ago_is_refused(client, kaigo_alice):
    device = totp_device(kaigo_alice)
    _password_step(client, kaigo_alice)
    response = client.post(MFA, {"otp_token": current_token(device, offset_steps=-10)})
    assert "確認コードが違うか" in response.content.decode()


def test_wrong_password_names_neither_field(client, kaigo_alice):
    response = _password_step(client, kaigo_alice, password="wrong-password-1")
    body = response.content.decode()
    assert response.status_code == 200
    assert "メールアドレスかパスワードが違います" in body
    assert kaigo_alice.email in body  # what the user typed is kept


def test_a_citizen_cannot_log_in_on_the_staff_page(client, citizen_erin):
    response = _password_step(client, citizen_erin)
    assert "メールアドレスかパスワードが違います" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_staff_cannot_log_in_on_the_citizen_page(client, kaigo_alice):
    response = client.post(reverse("accounts:login"), {"username": kaigo_alice.email, "password": PASSWORD})
    assert "メールアドレスかパスワードが違います" in response.content.decode()


def test_lock_out_after_repeated_failures(client, kaigo_alice, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _password_step(client, kaigo_alice, password="wrong-password-1").status_code == 200
    locked = _password_step(client, kaigo_alice, password="wrong-password-1")
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    assert "しばらくログインできません" in locked.content.decode()
    # Even the right password is refused while locked, from any browser.
    from django.test import Client

    assert _password_step(Client(), kaigo_alice).status_code == 429


def test_lock_out_ends_after_the_cool_off(client, kaigo_alice, settings):
    from axes.models import AccessAttempt

    for _ in range(settings.AXES_FAILURE_LIMIT):
        _password_step(client, kaigo_alice, password="wrong-password-1")
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )
    assert _password_step(client, kaigo_alice).status_code == 302


def test_idle_timeout_is_sixty_minutes_and_ends_the_session(client, kaigo_alice, as_user, settings):
    assert settings.SESSION_COOKIE_AGE == 3600
    client = as_user(kaigo_alice)
    assert client.get(HOME).status_code == 200
    session = Session.objects.get(session_key=client.session.session_key)
    assert session.expire_date - timezone.now() > timedelta(minutes=59)
    # Activity extends it: a request more than MADOGUCHI_SESSION_TOUCH_SECONDS (five minutes) after
    # the last save moves the expiry ahead; one within them writes nothing.
    assert settings.MADOGUCHI_SESSION_TOUCH_SECONDS == 300
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() + timedelta(minutes=30))
    assert client.get(HOME).status_code == 200
    session.refresh_from_db()
    assert session.expire_date - timezone.now() < timedelta(minutes=31)  # touched seconds ago: not written
    store = client.session
    store["_touched"] = int(time.time()) - 280
    store.save()
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() + timedelta(minutes=30))
    assert client.get(HOME).status_code == 200
    session.refresh_from_db()
    assert session.expire_date - timezone.now() < timedelta(minutes=31)  # 280 s after the last save: not yet
    store = client.session
    store["_touched"] = int(time.time()) - 301
    store.save()
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() + timedelta(minutes=30))
    assert client.get(HOME).status_code == 200
    session.refresh_from_db()
    assert session.expire_date - timezone.now() > timedelta(minutes=59)
    # Sixty minutes without a request: the session has expired on the server.
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(HOME)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_logout_ends_the_session_on_the_server(client, kaigo_alice, as_user):
    client = as_user(kaigo_alice)
    cookie = client.cookies["madoguchi_session"].value
    assert client.get(reverse("accounts:logout")).status_code == 405  # only POST logs out
    response = client.post(reverse("accounts:logout"))
    assert response["Location"] == LOGIN
    assert not Session.objects.filter(session_key=cookie).exists()
    # Replaying the old cookie gets nowhere.
    client.cookies["madoguchi_session"] = cookie
    assert client.get(HOME).status_code == 302


def test_safe_next_is_followed_and_a_foreign_one_is_ignored(client, kaigo_alice):
    device = totp_device(kaigo_alice)
    dept = reverse("organisations:department_detail", kwargs={"code": "kaigo-hoken"})
    client.post(f"{LOGIN}?next={dept}", {"username": kaigo_alice.email, "password": PASSWORD, "next": dept})
    response = client.post(f"{MFA}?next={dept}", {"otp_token": current_token(device), "next": dept})
    assert response["Location"] == dept
    client.post(reverse("accounts:logout"))
    evil = "https://evil.example/"
    client.post(LOGIN, {"username": kaigo_alice.email, "password": PASSWORD, "next": evil})
    response = client.post(MFA, {"otp_token": current_token(device, offset_steps=1), "next": evil})
    assert response["Location"] == HOME


def test_system_administrator_reaches_the_admin_after_the_second_factor(client, sysadmin):
    device = totp_device(sysadmin)
    _password_step(client, sysadmin)
    assert client.get("/admin/")["Location"] == MFA
    client.post(MFA, {"otp_token": current_token(device)})
    assert client.get("/admin/").status_code == 200
