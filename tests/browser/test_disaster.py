"""Disaster mode in Chromium, checked by axe: the switch page (with field errors, then declared), the
home page's banner, and 資産税課's triage table with a link into the queue."""

import pytest
from playwright.sync_api import expect

from madoguchi.accounts.models import StaffRole
from tests.browser.conftest import assert_accessible
from tests.browser.test_back_office import staff_log_in
from tests.conftest import make_staff
from tests.support.cases import file_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_switch_banner_and_triage_pages_are_accessible(live_server, sysadmin, citizen_erin, new_page):
    file_case(
        citizen_erin,
        "risai_shomei",
        damage_estimate="zenkai",
        applicant_address="宮城県石巻市渡波字栄田1番地",
    )
    file_case(citizen_erin, "risai_shomei", damage_estimate="unknown", applicant_address="東京都千代田区1-1")
    page = new_page()
    staff_log_in(page, live_server, sysadmin)
    page.goto(live_server.url + "/staff/disaster/")
    expect(page.get_by_role("heading", name="災害モード", exact=True)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="開始する").click()
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.get_by_text("災害の名前を入力してください。").first).to_be_visible()
    assert_accessible(page)
    page.get_by_label("災害の名前").fill("令和8年石巻沖地震")
    page.get_by_label("災害の種類").select_option("earthquake")
    page.get_by_label("発生日").fill("2026-11-01")
    page.get_by_label("被害のあった地域（町字）").fill("渡波")
    page.get_by_role("button", name="開始する").click()
    expect(page.get_by_text("災害モード中")).to_be_visible()
    assert_accessible(page)

    visitor = new_page()
    visitor.goto(live_server.url + "/")
    expect(visitor.get_by_role("heading", name="災害が起きています：令和8年石巻沖地震")).to_be_visible()
    expect(visitor.get_by_role("link", name="罹災証明書の発行申請")).to_be_visible()
    assert_accessible(visitor)

    handler = make_staff("tanto@shisanzei.test", "資産 担当", ("shisanzei", StaffRole.Role.HANDLER))
    staff = new_page()
    staff_log_in(staff, live_server, handler)
    staff.goto(live_server.url + "/staff/disaster/triage/?scope=all")
    expect(staff.get_by_role("heading", name="罹災証明の振り分け")).to_be_visible()
    expect(staff.get_by_role("rowheader", name="渡波")).to_be_visible()
    assert_accessible(staff)
    staff.get_by_role("row", name="渡波").get_by_role("link", name="1").first.click()
    expect(staff.get_by_text("罹災証明の振り分けから絞り込んでいます。")).to_be_visible()
    assert_accessible(staff)
