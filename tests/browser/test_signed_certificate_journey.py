"""The whole journey in Chromium: a citizen files 罹災証明 online, staff decide, the citizen downloads the
sealed 罹災証明書, and anyone verifies it by scanning its QR code."""

import io
from pathlib import Path

import pypdfium2
import pytest
import zxingcpp

from madoguchi.documents.seal import seal_files, validate_pdf
from madoguchi.procedures.services import procedures_load_from_files
from tests.browser.conftest import assert_accessible
from tests.browser.test_back_office import citizen_log_in, staff_log_in
from tests.browser.test_journeys import fill
from tests.conftest import make_staff
from tests.support.formfill import page_of, page_post

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def qr_url_of(pdf: bytes) -> str:
    """Render the PDF's first page and read its QR code, as a phone camera would."""
    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=3).to_pil()
    codes = zxingcpp.read_barcodes(image)
    assert codes, "no QR code found on the document"
    return codes[0].text


def test_file_decide_download_and_verify_by_qr(live_server, citizen_erin, new_page, settings):
    settings.MADOGUCHI_SITE_URL = live_server.url
    procedures_load_from_files()
    handler = make_staff("h@shisanzei.test", "資産 担当", ("shisanzei", "handler"))
    approver = make_staff("a@shisanzei.test", "資産 決裁", ("shisanzei", "approver"))
    from madoguchi.procedures.models import Procedure

    definition = Procedure.objects.get(slug="risai_shomei").current_version.definition

    citizen = new_page(width=390, height=844)
    citizen_log_in(citizen, live_server, citizen_erin)
    citizen.goto(f"{live_server.url}/procedures/risai_shomei/")
    citizen.get_by_role("button", name="申請をはじめる").click()
    while (current := page_of(definition, citizen.url)) is not None:
        fill(citizen, page_post(current))
        citizen.get_by_role("button", name="次へ進む", exact=True).click()
    citizen.get_by_role("button", name="この内容で送信する").click()
    receipt = citizen.locator("#receipt-number").inner_text()

    staff = new_page()
    staff_log_in(staff, live_server, handler)
    staff.goto(f"{live_server.url}/staff/cases/?department=shisanzei&q={receipt}")
    staff.get_by_role("link", name=receipt).click()
    staff.get_by_label("状況を変える").select_option("reviewing")
    staff.get_by_role("button", name="変更する").click()
    staff.get_by_label("決定（承認）").check()
    staff.get_by_label("決定の理由").fill("半壊")
    staff.get_by_role("button", name="決定案を作る").click()
    boss = new_page()
    staff_log_in(boss, live_server, approver)
    boss.goto(staff.url)
    boss.get_by_role("button", name="決裁する").click()

    citizen.goto(f"{live_server.url}/applications/")
    citizen.get_by_role("table").get_by_role("link", name="罹災証明書の発行申請").click()
    with citizen.expect_download() as download:
        citizen.get_by_role("link", name="決定通知書（PDF）をダウンロード").click()
    pdf = Path(download.value.path()).read_bytes()
    # pyhanko runs its own event loop; Playwright's sync API already runs one in this thread.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(validate_pdf, pdf, [seal_files().chain.read_text()]).result()["valid"]

    # Anyone — no log-in — scans the QR code and checks the file.
    stranger = new_page(width=390, height=844)
    url = qr_url_of(pdf)
    assert url.startswith(live_server.url + "/verify/")
    stranger.goto(url)
    assert "市が発行したものです" in stranger.locator("#verify-result").inner_text()
    assert "罹災証明書" in stranger.content() and "半壊" in stranger.content()
    path = io.BytesIO(pdf)
    stranger.locator("#file").set_input_files(
        files=[{"name": "risai.pdf", "mimeType": "application/pdf", "buffer": path.getvalue()}]
    )
    stranger.get_by_role("button", name="ファイルを確かめる").click()
    assert "発行したときのままです" in stranger.locator("#file-result").inner_text()
    assert_accessible(stranger)
