"""The counter (書かない窓口) in Chromium: a member of staff files for visitor A (account found, identity
checked, consent given, answers pre-filled, the sheet printed, A confirms on the screen), then starts
visitor B: nothing of A is on B's screens, and A's unfinished draft is gone (404). axe on every screen."""

import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from madoguchi.profiles.services import profile_save
from madoguchi.submissions.models import Submission
from tests.browser.conftest import assert_accessible
from tests.browser.test_back_office import staff_log_in
from tests.browser.test_journeys import DEFINITIONS, fill
from tests.conftest import make_citizen, make_staff
from tests.support.cases import ensure_procedures
from tests.support.formfill import page_post

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

A_PHONE = "0225-11-2222"


def _page_id(url: str) -> str | None:
    match = re.search(r"/staff/counter/drafts/[0-9a-f-]+/([a-z0-9_]+)/$", url)
    return match.group(1) if match and match.group(1) != "check" else None


def _walk_to_check(page, definition, *, keep: set[str]) -> None:
    """Answer every page (the answers in ``keep`` as pre-filled) until the check page."""
    for _step in range(20):
        page_id = _page_id(page.url)
        if page_id is None:
            return
        current = next(p for p in definition["form"]["pages"] if p["id"] == page_id)
        post = {
            k: v
            for k, v in page_post(current).items()
            if not any(k.startswith(f"f-{field}") for field in keep)
        }
        fill(page, post)
        page.get_by_role("button", name="次へ進む", exact=True).click()
        if page.locator(".error-summary").count():
            pytest.fail(f"{page_id}: {page.locator('.error-summary').inner_text()}")
        assert_accessible(page)
    pytest.fail("the form did not end")


def test_visitor_b_sees_no_trace_of_visitor_a(live_server, new_page, city, mailbox):
    ensure_procedures()
    clerk = make_staff("clerk@shisanzei.test", "資産 窓口", ("shisanzei", "handler"))
    visitor_a = make_citizen("hanako@example.test", "石巻 花子")
    profile_save(user=visitor_a, household=[], consent=False, values={
        "applicant_name": {"family": "石巻", "given": "花子"}, "applicant_kana": {"family": "イシノマキ", "given": "ハナコ"},
        "applicant_postal_code": "986-8501", "applicant_address": "宮城県石巻市穀町14番1号", "applicant_phone": A_PHONE,
    })  # fmt: skip
    definition = DEFINITIONS["risai_shomei"]

    page = new_page()
    staff_log_in(page, live_server, clerk)
    page.get_by_role("link", name="窓口受付").click()
    assert_accessible(page)
    page.get_by_role("button", name="次の方を受け付ける").click()
    expect(page.get_by_role("heading", name="窓口受付", exact=True)).to_be_visible()
    assert_accessible(page)

    # Visitor A: the account by e-mail, the My Number Card seen, consent asked and given.
    page.get_by_role("button", name="アカウントを確認する").click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("メールアドレスまたは予約番号").fill(visitor_a.email)
    page.get_by_role("button", name="アカウントを確認する").click()
    expect(page.locator("#visitor")).to_contain_text(visitor_a.email)
    page.get_by_role("button", name="本人確認を記録する").click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("確認した本人確認書類").select_option("mynumber_card")
    page.get_by_role("button", name="本人確認を記録する").click()
    expect(page.locator("#identity-status")).to_contain_text("マイナンバーカード")
    page.get_by_label("同意する", exact=True).check()
    page.get_by_role("button", name="答えを記録する").click()
    expect(page.locator("#consent-status")).to_contain_text("同意あり")
    assert_accessible(page)

    # The application: pre-filled from A's profile, the rest typed in while talking.
    page.get_by_label("手続").select_option("risai_shomei")
    page.get_by_role("button", name="入力を始める").click()
    expect(page.locator('[name="f-applicant_name-family"]')).to_have_value("石巻")
    expect(page.locator('[name="f-applicant_phone"]')).to_have_value(A_PHONE)
    assert page.locator('[name="f-applicant_name-family"]').get_attribute("autocomplete") == "off"
    assert_accessible(page)
    _walk_to_check(page, definition, keep={"applicant_name", "applicant_kana", "applicant_phone"})
    expect(page.get_by_role("heading", name="入力内容の確認")).to_be_visible()
    assert_accessible(page)

    # The sheet to sign: one page with A's answers.
    sheet = page.request.get(
        live_server.url + page.get_by_role("link", name="確認票を印刷する（PDF）").get_attribute("href")
    )
    reader = PdfReader(io.BytesIO(sheet.body()))
    assert len(reader.pages) == 1 and "石巻" in reader.pages[0].extract_text()

    # A confirms on the screen, in large type.
    page.get_by_role("link", name="画面で確かめていただく").click()
    expect(page.get_by_role("heading", name="申請内容のご確認")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="この内容で申請します").click()
    expect(page.get_by_role("heading", name="受け付けました")).to_be_visible()
    receipt = page.locator("#receipt-number").inner_text()
    assert_accessible(page)
    submission = Submission.objects.get()
    assert (submission.receipt_number, submission.channel, submission.user_id, submission.entered_by_id) == (
        receipt, "counter", visitor_a.pk, clerk.pk)  # fmt: skip
    assert receipt in mailbox.wait_for(1)[0].get_content()

    # A second application for A, left unfinished.
    page.get_by_role("link", name="受付の画面に戻る").click()
    expect(page.locator(".receipt-number", has_text=receipt)).to_be_visible()
    page.get_by_label("手続").select_option("risai_shomei")
    page.get_by_role("button", name="入力を始める").click()
    expect(page.locator('[name="f-applicant_name-family"]')).to_have_value("石巻")
    a_draft = page.url

    # Visitor B, with no account.
    page.get_by_role("link", name="窓口受付").click()
    page.get_by_role("button", name="次の方を受け付ける").click()
    expect(page.get_by_role("heading", name="窓口受付", exact=True)).to_be_visible()
    traces = (visitor_a.email, "花子", "ハナコ", A_PHONE, receipt, visitor_a.display_name)
    content = page.content()
    assert not [t for t in traces if t in content]
    assert "以前の情報を使うことへの同意" not in content
    assert_accessible(page)
    page.get_by_label("確認した本人確認書類").select_option("driving_licence")
    page.get_by_role("button", name="本人確認を記録する").click()
    page.get_by_label("手続").select_option("risai_shomei")
    page.get_by_role("button", name="入力を始める").click()
    for name in (
        "f-applicant_name-family",
        "f-applicant_name-given",
        "f-applicant_phone",
        "f-applicant_address",
    ):
        expect(page.locator(f'[name="{name}"]')).to_have_value("")
    content = page.content()
    assert not [t for t in traces if t in content]
    assert_accessible(page)

    # A's unfinished draft is gone.
    response = page.goto(a_draft)
    assert response.status == 404
