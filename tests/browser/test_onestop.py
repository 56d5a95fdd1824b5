"""The one-stop journey in Chromium: the 妊娠・出産・子育て guide leads to 妊娠の届出; after the birth the
same guide bundles 児童手当 and 保育, asking name, address and bank account once. axe on every page."""

import re

import pytest
from playwright.sync_api import expect

from madoguchi.lifeevents.services import guides_load_from_files
from madoguchi.procedures.services import procedures_load_from_files
from madoguchi.submissions.models import Draft, Submission
from tests.browser.conftest import assert_accessible
from tests.browser.test_journeys import fill, log_in
from tests.support.formfill import page_post

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHARED = {
    "f-applicant_name-family": "石巻",
    "f-applicant_name-given": "花子",
    "f-applicant_kana-family": "イシノマキ",
    "f-applicant_kana-given": "ハナコ",
    "f-applicant_birth_date": "平成2年5月3日",
    "f-applicant_postal_code": "986-8501",
    "f-applicant_address": "宮城県石巻市穀町14番1号",
    "f-applicant_phone": "0225-95-1111",
    "f-applicant_my_number": "123456789018",
    "f-bank_account-bank_code": "0001",
    "f-bank_account-branch_code": "001",
    "f-bank_account-number": "1234567",
    "f-bank_account-holder": "イシノマキ ハナコ",
}


def _guide(page, live_server, answers: dict) -> None:
    page.goto(live_server.url + "/life/")
    assert_accessible(page)
    page.get_by_role("link", name="妊娠・出産・子育て").first.click()
    assert_accessible(page)
    for name, value in answers.items():
        page.locator(f'input[name="{name}"][value="{value}"]').check()
    page.locator("main form.form button[type=submit]").first.click()
    assert_accessible(page)


def _answer_own_pages(page) -> None:
    """Each form's own pages: the shared questions are never asked again."""
    typed_once = set(SHARED)
    for _step in range(80):
        match = re.search(r"/apply/([0-9a-f-]{36})/([a-z0-9_]+)/", page.url)
        if not match:
            return
        draft = Draft.objects.select_related("version").get(pk=match.group(1))
        current = next(p for p in draft.version.definition["form"]["pages"] if p["id"] == match.group(2))
        for name in typed_once:
            assert page.locator(f'[name="{name}"]').count() == 0
        for f in current["fields"]:
            if f.get("shared"):
                assert page.locator(f'[name^="f-{f["id"]}"]').count() == 0, f["id"]
        fill(page, page_post(current))
        page.get_by_role("button", name="次へ進む", exact=True).click()
        if page.locator(".error-summary").count():
            pytest.fail(f"{current['id']}: {page.locator('.error-summary').inner_text()}")
    raise AssertionError("the forms did not end")


def _answer_single_form(page) -> None:
    for _step in range(80):
        match = re.search(r"/apply/([0-9a-f-]{36})/([a-z0-9_]+)/", page.url)
        if not match or match.group(2) == "check":
            return
        draft = Draft.objects.select_related("version").get(pk=match.group(1))
        current = next(p for p in draft.version.definition["form"]["pages"] if p["id"] == match.group(2))
        fill(page, page_post(current))
        page.get_by_role("button", name="次へ進む", exact=True).click()
        if page.locator(".error-summary").count():
            pytest.fail(f"{current['id']}: {page.locator('.error-summary').inner_text()}")
    raise AssertionError("the form did not end")


def _shared_page(page) -> None:
    assert "/shared/" in page.url
    assert_accessible(page)
    fill(page, {**SHARED, "f-bank_account-account_type": "futsu"})
    page.get_by_role("button", name="次へ進む", exact=True).click()


def _sign_and_send(page) -> None:
    expect(page.get_by_role("heading", name="入力内容の確認")).to_be_visible()
    assert_accessible(page)
    while page.get_by_role("link", name=re.compile("に署名する")).count():
        page.get_by_role("link", name=re.compile("に署名する")).first.click()
        page.get_by_label("署名用の暗証番号").fill("123456")
        page.get_by_role("button", name="署名する", exact=True).click()
        expect(page.get_by_role("heading", name="入力内容の確認")).to_be_visible()
    page.get_by_role("button", name="まとめて送信する").click()
    expect(page.get_by_role("heading", name="送信しました")).to_be_visible()
    assert_accessible(page)


def test_from_pregnancy_to_a_bundle_after_the_birth(live_server, citizen_erin, new_page):
    from madoguchi.identity.dev_helpers import ensure_dev_trust

    procedures_load_from_files()
    guides_load_from_files()
    ensure_dev_trust()
    page = new_page(width=390, height=844)  # a phone
    log_in(page, live_server, citizen_erin, "ja")

    # While pregnant: the guide lists 妊娠の届出 first; it is filed online from the list.
    _guide(page, live_server, {"f-stage": "pregnant"})
    page.get_by_role("link", name=re.compile("妊娠の届出.*申請")).first.click()
    page.get_by_role("button", name="申請をはじめる").click()
    _answer_single_form(page)
    page.get_by_role("link", name="マイナンバーカードで署名する").click()
    page.get_by_label("署名用の暗証番号").fill("123456")
    page.get_by_role("button", name="署名する", exact=True).click()
    page.get_by_role("button", name="この内容で送信する").click()
    expect(page.get_by_role("heading", name="受け付けました")).to_be_visible()
    assert Submission.objects.get().procedure.slug == "ninshin_todoke"

    # After the birth: 児童手当 and 保育 in one bundle, with childcare wanted.
    _guide(
        page,
        live_server,
        {"f-stage": "born", "f-allowance_now": "no", "f-insurance": "employer", "f-childcare": "yes"},
    )
    boxes = page.locator('form.bundle-form input[name="procedure"]')
    wanted = {"jidoteate_nintei_seikyu", "hoiku_shikyu_nintei"}
    for i in range(boxes.count()):
        box = boxes.nth(i)
        if box.get_attribute("value") not in wanted:
            box.uncheck()
    page.get_by_role("button", name="チェックした手続をまとめて申請する").click()
    _shared_page(page)
    _answer_own_pages(page)
    _sign_and_send(page)

    rows = page.locator("td.receipt-number")
    expect(rows).to_have_count(2)
    later = Submission.objects.exclude(procedure__slug="ninshin_todoke")
    assert {s.procedure.slug for s in later} == wanted
    assert len({s.bundle_id for s in later}) == 1
    departments = {s.procedure.slug: s.cases.get().department.code for s in Submission.objects.all()}
    assert departments == {
        "ninshin_todoke": "kenko-suishin",
        "jidoteate_nintei_seikyu": "kosodate-shien",
        "hoiku_shikyu_nintei": "kodomo-hoiku",
    }
    claim = later.get(procedure__slug="jidoteate_nintei_seikyu")
    assert claim.data["claimant_name"] == {"family": "石巻", "given": "花子"}
    assert claim.data["bank_account"]["number"] == "1234567"

    page.goto(live_server.url + "/applications/")
    for s in Submission.objects.all():
        assert s.receipt_number in page.content()
    assert_accessible(page)
