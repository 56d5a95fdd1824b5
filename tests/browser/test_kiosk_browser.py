"""A shelter kiosk in Chromium: a 資産税課 clerk enrols the browser, an applicant files a 罹災証明 as a
guest, sees the receipt number and presses 「終わる／次の方へ」; the kiosk is back at its start page,
the back button shows nothing of them, and the next applicant's form is empty. Without JavaScript, an
idle kiosk goes back to its start page by itself. axe on every kiosk page."""

import re

import pytest
from playwright.sync_api import expect

from madoguchi.counter.models import KioskFiling, KioskVisit
from madoguchi.forms.engine import input_key
from madoguchi.submissions.models import Draft, Submission
from tests.browser.conftest import AXE, WCAG_TAGS
from tests.browser.test_back_office import staff_log_in
from tests.browser.test_journeys import DEFINITIONS, fill
from tests.conftest import make_staff
from tests.support.cases import ensure_procedures
from tests.support.formfill import page_post

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PLACE = "石巻市立湊小学校 体育館"


def assert_accessible(page) -> None:
    """axe (WCAG 2.1 A/AA) on a kiosk page. Its rule 'meta-refresh' flags any timed refresh; the kiosk's
    refresh is its privacy time-out, and it meets WCAG 2.2.1 the way the rule cannot see: the applicant is
    warned (the 「まだお使いですか」 page) and has at least 20 seconds to extend with one button, checked in
    test_an_idle_kiosk_warns_then_goes_back_to_its_start_without_javascript. That rule alone is left out,
    and only where the refresh goes to the warning or the time-out."""
    refresh = page.locator('meta[http-equiv="refresh"]')
    if refresh.count():
        assert re.search(r"url=/kiosk/(still-there|timeout)/$", refresh.get_attribute("content")), page.url
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    violations = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " rules: {'meta-refresh': {enabled: false}}})",
        WCAG_TAGS,
    )["violations"]
    assert not violations, [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in violations]


FAMILY = input_key("applicant_name") + "-family"


def _page_id(url: str) -> str | None:
    match = re.search(r"/kiosk/drafts/[0-9a-f-]+/([a-z0-9_]+)/$", url)
    return match.group(1) if match and match.group(1) != "check" else None


def _enrol(page, live_server):
    clerk = make_staff("clerk@shisanzei.test", "資産 窓口", ("shisanzei", "handler"))
    staff_log_in(page, live_server, clerk)
    page.get_by_role("link", name="窓口受付").click()
    page.get_by_role("link", name=re.compile("受付端末の登録と取消し")).click()
    expect(page.get_by_role("heading", name="避難所の受付端末", exact=True)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="この端末を受付端末にする").click()  # nothing typed: told which field
    expect(page.locator(".error-summary")).to_contain_text("設置場所（避難所名）を入力してください。")
    assert_accessible(page)
    page.get_by_label("設置場所（避難所名）").fill(PLACE)
    expect(page.get_by_label("罹災証明書の発行申請")).to_be_checked()
    page.get_by_role("button", name="この端末を受付端末にする").click()
    expect(page.get_by_role("heading", name="申請をはじめる")).to_be_visible()
    cookie = next(c for c in page.context.cookies() if c["name"] == "madoguchi_kiosk")
    assert cookie["httpOnly"]


def test_an_applicant_files_a_risai_shomei_and_the_next_one_starts_afresh(
    live_server, new_page, city, mailbox
):
    ensure_procedures()
    definition = DEFINITIONS["risai_shomei"]
    page = new_page(width=800, height=1100)  # a tablet
    _enrol(page, live_server)
    expect(page.locator(".site-title")).to_contain_text(PLACE)
    assert_accessible(page)

    page.get_by_role("button", name="はじめる").click()
    first_url = page.url
    # The warning page the idle refresh leads to (axe here; its timing is tested without JavaScript below).
    page.goto(live_server.url + "/kiosk/still-there/")
    expect(page.get_by_role("heading", name="まだお使いですか")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="続ける").click()
    assert page.url == first_url
    for _step in range(20):
        page_id = _page_id(page.url)
        if page_id is None:
            break
        assert_accessible(page)
        current = next(p for p in definition["form"]["pages"] if p["id"] == page_id)
        post = page_post(current)
        if page_id == "applicant":
            post[FAMILY] = "山田"
        fill(page, post)
        page.get_by_role("button", name="次へ進む", exact=True).click()
        if page.locator(".error-summary").count():
            pytest.fail(f"{page_id}: {page.locator('.error-summary').inner_text()}")
    expect(page.get_by_role("heading", name="入力内容の確認")).to_be_visible()
    expect(page.locator("main")).to_contain_text("山田")
    assert_accessible(page)
    check_url = page.url
    page.get_by_role("button", name="この内容で申請する").click()

    expect(page.get_by_role("heading", name="申請を受け付けました")).to_be_visible()
    submission = Submission.objects.get()
    expect(page.locator("#receipt-number")).to_have_text(submission.receipt_number)
    assert_accessible(page)
    assert submission.channel == "counter" and submission.user is None
    assert KioskFiling.objects.get(submission=submission).place == PLACE
    filed_url = page.url

    page.get_by_role("button", name="終わる／次の方へ").click()
    expect(page.get_by_role("heading", name="申請をはじめる")).to_be_visible()
    expect(page.locator("#kiosk-ended")).to_contain_text("入力した内容はこの端末から消しました")
    assert_accessible(page)
    assert KioskVisit.objects.get().end_reason == "done"

    # The back button, and the previous applicant's addresses: nothing of them (pages are no-store).
    page.go_back()
    expect(page.locator("main")).not_to_contain_text("山田")
    expect(page.locator("main")).not_to_contain_text(submission.receipt_number)
    for url in (filed_url, check_url, first_url):
        response = page.goto(url)
        assert response.status == 404
        expect(page.get_by_role("heading", name="このページはもう使えません")).to_be_visible()
        expect(page.locator("main")).not_to_contain_text("山田")
    assert_accessible(page)

    # The next applicant: an empty form.
    page.goto(live_server.url + "/kiosk/")
    page.get_by_role("button", name="はじめる").click()
    expect(page.locator(f'[name="{FAMILY}"]')).to_have_value("")
    expect(page.locator("main")).not_to_contain_text("山田")
    assert Draft.objects.count() == 1 and "山田" not in str(Draft.objects.get().data)


def test_an_idle_kiosk_warns_then_goes_back_to_its_start_without_javascript(
    live_server, new_page, city, mailbox, settings
):
    ensure_procedures()
    settings.MADOGUCHI_KIOSK_IDLE_SECONDS = 40  # the floor: the warning after 20 seconds, the end 20 later
    staff = new_page()
    _enrol(staff, live_server)
    cookies = staff.context.cookies()
    page = new_page(javascript=False)
    page.context.add_cookies([c for c in cookies if c["name"] == "madoguchi_kiosk"])
    page.goto(live_server.url + "/kiosk/")
    page.get_by_role("button", name="はじめる").click()
    page.locator(f'[name="{FAMILY}"]').fill("佐藤")
    page.get_by_role("button", name="次へ進む", exact=True).click()  # other fields missing: the page again
    expect(page.locator("#kiosk-idle")).to_be_visible()
    form_url = page.url
    # The warning, with time to extend: 「続ける」 goes back to the form, and the clock starts again.
    page.wait_for_url(re.compile(r"/kiosk/still-there/$"), timeout=30_000)
    expect(page.get_by_role("heading", name="まだお使いですか")).to_be_visible()
    page.get_by_role("link", name="続ける").click()
    assert page.url == form_url
    assert KioskVisit.objects.get().ended_at is None
    # Left alone: the warning, then the start page, with the applicant's draft deleted.
    page.wait_for_url(re.compile(r"/kiosk/still-there/$"), timeout=30_000)
    page.wait_for_url(re.compile(r"/kiosk/\?ended=idle$"), timeout=30_000)
    expect(page.locator("#kiosk-ended")).to_contain_text("しばらく操作がなかったため")
    expect(page.locator("main")).not_to_contain_text("佐藤")
    assert KioskVisit.objects.get().end_reason == "idle" and not Draft.objects.exists()
