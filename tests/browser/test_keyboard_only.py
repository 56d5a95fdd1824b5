"""Issue 4 check: a procedure is filed with the keyboard alone (Tab, arrows, Space, typing, Enter), from the
log-in to the receipt, in Chromium. tests/browser/test_layout.py checks the skip link and the focus ring only."""

import pytest
from playwright.sync_api import expect

from madoguchi.procedures.files import parse_files
from madoguchi.procedures.services import procedures_load_from_files
from madoguchi.submissions.models import Submission
from tests.conftest import PASSWORD
from tests.support.formfill import page_of, page_post

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SLUG = "risai_shomei"
ACTIVE = "() => { const e = document.activeElement; return [e.name || '', e.type || '', e.value || '', " \
         "(e.innerText || '').trim(), e.tagName.toLowerCase()]; }"  # fmt: skip


def tab_to(page, wanted, limit=120):
    """Press Tab until the focused element is the one wanted (a predicate on name, type, value, text, tag)."""
    for _ in range(limit):
        active = page.evaluate(ACTIVE)
        if wanted(*active):
            return active
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached the element (last focus: {page.evaluate(ACTIVE)})")


def press_button(page, label):
    """Focus a button with Tab and press Enter: every button here sends a form, so wait for the next page."""
    tab_to(page, lambda n, t, v, text, tag: tag == "button" and text == label)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def keyboard_fill(page, post: dict) -> None:
    for name, value in post.items():
        if name in ("action", "item_count") or hasattr(value, "read"):
            continue
        inputs = page.locator(f'[name="{name}"]')
        shown = inputs.count() and inputs.first.evaluate("e => e.getClientRects().length > 0")
        if not shown:  # a question that does not apply, given earlier answers
            continue
        _n, kind, _v, _text, tag = tab_to(page, lambda n, t, v, text, tag, name=name: n == name)
        if kind == "radio":
            for _ in range(20):  # arrows move through the group and choose
                if page.evaluate(ACTIVE)[2] == value:
                    break
                page.keyboard.press("ArrowDown")
            page.keyboard.press("Space")
            assert page.locator(f'[name="{name}"][value="{value}"]').is_checked()
        elif kind == "checkbox":
            for v in value if isinstance(value, list) else [value]:
                tab_to(page, lambda n, t, val, text, tag, name=name, v=v: n == name and val == v)
                page.keyboard.press("Space")
        elif tag == "select":
            options = inputs.first.evaluate("s => [...s.options].map(o => o.value)")
            page.keyboard.press("Home")
            for _ in range(options.index(value)):
                page.keyboard.press("ArrowDown")
            assert inputs.first.input_value() == value
        else:
            page.keyboard.press("Control+A")
            page.keyboard.type(str(value))


def test_a_procedure_is_filed_with_the_keyboard_alone(live_server, citizen_erin, new_page):
    procedures_load_from_files()
    definition = next(p.data for p in parse_files()[0] if p.id == SLUG)
    page = new_page(width=390, height=844)
    # The live server's first answer can be slow on a busy machine.
    page.goto(live_server.url + "/account/login/", timeout=60_000)
    tab_to(page, lambda n, t, v, text, tag: n == "username")
    page.keyboard.type(citizen_erin.email)
    tab_to(page, lambda n, t, v, text, tag: n == "password")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/account/login/" not in page.url

    page.goto(f"{live_server.url}/procedures/{SLUG}/")
    press_button(page, "申請をはじめる")
    # An empty page first: the error summary's link takes the focus to the field, by keyboard too.
    press_button(page, "次へ進む")
    expect(page.locator(".error-summary")).to_be_visible()
    tab_to(page, lambda n, t, v, text, tag: tag == "a" and page.evaluate(
        "document.activeElement.closest('.error-summary') !== null"))  # fmt: skip
    target = page.evaluate("document.activeElement.getAttribute('href')").lstrip("#")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == target

    pages = 0
    while (current := page_of(definition, page.url)) is not None:
        keyboard_fill(page, page_post(current))
        press_button(page, "次へ進む")
        assert not page.locator(".error-summary").count(), page.locator(".error-summary").inner_text()
        pages += 1
    assert pages >= 3
    expect(page.get_by_role("heading", name="入力内容の確認")).to_be_visible()
    press_button(page, "この内容で送信する")
    expect(page.get_by_role("heading", name="受け付けました")).to_be_visible()
    assert Submission.objects.get().procedure.slug == SLUG
