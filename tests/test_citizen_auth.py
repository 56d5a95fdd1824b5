"""Citizens: registration with e-mail verification (through a real SMTP server), log-in,
password reset, password rules, and the optional second factor."""

import re

import pytest
from django.urls import reverse

from madoguchi.accounts.models import User
from tests.conftest import PASSWORD, current_token, make_citizen, totp_device

pytestmark = pytest.mark.django_db

SIGNUP = reverse("accounts:signup")
LOGIN = reverse("accounts:login")
NEW_PASSWORD = "a-long-walk-by-the-river-2026"


def _link(body: str) -> str:
    match = re.search(r"http://\S+", body)
    assert match, body
    return match.group(0).replace("http://127.0.0.1:8000", "")


def _signup(client, email="new@example.test", password=NEW_PASSWORD, password2=None, name="新田 さん"):
    return client.post(
        SIGNUP,
        {"email": email, "display_name": name, "password1": password, "password2": password2 or password},
    )


def test_register_verify_and_log_in(client, city, mailbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _signup(client)
    assert response["Location"] == reverse("accounts:signup_done")
    user = User.objects.get(email="new@example.test")
    assert user.kind == User.Kind.CITIZEN and user.email_verified_at is None

    message = mailbox.wait_for(1)[0]
    assert message["To"] == "new@example.test"
    assert "メールアドレスの確認" in message["Subject"]
    assert "新田 さん 様" in message.get_content()

    # Before verification, log-in is refused with a way forward.
    refused = client.post(LOGIN, {"username": "new@example.test", "password": NEW_PASSWORD})
    assert refused["Location"] == reverse("accounts:verify_resend")

    verified = client.get(_link(message.get_content()))
    assert verified["Location"] == LOGIN
    user.refresh_from_db()
    assert user.email_verified_at is not None
    # The link works once.
    assert client.get(_link(message.get_content())).status_code == 400

    response = client.post(LOGIN, {"username": "NEW@Example.test", "password": NEW_PASSWORD})
    assert response["Location"] == reverse("accounts:home")
    assert client.get(reverse("accounts:home")).status_code == 200


def test_registering_a_known_address_reveals_nothing_and_tells_its_owner(
    client, citizen_erin, mailbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _signup(client, email=citizen_erin.email.upper())
    assert response["Location"] == reverse("accounts:signup_done")
    assert User.objects.filter(email__iexact=citizen_erin.email).count() == 1
    message = mailbox.wait_for(1)[0]
    assert "登録済み" in message["Subject"]
    assert citizen_erin.check_password(PASSWORD)  # untouched


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1", "このパスワードは短すぎます。最低 8 文字以上必要です。"),
        ("password123", "このパスワードは一般的すぎます。"),
        ("83749201938", "このパスワードは数字しか使われていません。"),
        ("Ishinomaki-2026", "推測されやすい語（ishinomaki）"),
        ("石巻のうみ2026!", "推測されやすい語（石巻）"),
        ("ＩＳＨＩＮＯＭＡＫＩ２０２６", "推測されやすい語（ishinomaki）"),
        ("x" * 1025, "1024文字以内"),
    ],
)
def test_weak_passwords_are_refused_field_by_field(client, city, password, message):
    response = _signup(client, password=password)
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body
    assert 'value="new@example.test"' in body  # what was typed is kept
    assert 'aria-invalid="true"' in body
    assert not User.objects.filter(email="new@example.test").exists()


def test_long_passphrases_are_welcome(client, city):
    long_password = "しずかな朝の港で、かもめが三羽ないていた。" * 10
    assert _signup(client, password=long_password).status_code == 302


def test_mismatched_confirmation(client, city):
    response = _signup(client, password2="something-else-entirely")
    assert "確認用のパスワードが一致しません" in response.content.decode()


def test_english_messages(client, city):
    client.cookies["madoguchi_language"] = "en"
    response = _signup(client, password="short1")
    assert "This password is too short" in response.content.decode()


def test_password_reset_by_e_mail(client, citizen_erin, mailbox):
    response = client.post(reverse("accounts:password_reset"), {"email": citizen_erin.email})
    assert response["Location"] == reverse("accounts:password_reset_done")
    link = _link(mailbox.last_body())
    form_page = client.get(link, follow=True)
    assert "新しいパスワードの設定" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done["Location"] == reverse("accounts:password_reset_complete")
    citizen_erin.refresh_from_db()
    assert citizen_erin.check_password(NEW_PASSWORD)
    # Used once.
    assert "期限が切れているか" in client.get(link, follow=True).content.decode()


def test_password_reset_for_an_unknown_address_looks_the_same(client, city, mailbox):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.test"})
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mailbox.messages == []


def test_resend_verification(client, city, mailbox):
    user = make_citizen("late@example.test", verified=False)
    client.post(reverse("accounts:verify_resend"), {"email": user.email})
    assert client.get(_link(mailbox.last_body()))["Location"] == LOGIN


def test_optional_second_factor_for_citizens(client, citizen_erin, as_user):
    client = as_user(citizen_erin)
    page = client.get(reverse("accounts:totp_setup"))
    assert "2段階認証の設定" in page.content.decode()
    device = citizen_erin.totpdevice_set.get(confirmed=False)
    response = client.post(reverse("accounts:totp_setup"), {"otp_token": current_token(device)})
    assert response["Location"] == reverse("accounts:home")

    client.post(reverse("accounts:logout"))
    response = client.post(LOGIN, {"username": citizen_erin.email, "password": PASSWORD})
    assert response["Location"].startswith(reverse("accounts:login_verify"))
    assert client.get(reverse("accounts:home"))["Location"].startswith(reverse("accounts:login_verify"))
    wrong = client.post(reverse("accounts:login_verify"), {"otp_token": "12345"})
    assert "半角数字6桁" in wrong.content.decode()
    ok = client.post(
        reverse("accounts:login_verify"), {"otp_token": current_token(totp_device(citizen_erin), 1)}
    )
    assert ok["Location"] == reverse("accounts:home")

    refused = client.post(reverse("accounts:totp_disable"), {"password": "not-my-password"})
    assert "パスワードが違います" in refused.content.decode()
    assert client.post(reverse("accounts:totp_disable"), {"password": PASSWORD})["Location"] == reverse(
        "accounts:home"
    )
    assert not citizen_erin.totpdevice_set.exists()


def test_citizen_pages_are_closed_to_staff(as_user, kaigo_alice):
    assert as_user(kaigo_alice).get(reverse("accounts:home")).status_code == 404
