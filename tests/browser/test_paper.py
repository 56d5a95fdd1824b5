"""Done-when (issue 9): in Chromium, a printed pre-filled form, scanned back, yields the same data
exactly; axe finds no violations on the intake and verification screens.

The citizen's answers are printed as the pre-filled PDF (the download of their draft), rendered to
images with pdfium, turned and speckled a little as a scanner would, and uploaded by a 担当者 as one
TIFF at /staff/paper/; the verification screen is accepted with the keyboard only (Enter)."""

from __future__ import annotations

import pytest
from django.test import Client
from playwright.sync_api import expect

from madoguchi.forms.samples import sample_answers
from madoguchi.paper.models import PaperApplication, ScanPage
from madoguchi.procedures.models import Procedure
from madoguchi.submissions.models import Submission
from madoguchi.submissions.services import draft_save, draft_start
from tests.browser.conftest import assert_accessible
from tests.browser.test_back_office import staff_log_in
from tests.conftest import login_verified
from tests.support.cases import ensure_procedures
from tests.support.paper import ENGINE, scan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_printed_pre_filled_form_scanned_back_yields_the_same_data(
    live_server, new_page, settings, tmp_path, kaigo_alice, citizen_erin, mailbox
):
    settings.MADOGUCHI_OCR_ENGINES = ENGINE
    settings.MADOGUCHI_PAPER_DPI = 150
    ensure_procedures()
    procedure = Procedure.objects.get(slug="kaigo_nintei_shinki")
    draft = draft_start(procedure=procedure, user=citizen_erin)
    draft_save(draft=draft, values=sample_answers(procedure.current_version.definition))
    draft.refresh_from_db()
    original = dict(draft.data)

    citizen = Client()
    login_verified(citizen, citizen_erin)
    pdf = citizen.get(f"/apply/{draft.pk}/form.pdf").content  # "print pre-filled"
    pages = scan(pdf, dpi=200, rotate=1.5, noise=10, seed=11)
    pages.reverse()  # the pile came out of the scanner upside down in order
    from PIL import Image

    pages.insert(2, Image.new("L", (1654, 2339), 255))  # and a blank sheet slipped in
    tiff = tmp_path / "scan.tif"
    pages[0].save(tiff, "TIFF", save_all=True, append_images=pages[1:], compression="tiff_deflate")

    page = new_page()
    staff_log_in(page, live_server, kaigo_alice)
    page.get_by_role("link", name="紙の申請書").click()
    assert_accessible(page)
    page.get_by_role("button", name="取り込む").click()  # nothing chosen
    expect(page.locator(".error-summary")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("スキャンしたファイル（PDF、TIFF、JPEG、PNG。複数選べます）").set_input_files(str(tiff))
    page.set_default_timeout(120_000)  # the test profile reads the pages inside the request
    page.get_by_role("button", name="取り込む").click()
    expect(page.get_by_role("heading", name="取り込んだスキャン")).to_be_visible()
    page.set_default_timeout(10_000)
    assert_accessible(page)
    assert ScanPage.objects.filter(state="unidentified").count() == 1

    page.get_by_role("link", name=procedure.name).click()
    expect(page.get_by_role("heading", name="読み取り内容の確認")).to_be_visible()
    assert_accessible(page)
    # keyboard only: the first field has the focus; Enter accepts what was read
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="取り込んだスキャン")).to_be_visible()
    expect(page.locator("main")).to_contain_text("受け付けました")
    assert_accessible(page)

    submission = Submission.objects.get(channel="paper")
    assert submission.data == original
    assert submission.entered_by_id == kaigo_alice.pk
    assert PaperApplication.objects.get().submission_id == submission.pk

    # the stray sheet waits in the unidentified pile
    page.get_by_role("navigation", name="職員メニュー").get_by_role("link", name="紙の申請書").click()
    page.get_by_role("link", name="未識別のページを見る").click()
    assert_accessible(page)
    page.locator("main ul a").first.click()
    assert_accessible(page)
    page.get_by_role("button", name="このページを破棄する").click()
    expect(page.locator("main")).to_contain_text("ページを破棄しました")
    assert ScanPage.objects.get(state="discarded")
