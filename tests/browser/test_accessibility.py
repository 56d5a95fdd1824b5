"""axe-core finds no WCAG 2.1 A/AA violation on the foundation's pages, in Japanese and in English."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, totp_from_page
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOCALES = {"ja": "ja-JP", "en": "en-US"}


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/staff/login/",
        "/account/login/",
        "/account/signup/",
        "/account/password/reset/",
        "/no-such-page/",
    ],
)
def test_public_pages_are_accessible(live_server, city, new_page, language, path):
    page = new_page(locale=LOCALES[language])
    page.goto(live_server.url + path)
    assert page.locator("html").get_attribute("lang") == language
    assert_accessible(page)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_staff_log_in_enrolment_and_home_are_accessible(live_server, kaigo_admin, new_page, language):
    page = new_page(locale=LOCALES[language])
    page.goto(live_server.url + "/staff/login/")
    page.get_by_label("メールアドレス" if language == "ja" else "Email address").fill(kaigo_admin.email)
    page.get_by_label("パスワード" if language == "ja" else "Password").fill(PASSWORD)
    page.get_by_role("button", name="次へ" if language == "ja" else "Next").click()
    assert "/staff/mfa/" in page.url
    assert_accessible(page)  # the enrolment page, with its QR code

    code_label = "確認コード（6桁）" if language == "ja" else "Verification code (6 digits)"
    page.get_by_label(code_label).fill("12345")
    page.get_by_role("button", name="確認する" if language == "ja" else "Verify").click()
    expect(page.locator(".field__error")).to_be_visible()
    assert_accessible(page)  # the same page showing an error

    page.get_by_label(code_label).fill(totp_from_page(page))
    page.get_by_role("button", name="確認する" if language == "ja" else "Verify").click()
    page.wait_for_url(live_server.url + "/staff/")
    assert "介護保険課" in page.content() or "Long-Term Care Insurance Division" in page.content()
    assert_accessible(page)

    page.goto(live_server.url + "/staff/departments/kaigo-hoken/")
    assert_accessible(page)
    page.goto(live_server.url + "/staff/departments/kaigo-hoken/members/new/")
    page.get_by_role("button", name="追加する" if language == "ja" else "Add").click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert_accessible(page)


def test_signup_errors_are_accessible(live_server, city, page):
    page.goto(live_server.url + "/account/signup/")
    page.get_by_label("メールアドレス").fill("someone@example.test")
    page.locator("#id_password1").fill("short")
    page.locator("#id_password2").fill("short")
    page.get_by_role("button", name="登録する").click()
    expect(page.get_by_text("このパスワードは短すぎます").first).to_be_visible()
    assert page.get_by_label("メールアドレス").input_value() == "someone@example.test"
    assert_accessible(page)


def _staff_log_in(page, live_server, user):
    page.goto(live_server.url + "/staff/login/")
    page.locator("#id_username").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main button[type=submit]").click()
    page.locator("#id_otp_token").fill(totp_from_page(page))
    page.locator("main button[type=submit]").click()
    page.wait_for_url(live_server.url + "/staff/")


def test_audit_trail_and_my_number_reveal_are_accessible(live_server, kaigo_admin, page):
    from tests.conftest import department
    from tests.privacy_testapp.models import Resident

    resident = Resident.objects.create(
        department=department("kaigo-hoken"),
        name="x",
        my_number="123456789018",
        affair=department("kaigo-hoken").my_number_affairs[0],
    )
    _staff_log_in(page, live_server, kaigo_admin)
    page.get_by_role("link", name="課と職員").click()
    page.get_by_role("link", name="介護保険課").click()
    page.get_by_role("link", name="監査ログ").click()
    expect(page.get_by_role("heading", name="監査ログ")).to_be_visible()
    assert page.locator("tbody tr").count() >= 1  # the staff list just read is in the trail
    assert_accessible(page)

    page.goto(f"{live_server.url}/staff/mynumber/privacy_testapp.resident/{resident.pk}/")
    expect(page.get_by_text("●●●● ●●●● 9018")).to_be_visible()
    page.get_by_role("button", name="表示する").click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("表示する理由").fill("要介護認定の資格確認のため")
    page.get_by_role("button", name="表示する").click()
    assert page.locator("#my-number").inner_text() == "123456789018"
    assert_accessible(page)
