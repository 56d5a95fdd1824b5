"""The DX pages in Chromium, checked by axe: the register (with an import that has a mistake) and the initiative pages."""

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from madoguchi.dx.register_io import COLUMNS
from madoguchi.dx.services import policy_load_from_file
from madoguchi.procedures.services import procedures_load_from_files
from tests.browser.conftest import assert_accessible
from tests.browser.test_back_office import staff_log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_register_and_initiative_pages_are_accessible(live_server, dx_dana, new_page, tmp_path):
    procedures_load_from_files()
    policy_load_from_file()
    from madoguchi.dx.demo import load_demo_kpis, load_demo_register

    load_demo_register()
    load_demo_kpis()
    page = new_page()
    staff_log_in(page, live_server, dx_dana)
    page.goto(live_server.url + "/staff/dx/")
    expect(page.get_by_role("heading", name="DX推進", exact=True)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="行政手続に関する押印、書面規制等の見直し").click()
    expect(page.get_by_role("heading", name="A③ 行政手続に関する押印、書面規制等の見直し")).to_be_visible()
    assert_accessible(page)
    for path in ("/staff/dx/initiatives/A4/", "/staff/dx/kpis/mynumber_card_rate/", "/staff/dx/kpis/mynumber_card_rate/entry/",
                 "/staff/dx/standardisation/", "/staff/dx/standardisation/kaigo-hoken/", "/staff/dx/initiatives/A4/edit/"):  # fmt: skip
        page.goto(live_server.url + path)
        assert_accessible(page)
    page.goto(live_server.url + "/staff/dx/register/")
    expect(page.get_by_role("heading", name="手続台帳", exact=True)).to_be_visible()
    assert_accessible(page)

    book = Workbook()
    book.active.append(COLUMNS)
    book.active.append(
        ["B-1", "テストの手続", "kaigo-hoken", "", "", "12", "はい", "要", "不要", "継続", "", "未対応", ""]
    )
    path = tmp_path / "register.xlsx"
    book.save(path)
    page.goto(live_server.url + "/staff/dx/register/import/")
    page.set_input_files("#id_file", str(path))
    page.get_by_role("button", name="確認する").click()
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.get_by_role("cell", name="「要」か「不要」で入力してください。")).to_be_visible()
    assert_accessible(page)
