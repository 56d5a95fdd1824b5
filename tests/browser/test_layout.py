"""Usable at 320 px and at 200% zoom, with the keyboard, and without JavaScript."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = ["/", "/account/login/", "/account/signup/", "/staff/login/"]


@pytest.mark.parametrize("width", [320, 640])
def test_no_horizontal_scrolling_at_320px_or_200_percent_zoom(live_server, city, new_page, width):
    # 200% zoom of a 640 px window leaves 320 CSS pixels: the same layout must hold at both.
    page = new_page(width=width, height=900)
    if width == 640:
        page.set_viewport_size({"width": 1280, "height": 900})
        page.evaluate("document.documentElement.style.zoom = '2'")
    for path in PAGES:
        page.goto(live_server.url + path)
        if width == 640:
            page.evaluate("document.documentElement.style.zoom = '2'")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width}px"


def test_skip_link_and_visible_focus(live_server, city, page):
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "本文へ移動"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_everything_works_without_javascript(live_server, city, new_page, mailbox):
    page = new_page(javascript=False)
    page.goto(live_server.url + "/")
    page.get_by_role("button", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("button", name="日本語").click()
    assert page.locator("html").get_attribute("lang") == "ja"

    page.goto(live_server.url + "/account/signup/")
    page.get_by_label("メールアドレス").fill("nojs@example.test")
    page.locator("#id_password1").fill("a-quiet-morning-at-the-port")
    page.locator("#id_password2").fill("a-quiet-morning-at-the-port")
    page.get_by_role("button", name="登録する").click()
    expect(page.get_by_role("heading", name="メールを確認してください")).to_be_visible()

    link = re.search(r"http://\S+", mailbox.last_body()).group(0)
    page.goto(link.replace("http://127.0.0.1:8000", live_server.url))
    page.get_by_label("メールアドレス").fill("nojs@example.test")
    page.get_by_label("パスワード").fill("a-quiet-morning-at-the-port")
    page.get_by_role("button", name="ログインする").click()
    expect(page.get_by_role("heading", name="アカウント")).to_be_visible()
    page.get_by_role("button", name="ログアウト").click()
    expect(page.get_by_text("ログアウトしました")).to_be_visible()


def test_staff_logout_in_the_browser(live_server, kaigo_alice, page):
    from tests.browser.conftest import totp_from_page

    page.goto(live_server.url + "/staff/")
    page.get_by_label("メールアドレス").fill(kaigo_alice.email)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="次へ").click()
    page.get_by_label("確認コード（6桁）").fill(totp_from_page(page))
    page.get_by_role("button", name="確認する").click()
    page.wait_for_url(live_server.url + "/staff/")
    page.get_by_role("button", name="ログアウト").click()
    page.goto(live_server.url + "/staff/")
    assert "/staff/login/" in page.url
