"""axe-core finds no WCAG 2.1 A/AA violation on the foundation's pages, in Japanese and in English."""

import pytest

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
    assert page.locator(".field__error").is_visible()
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
    assert page.locator(".error-summary").is_visible()
    assert_accessible(page)


def test_signup_errors_are_accessible(live_server, city, page):
    page.goto(live_server.url + "/account/signup/")
    page.get_by_label("メールアドレス").fill("someone@example.test")
    page.locator("#id_password1").fill("short")
    page.locator("#id_password2").fill("short")
    page.get_by_role("button", name="登録する").click()
    assert page.get_by_text("このパスワードは短すぎます").first.is_visible()
    assert page.get_by_label("メールアドレス").input_value() == "someone@example.test"
    assert_accessible(page)
