"""Counter bookings (来庁予約) in Chromium: a citizen logs in to book a slot and the test's SMTP server
receives the confirmation (what to bring, where to go); staff see the day's bookings and open the
counter application from one; the hours page of a 課管理者. Without JavaScript too. axe on every screen."""

import re

import pytest
from playwright.sync_api import expect

from madoguchi.counter.models import Booking
from tests.browser.conftest import assert_accessible
from tests.browser.test_back_office import staff_log_in
from tests.conftest import PASSWORD, make_citizen, make_staff
from tests.support.cases import ensure_procedures
from tests.support.counter import open_hours

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in_here(page, user):
    """The log-in page the booking pages sent us to; back to where we were going after it."""
    page.get_by_label("メールアドレス").fill(user.email)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.locator("main button[type=submit]").click()


def test_a_citizen_books_a_slot_and_gets_the_email(live_server, new_page, city, mailbox):
    ensure_procedures()
    open_hours("shisanzei", capacity=2)
    citizen = make_citizen("booker@example.test", "予約 太郎")
    page = new_page(width=390, height=844)  # a phone
    page.goto(live_server.url + "/bookings/new/")
    assert "/account/login/" in page.url  # booking needs an account
    _log_in_here(page, citizen)
    expect(page.get_by_role("heading", name="どの手続で来庁しますか")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="罹災証明書の発行申請").click()
    expect(page.get_by_role("heading", name="来庁する日時を選ぶ")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="この日時で予約する").click()
    expect(page.locator(".error-summary")).to_contain_text("予約する日時を選んでください")
    assert_accessible(page)
    first = page.locator('input[name="slot"]:not([disabled])').first
    first.check()
    page.get_by_role("button", name="この日時で予約する").click()
    reference = page.locator("#booking-reference").inner_text()
    assert re.fullmatch(r"\d{4}-\d{4}", reference)
    assert_accessible(page)
    booking = Booking.objects.get()
    assert booking.reference == reference and booking.user == citizen

    message = mailbox.wait_for(1)[0]
    body = message.get_content()
    assert message["To"] == citizen.email and "来庁予約を受け付けました" in message["Subject"]
    assert reference in body and "2階 21番窓口" in body and "被害の様子がわかる写真" in body

    page.get_by_role("link", name="日時を変更する").click()
    assert_accessible(page)
    page.go_back()
    page.get_by_role("link", name="予約を取り消す").click()
    expect(page.get_by_role("heading", name="予約を取り消しますか")).to_be_visible()
    assert_accessible(page)
    page.goto(live_server.url + "/bookings/")
    expect(page.get_by_text(reference)).to_be_visible()
    assert_accessible(page)

    # Staff: the day's bookings, then the counter application opened from the booking.
    clerk = make_staff(
        "kacho@shisanzei.test", "資産 課長", ("shisanzei", "handler"), ("shisanzei", "dept_admin")
    )
    staff = new_page()
    staff_log_in(staff, live_server, clerk)
    staff.goto(f"{live_server.url}/staff/bookings/?department=shisanzei&day={booking.slot.day.isoformat()}")
    expect(staff.get_by_role("cell", name=reference, exact=True)).to_be_visible()
    assert_accessible(staff)
    staff.get_by_role("link", name="予約を受ける時間を設定する").click()
    expect(staff.get_by_role("heading", name="予約を受ける時間")).to_be_visible()
    assert_accessible(staff)
    staff.get_by_role("button", name="追加する").click()
    expect(staff.locator(".error-summary")).to_be_visible()
    assert_accessible(staff)
    staff.go_back()
    staff.go_back()
    staff.get_by_role("button", name=re.compile(f"窓口で入力を始める.*{reference}")).click()
    expect(staff.locator("#visitor")).to_contain_text(citizen.email)
    expect(staff.locator("#visitor")).to_contain_text(reference)
    assert_accessible(staff)
    booking.refresh_from_db()
    assert booking.status == "checked_in"


def test_booking_works_without_javascript(live_server, new_page, city, mailbox):
    ensure_procedures()
    open_hours("kaigo-hoken", capacity=1)
    citizen = make_citizen("nojs@example.test")
    page = new_page(javascript=False)
    page.goto(live_server.url + "/bookings/new/kaigo_nintei_shinki/")
    _log_in_here(page, citizen)
    page.locator('input[name="slot"]:not([disabled])').first.check()
    page.get_by_role("button", name="この日時で予約する").click()
    reference = page.locator("#booking-reference").inner_text()
    assert reference == Booking.objects.get().reference
    assert reference in mailbox.wait_for(1)[0].get_content()
