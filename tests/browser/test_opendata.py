"""Open data in Chromium: search, the dataset page and the staff upload preview, with and without
JavaScript, checked by axe."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.browser.test_back_office import staff_log_in
from tests.support.opendata import kaigo_dataset, publish

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SJIS_CSV = (
    "全国地方公共団体コード,名称,名称_カナ,所在地_連結表記,緯度,経度,設置位置,設置日\r\n"
    "04202,石巻市役所,イシノマキシヤクショ,宮城県石巻市穀町１４－１,141.3029,38.4343,１階,令和５年４月１日\r\n"
).encode("cp932")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_search_and_dataset_pages_are_accessible(live_server, kaigo_alice, kaigo_admin, new_page, javascript):
    publish(kaigo_alice, kaigo_admin, kaigo_dataset(kaigo_alice, tags="介護、施設"))
    page = new_page(javascript=javascript)
    page.goto(live_server.url + "/opendata/")
    expect(page.get_by_role("heading", name="1件のデータセット")).to_be_visible()
    if javascript:
        assert_accessible(page)
    page.get_by_label("データのことば").fill("介護")
    page.get_by_role("button", name="さがす").click()
    page.get_by_role("link", name="施設").first.click()  # a tag facet
    page.get_by_role("link", name="介護サービス事業所一覧（テスト）").click()
    expect(page.get_by_role("heading", name="データのプレビュー")).to_be_visible()
    if javascript:
        assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(r"^一覧 を\s*ダウンロード$")).click()
    assert download.value.suggested_filename.endswith(".csv")


def test_staff_upload_preview_is_accessible_and_works_without_javascript(live_server, kaigo_alice, new_page):
    kaigo_dataset(kaigo_alice, name="aed-test", conforms_to="aed")
    for javascript in (True, False):
        page = new_page(javascript=javascript)
        if javascript:
            staff_log_in(page, live_server, kaigo_alice)
        else:
            _reuse_login(page, live_server, kaigo_alice)
        page.goto(live_server.url + "/staff/opendata/aed-test/upload/")
        if javascript:
            assert_accessible(page)
        page.get_by_role("button", name="アップロードして確かめる").click()  # nothing chosen: field errors
        expect(page.locator(".error-summary")).to_be_visible()
        if javascript:
            assert_accessible(page)
        page.locator("#id_file").set_input_files(
            {"name": "aed.csv", "mimeType": "text/csv", "buffer": SJIS_CSV}
        )
        page.locator("#id_name").fill("AED設置箇所一覧")
        page.get_by_role("button", name="アップロードして確かめる").click()
        expect(page.get_by_role("heading", name="修正の提案")).to_be_visible()
        expect(page.locator("ins", has_text="042021").first).to_be_visible()
        expect(page.locator("ins", has_text="2023-04-01").first).to_be_visible()
        if javascript:
            assert_accessible(page)
        page.get_by_role("button", name="この内容で確定する").click()
        expect(page.get_by_text("公開用のファイルを確定しました")).to_be_visible()
        if javascript:
            assert_accessible(page)


def _reuse_login(page, live_server, user):
    from tests.conftest import PASSWORD, current_token, totp_device  # enrolled in the first pass

    page.goto(live_server.url + "/staff/login/")
    page.locator("#id_username").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main button[type=submit]").click()
    page.locator("#id_otp_token").fill(current_token(totp_device(user), offset_steps=1))
    page.locator("main button[type=submit]").click()
    page.wait_for_url(live_server.url + "/staff/")
