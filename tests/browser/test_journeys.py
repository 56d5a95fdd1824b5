"""Three procedures walked in Chromium, in Japanese and in English: error states, check your answers,
a change link, submission, the receipt. axe runs on every page."""

import re

import pytest
from playwright.sync_api import expect

from madoguchi.procedures.files import parse_files
from madoguchi.procedures.services import procedures_load_from_files
from madoguchi.submissions.models import Submission
from tests.browser.conftest import assert_accessible
from tests.conftest import PASSWORD
from tests.support.formfill import page_of, page_post

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEFINITIONS = {p.id: p.data for p in parse_files()[0]}
JOURNEYS = ["risai_shomei", "jidoteate_nintei_seikyu", "kaigo_nintei_shinki"]
LOCALES = {"ja": "ja-JP", "en": "en-US"}
TEXT = {
    "ja": {"start": "申請をはじめる", "next": "次へ進む", "submit": "この内容で送信する", "login": "ログインする",
           "email": "メールアドレス", "password": "パスワード", "check": "入力内容の確認", "done": "受け付けました",
           "change": "変更", "back_to_check": "確認画面に戻る", "summary": "入力内容を確認してください",
           "sign": "マイナンバーカードで署名する", "pin": "署名用の暗証番号", "do_sign": "署名する"},
    "en": {"start": "Start your application", "next": "Continue", "submit": "Send this application",
           "login": "Log in", "email": "Email address", "password": "Password", "check": "Check your answers",
           "done": "Application received", "change": "Change", "back_to_check": "Back to the check page",
           "summary": "Please check what you entered", "sign": "Sign with your My Number Card", "pin": "Signing PIN",
           "do_sign": "Sign"},
}  # fmt: skip


def fill(page, post: dict) -> None:
    """Type the answers as a person would, input by input."""
    for name, value in post.items():
        if name in ("action", "item_count"):
            continue
        if hasattr(value, "read") and page.locator(f'input[name="{name}"]').count():  # an upload
            page.locator(f'input[name="{name}"]').set_input_files(
                files=[{"name": value.name, "mimeType": "image/png", "buffer": value.read()}])  # fmt: skip
            continue
        locator = page.locator(f'[name="{name}"]')
        if locator.count() == 0:  # a question that does not apply, given earlier answers
            continue
        kind = locator.first.evaluate("e => e.tagName.toLowerCase() + ':' + (e.type || '')")
        if kind in ("input:radio", "input:checkbox"):
            for v in value if isinstance(value, list) else [value]:
                page.locator(f'input[name="{name}"][value="{v}"]').check()
        elif kind.startswith("select"):
            locator.select_option(value)
        else:
            locator.fill(value)


def log_in(page, live_server, user, language):
    page.goto(live_server.url + "/account/login/")
    page.get_by_label(TEXT[language]["email"]).fill(user.email)
    page.get_by_label(TEXT[language]["password"]).fill(PASSWORD)
    page.locator("main button[type=submit]").click()


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("slug", JOURNEYS)
def test_journey(live_server, citizen_erin, new_page, mailbox, slug, language):
    from madoguchi.identity.dev_helpers import ensure_dev_trust

    procedures_load_from_files()
    ensure_dev_trust()
    definition = DEFINITIONS[slug]
    t = TEXT[language]
    page = new_page(locale=LOCALES[language], width=390, height=844)  # a phone
    log_in(page, live_server, citizen_erin, language)

    page.goto(f"{live_server.url}/procedures/{slug}/")
    assert_accessible(page)
    page.get_by_role("button", name=t["start"]).click()

    # The first page, sent empty: every field says what is missing, in a summary that links to it.
    page.get_by_role("button", name=t["next"], exact=True).click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    assert t["summary"] in summary.inner_text()
    first_link = summary.locator("a").first
    target = first_link.get_attribute("href")
    first_link.click()
    assert page.evaluate("document.activeElement.id") == target.lstrip("#")
    assert_accessible(page)

    pages_seen = 0
    while (current := page_of(definition, page.url)) is not None:
        fill(page, page_post(current))
        page.get_by_role("button", name=t["next"], exact=True).click()
        if page.locator(".error-summary").count():
            pytest.fail(f"{current['id']}: {page.locator('.error-summary').inner_text()}")
        assert_accessible(page)
        pages_seen += 1
    assert pages_seen >= 3
    expect(page.get_by_role("heading", name=t["check"])).to_be_visible()

    # Change an answer from the check page, and come back to it.
    page.locator(".answers__head a").first.click()
    assert "return=check" in page.url
    assert_accessible(page)
    page.get_by_role("button", name=t["back_to_check"]).click()
    expect(page.get_by_role("heading", name=t["check"])).to_be_visible()

    if page.locator("#signature").count():  # a 'jpki' procedure: sign with a (test) My Number Card
        page.get_by_role("link", name=t["sign"]).click()
        assert_accessible(page)
        page.get_by_label(t["pin"]).fill("000000")
        page.get_by_role("button", name=t["do_sign"], exact=True).click()
        expect(page.locator(".error-summary")).to_be_visible()
        page.get_by_label(t["pin"]).fill("123456")
        page.get_by_role("button", name=t["do_sign"], exact=True).click()
        expect(page.get_by_role("heading", name=t["check"])).to_be_visible()
        assert_accessible(page)
    page.get_by_role("button", name=t["submit"]).click()
    expect(page.get_by_role("heading", name=t["done"])).to_be_visible()
    receipt = page.locator("#receipt-number").inner_text()
    assert re.fullmatch(r"\d{4}-\d{4}-\d{4}-\d{4}-\d{5}", receipt)
    assert_accessible(page)
    submission = Submission.objects.get()
    assert submission.receipt_number == receipt and submission.procedure.slug == slug

    with page.expect_download() as download:
        page.locator('a[href$="receipt.pdf"]').click()
    assert download.value.suggested_filename == f"receipt-{receipt}.pdf"
    assert receipt in mailbox.wait_for(1)[0].get_content()

    page.goto(live_server.url + "/applications/")
    assert receipt in page.content()
    assert_accessible(page)


def test_the_form_works_without_javascript_and_keeps_what_was_typed(live_server, citizen_erin, new_page):
    procedures_load_from_files()
    page = new_page(javascript=False, width=320, height=800)
    log_in(page, live_server, citizen_erin, "ja")
    page.goto(f"{live_server.url}/procedures/risai_shomei/")
    page.get_by_role("button", name="申請をはじめる").click()
    page.locator('[name="f-applicant_postal_code"]').fill("9868501")
    page.get_by_role("button", name="住所を入れる").click()
    assert page.locator('[name="f-applicant_address"]').input_value() == "宮城県石巻市穀町14番1号"
    page.locator('[name="f-applicant_phone"]').fill("12")
    page.get_by_role("button", name="次へ進む").click()
    expect(page.locator("#f-applicant_phone-error")).to_be_visible()
    assert page.locator('[name="f-applicant_phone"]').input_value() == "12"  # nothing typed is lost
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0


def test_a_filing_waiting_for_the_worker_shows_its_receipt_and_status(
    live_server, citizen_erin, new_page, settings
):
    """Issue 11 (docs/decisions/0008): with the tasks in the database queue, as in production, the
    citizen gets the receipt at once; the page and My page say it is being passed to the department
    until the worker has made it, and then show it as usual."""
    from madoguchi.submissions.models import Draft
    from madoguchi.submissions.services import submission_materialize

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    procedures_load_from_files()
    definition = DEFINITIONS["risai_shomei"]
    page = new_page(width=390, height=844)
    log_in(page, live_server, citizen_erin, "ja")
    page.goto(f"{live_server.url}/procedures/risai_shomei/")
    page.get_by_role("button", name=TEXT["ja"]["start"]).click()
    while (current := page_of(definition, page.url)) is not None:
        fill(page, page_post(current))
        page.get_by_role("button", name=TEXT["ja"]["next"], exact=True).click()
    page.get_by_role("button", name=TEXT["ja"]["submit"]).click()

    expect(page.get_by_role("heading", name="受け付けました")).to_be_visible()
    receipt = page.locator("#receipt-number").inner_text()
    expect(page.locator("#pending-note")).to_contain_text("送り直す必要はありません")
    assert page.locator('a[href$="receipt.pdf"]').count() == 0
    assert_accessible(page)
    assert not Submission.objects.exists() and Draft.objects.get().receipt_number == receipt
    page.goto(live_server.url + "/applications/")
    expect(page.get_by_role("row", name=re.compile(receipt))).to_contain_text(
        "受付済み（担当課へ届ける処理中）"
    )
    assert_accessible(page)

    submission_materialize(draft_id=Draft.objects.get().pk)  # the worker's turn
    page.go_back()
    page.reload()
    expect(page.locator("#pending-note")).to_have_count(0)
    expect(page.locator("#receipt-number")).to_have_text(receipt)
    expect(page.locator('a[href$="receipt.pdf"]')).to_be_visible()
