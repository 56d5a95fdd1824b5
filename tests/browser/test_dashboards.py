"""The dashboards and the after-submission survey in Chromium, checked by axe; every chart has its table."""

import pytest
from playwright.sync_api import expect

from madoguchi.dashboards.services import kpi_refresh
from tests.browser.conftest import assert_accessible
from tests.browser.test_back_office import citizen_log_in, staff_log_in
from tests.support.cases import file_case
from tests.test_dashboards import seed_cases

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def charts_have_tables(page) -> int:
    """Each SVG chart is role=img with a title and a description, and its section has the table of it."""
    sections = page.locator("section.dashboard-section")
    count = 0
    for n in range(sections.count()):
        section = sections.nth(n)
        chart = section.locator("svg[role=img]")
        if not chart.count():
            continue
        count += 1
        assert chart.locator("title").count() == 1 and chart.locator("desc").count() == 1
        table = section.locator("table")
        assert table.count() == 1
        assert table.locator("caption").count() == 1 and table.locator("th[scope=col]").count() >= 2
    assert count == page.locator("svg[role=img]").count()
    return count


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_public_dashboard_is_accessible(live_server, citizen_erin, new_page, javascript):
    seed_cases(citizen_erin)
    kpi_refresh()
    page = new_page(javascript=javascript)
    page.goto(live_server.url + "/dashboard/")
    expect(page.get_by_role("heading", name="デジタル化の進み具合（ダッシュボード）")).to_be_visible()
    assert charts_have_tables(page) == 4
    if javascript:
        assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="「受付方法別の申請件数と割合」をCSVでダウンロード").click()
    assert download.value.suggested_filename == "dashboard-channels.csv"


def test_staff_dashboard_and_the_survey_are_accessible(
    live_server, citizen_erin, dx_dana, kaigo_alice, new_page
):
    seed_cases(citizen_erin)
    kpi_refresh()
    submission = file_case(citizen_erin, slug="kaigo_nintei_shinki").submission

    page = new_page()
    citizen_log_in(page, live_server, citizen_erin)
    page.goto(live_server.url + f"/applications/{submission.pk}/?sent=1")
    page.get_by_role(
        "link", name="申請は簡単・便利・分かりやすかったですか？アンケート（1分、任意）に答える"
    ).click()
    expect(page.get_by_role("heading", name="アンケートにご協力ください")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="回答を送る").click()  # nothing chosen: the errors are announced
    expect(page.locator(".error-summary")).to_be_visible()
    assert_accessible(page)
    for legend, score in (("簡単でしたか", "4"), ("便利でしたか", "5"), ("分かりやすかったですか", "3")):
        page.get_by_role("group", name=legend).get_by_label(score, exact=True).check()
    page.get_by_label("ご意見（任意）").fill("とても早く終わりました")
    page.get_by_role("button", name="回答を送る").click()
    expect(page.get_by_role("heading", name="ご回答ありがとうございました")).to_be_visible()
    assert_accessible(page)

    for user in (dx_dana, kaigo_alice):
        staff = new_page()
        staff_log_in(staff, live_server, user)
        staff.goto(live_server.url + "/staff/dashboard/")
        expect(staff.get_by_role("heading", name="ダッシュボード", exact=True)).to_be_visible()
        assert charts_have_tables(staff) >= 4
        assert_accessible(staff)
    expect(staff.get_by_text("とても早く終わりました")).to_be_visible()  # 介護保険課's own comment
