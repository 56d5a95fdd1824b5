"""Staff single sign-on in a real browser: the button, the provider (tests/test_oidc_sso.py) and back."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, totp_from_page
from tests.test_oidc_sso import Provider

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def provider(settings):
    provider = Provider()
    provider.start()
    for name, value in provider.settings_for_client().items():
        setattr(settings, name, value)
    yield provider
    provider.stop()


@pytest.mark.parametrize("amr", [["pwd", "mfa"], ["pwd"]])
def test_staff_log_in_through_the_citys_provider(live_server, provider, kaigo_admin, page, amr):
    provider.email, provider.amr = kaigo_admin.email, amr
    page.goto(live_server.url + "/staff/login/")
    assert_accessible(page)  # the log-in page with the provider's button

    page.get_by_role("link", name="庁内アカウントでログイン").click()  # to the provider and back

    if "mfa" not in amr:  # no second factor from the provider: enrol the authenticator app
        page.wait_for_url("**/staff/mfa/**")
        page.locator("#id_otp_token").fill(totp_from_page(page))
        page.locator("main button[type=submit]").click()
    page.wait_for_url(live_server.url + "/staff/")
    expect(page.get_by_role("navigation", name="職員メニュー")).to_be_visible()
    assert provider.errors == []
