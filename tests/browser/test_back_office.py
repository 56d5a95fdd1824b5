"""The back office in Chromium: the queue, a correction round trip (staff asks, the citizen fixes one
field, staff sees what changed), and a decision approved by a 決裁者. axe on every page."""

import pytest
from playwright.sync_api import expect

from madoguchi.cases.models import Case
from tests.browser.conftest import assert_accessible, totp_from_page
from tests.conftest import PASSWORD, make_staff
from tests.support.cases import file_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def staff_log_in(page, live_server, user):
    page.goto(live_server.url + "/staff/login/")
    page.locator("#id_username").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main button[type=submit]").click()
    page.locator("#id_otp_token").fill(totp_from_page(page))
    page.locator("main button[type=submit]").click()
    page.wait_for_url(live_server.url + "/staff/")


def citizen_log_in(page, live_server, user):
    page.goto(live_server.url + "/account/login/")
    page.locator("#id_username").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main button[type=submit]").click()


def test_correction_round_trip_and_a_decision(live_server, citizen_erin, kaigo_alice, new_page, mailbox):
    approver = make_staff("approver@kaigo.test", "決裁 さん", ("kaigo-hoken", "approver"))
    case = file_case(citizen_erin)
    phone_field = next(f["id"] for p in case.submission.version.definition["form"]["pages"] if not p.get("repeat")
                       for f in p["fields"] if f["type"] == "phone" and f["id"] in case.submission.data)  # fmt: skip

    staff = new_page()
    staff_log_in(staff, live_server, kaigo_alice)
    staff.get_by_role("link", name="案件一覧").click()
    assert case.receipt_number in staff.content()
    assert_accessible(staff)
    staff.get_by_role("link", name=case.receipt_number).click()
    assert_accessible(staff)
    staff.get_by_label("状況を変える").select_option("reviewing")
    staff.get_by_role("button", name="変更する").click()
    assert staff.locator("#case-status").inner_text() == "審査中"

    staff.locator("summary", has_text="補正を依頼する").click()
    staff.locator(f"#fix-{phone_field}").check()
    staff.get_by_label("理由（申請者に伝わります）").fill("電話番号がつながりません。ご確認ください。")
    staff.get_by_role("button", name="補正を依頼する").click()
    assert staff.locator("#case-status").inner_text() == "補正依頼中"
    assert any("補正" in m["Subject"] for m in mailbox.wait_for(1))

    citizen = new_page(width=390, height=844)
    citizen_log_in(citizen, live_server, citizen_erin)
    citizen.goto(f"{live_server.url}/applications/{case.submission_id}/")
    expect(citizen.get_by_text("電話番号がつながりません")).to_be_visible()
    assert_accessible(citizen)
    citizen.get_by_role("link", name="直して送る").click()
    assert citizen.locator('input[name^="f-"]').count() == 1  # only the field that was asked about
    citizen.locator(f'[name="f-{phone_field}"]').fill("12")
    citizen.get_by_role("button", name="直した内容を送る").click()
    expect(citizen.locator(".error-summary")).to_be_visible()
    assert_accessible(citizen)
    citizen.locator(f'[name="f-{phone_field}"]').fill("0225-22-3333")
    citizen.get_by_role("button", name="直した内容を送る").click()
    assert citizen.locator("#application-status").inner_text() == "審査中"

    staff.reload()
    changes = staff.locator(".changes")
    assert "0225-22-3333" in changes.inner_text() and "0225-95-1111" in changes.inner_text()
    staff.get_by_label("決定（承認）").check()
    staff.get_by_label("決定の理由").fill("要件を満たしています。")
    staff.get_by_role("button", name="決定案を作る").click()
    expect(staff.get_by_text("決裁者の決裁を待っています")).to_be_visible()

    boss = new_page()
    staff_log_in(boss, live_server, approver)
    boss.goto(f"{live_server.url}/staff/cases/{case.pk}/")
    assert_accessible(boss)
    boss.get_by_role("button", name="決裁する").click()
    assert boss.locator("#case-status").inner_text() == "決定（承認）"
    assert Case.objects.get(pk=case.pk).status == "approved"

    citizen.reload()
    with citizen.expect_download() as download:
        citizen.get_by_role("link", name="決定通知書（PDF）をダウンロード").click()
    assert download.value.suggested_filename.endswith(".pdf")
    assert_accessible(citizen)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_queue_and_case_pages_are_accessible_in_both_languages(
    live_server, citizen_erin, kaigo_admin, new_page, language
):
    for _ in range(3):
        file_case(citizen_erin)
    page = new_page(locale={"ja": "ja-JP", "en": "en-US"}[language])
    staff_log_in(page, live_server, kaigo_admin)
    page.goto(live_server.url + "/staff/cases/?status=")
    assert_accessible(page)
    page.locator("table.queue tbody a").first.click()
    assert_accessible(page)


def test_a_second_departments_case_downloads_the_submissions_photo(live_server, citizen_erin, new_page):
    """資産税課 holds a case of a 介護保険課 submission (a definition's second ``cases:``): its staff
    open the case in Chromium and download the photo stored for 介護保険課."""
    from madoguchi.organisations.models import Department
    from madoguchi.privacy.services import file_store
    from tests.support.hostile import png
    from tests.test_uploads import Upload

    kaigo, shisan = Department.objects.get(code="kaigo-hoken"), Department.objects.get(code="shisanzei")
    photo = file_store(uploaded=Upload(png(), "before.png"), department=kaigo, uploaded_by=citizen_erin)
    own = file_case(citizen_erin, slug="kaigo_jutaku_kaishu",
                    before_photos=[{"id": str(photo.pk), "name": "before.png"}])  # fmt: skip
    second = Case.objects.get(pk=own.pk)
    second.pk, second.department = None, shisan
    second.save()
    staff_member = make_staff("shisan@city.test", "資産税 担当", ("shisanzei", "handler"))

    staff = new_page()
    staff_log_in(staff, live_server, staff_member)
    staff.goto(f"{live_server.url}/staff/cases/{second.pk}/")
    assert_accessible(staff)
    with staff.expect_download() as download:
        staff.get_by_role("link", name="before.png").click()
    assert download.value.suggested_filename == "before.png"
    with open(download.value.path(), "rb") as saved:
        assert saved.read(8) == b"\x89PNG\r\n\x1a\n"
