"""Counter bookings (来庁予約): slots from the department's hours and the city's calendar, booking with a
confirmation e-mail (what to bring, where to go), moving and cancelling, a full slot never booked twice
under concurrent requests, staff's day list and check-in, the hours a 課管理者 sets, and the demo data."""

import re
import threading
from datetime import date, time, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from madoguchi.counter import services
from madoguchi.counter.models import Booking, CounterSchedule, CounterSlot
from madoguchi.counter.references import new_reference, normalise_reference
from madoguchi.counter.slots import parse_key, parse_time, slots_of
from madoguchi.organisations.models import Department
from madoguchi.organisations.services import MunicipalityFileError, municipality_load_from_file
from madoguchi.privacy.models import AuditEvent
from madoguchi.procedures.models import Procedure
from tests.conftest import CITY_FILE, department, make_citizen, make_staff
from tests.support.cases import ensure_procedures
from tests.support.counter import book, next_business_day, open_hours, slot_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def procedures(city):
    ensure_procedures()


# --- slots and the calendar ---------------------------------------------------------------------------


class _Hours:
    def __init__(self, weekdays, opens, closes, minutes, capacity):
        self.weekdays, self.opens_at, self.closes_at = weekdays, opens, closes
        self.slot_minutes, self.capacity = minutes, capacity


def test_slots_follow_the_hours_and_the_citys_closed_days():
    hours = [
        _Hours([0, 1, 2, 3, 4], time(9, 0), time(12, 0), 30, 2),
        _Hours([1], time(13, 0), time(14, 0), 20, 1),
    ]
    monday, tuesday = date(2026, 6, 1), date(2026, 6, 2)
    assert [s.key for s in slots_of(hours, monday)] == [
        "2026-06-01T09:00", "2026-06-01T09:30", "2026-06-01T10:00", "2026-06-01T10:30", "2026-06-01T11:00",
        "2026-06-01T11:30",
    ]  # fmt: skip
    assert len(slots_of(hours, tuesday)) == 6 + 3 and slots_of(hours, tuesday)[-1].end == time(14, 0)
    assert slots_of(hours, date(2026, 6, 6)) == []  # Saturday
    assert slots_of(hours, date(2026, 11, 23)) == []  # 勤労感謝の日 (a Monday)
    assert slots_of(hours, date(2026, 12, 29)) == [] and slots_of(hours, date(2027, 1, 4)) != []  # 年末年始
    assert parse_key("2026-06-01T09:00") == (monday, time(9, 0))
    for bad in ("", "2026-02-30T09:00", "2026-06-01 09:00", "x", "2026-06-01T25:00"):
        assert parse_key(bad) is None
    assert (
        parse_time("８：３０") == time(8, 30)
        and parse_time("8時") == time(8, 0)
        and parse_time("0830") == time(8, 30)
    )
    assert parse_time("17時15分") == time(17, 15) and parse_time("25:00") is None and parse_time("朝") is None


def test_booking_references_are_short_readable_and_checked():
    references = {new_reference() for _ in range(500)}
    assert len(references) > 490
    for reference in list(references)[:50]:
        assert re.fullmatch(r"\d{4}-\d{4}", reference)
        assert normalise_reference(reference) == reference
        assert normalise_reference(reference.replace("-", "")) == reference
        full_width = reference.translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))
        assert normalise_reference(full_width) == reference
    reference = next(iter(references))
    wrong = reference[:-1] + str((int(reference[-1]) + 1) % 10)
    assert normalise_reference(wrong) is None and normalise_reference("12-34") is None


def test_the_city_file_says_where_each_counter_is(city, tmp_path):
    shisanzei = department("shisanzei")
    assert (shisanzei.floor, shisanzei.counter, shisanzei.general_counter) == ("2", "21", False)
    assert department("ict").floor == ""
    text = CITY_FILE.read_text(encoding="utf-8").replace(
        "{code: ict, name: ICT総合推進課,", '{code: ict, general_counter: "yes", name: ICT総合推進課,'
    )
    bad = tmp_path / "city.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(MunicipalityFileError, match="general_counter"):
        municipality_load_from_file(path=bad)
    good = tmp_path / "good.yaml"
    good.write_text(text.replace('general_counter: "yes"', "general_counter: true"), encoding="utf-8")
    municipality_load_from_file(path=good)
    assert department("ict").general_counter is True


# --- the hours a 課管理者 sets ----------------------------------------------------------------------------


def test_hours_are_checked_field_by_field(as_user, kaigo_admin, kaigo_alice, kosodate_admin):
    url = reverse("counter:schedules", kwargs={"code": "kaigo-hoken"})
    client = as_user(kaigo_admin)
    response = client.post(url, {"opens_at": "25時", "closes_at": "", "slot_minutes": "7", "capacity": "0"})
    assert response.status_code == 400
    page = response.content.decode()
    for message in ("予約を受ける曜日を一つ以上選んでください", "時刻は「8:30」のように入力してください",
                    "受付を終える時刻を入力してください", "一覧から選んでください", "1人以上にしてください"):  # fmt: skip
        assert message in page
    response = client.post(url, {"weekdays": ["0", "2"], "opens_at": "12:00", "closes_at": "9:00",
                                 "slot_minutes": "30", "capacity": "2"})  # fmt: skip
    assert "受付終了は受付開始より後の時刻にしてください" in response.content.decode()
    response = client.post(url, {"weekdays": ["0", "2"], "opens_at": "８：３０", "closes_at": "12時",
                                 "slot_minutes": "30", "capacity": "３"})  # fmt: skip
    assert response.status_code == 302
    hours = CounterSchedule.objects.get(department=department("kaigo-hoken"))
    assert (hours.weekdays, hours.opens_at, hours.closes_at, hours.capacity) == (
        [0, 2],
        time(8, 30),
        time(12),
        3,
    )
    response = client.post(url, {"weekdays": ["2"], "opens_at": "11:00", "closes_at": "13:00",
                                 "slot_minutes": "30", "capacity": "2"})  # fmt: skip
    assert "と重なっています" in response.content.decode()
    assert client.post(url, {"weekdays": ["1"], "opens_at": "11:00", "closes_at": "13:00", "slot_minutes": "30",
                             "capacity": "2"}).status_code == 302  # another weekday  # fmt: skip
    # Only the department's own 課管理者.
    assert as_user(kaigo_alice).get(url).status_code == 404
    assert as_user(kosodate_admin).get(url).status_code == 404
    delete = reverse("counter:schedule_delete", kwargs={"code": "kaigo-hoken", "schedule_id": hours.pk})
    assert as_user(kosodate_admin).post(delete).status_code == 404
    assert as_user(kaigo_admin).post(delete).status_code == 302
    assert CounterSchedule.objects.filter(department=department("kaigo-hoken")).count() == 1


# --- booking -------------------------------------------------------------------------------------------------


def test_anonymous_visitors_must_log_in_to_book(client, procedures):
    open_hours("shisanzei")
    for url in (
        reverse("counter:booking_new"),
        reverse("counter:booking_choose", kwargs={"slug": "risai_shomei"}),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    client.post(reverse("counter:booking_choose", kwargs={"slug": "risai_shomei"}), {"slot": slot_key()})
    assert not Booking.objects.exists()


def test_a_citizen_books_and_gets_what_to_bring_and_where_to_go(
    as_user, citizen_erin, procedures, mailbox, django_capture_on_commit_callbacks
):
    open_hours("shisanzei", capacity=2)
    client = as_user(citizen_erin)
    new = client.get(reverse("counter:booking_new")).content.decode()
    assert "罹災証明書の発行申請" in new and "資産税課（2階 21番窓口）" in new
    url = reverse("counter:booking_choose", kwargs={"slug": "risai_shomei"})
    page = client.get(url).content.decode()
    key = slot_key(at=time(9, 30))
    assert f'value="{key}"' in page and "残り2" in page and "被害の様子がわかる写真" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"slot": key})
    booking = Booking.objects.get()
    assert response["Location"] == reverse("counter:booking_detail", kwargs={"booking_id": booking.pk})
    assert booking.status == "booked" and booking.department.code == "shisanzei"
    assert CounterSlot.objects.get().booked == 1
    detail = client.get(response["Location"]).content.decode()
    assert booking.reference in detail and "資産税課（2階 21番窓口）" in detail

    message = mailbox.wait_for(1)[0]
    body = message.get_content()
    assert message["To"] == citizen_erin.email and "来庁予約を受け付けました" in message["Subject"]
    assert booking.reference in body and "9:30–10:00" in body
    assert "石巻市 資産税課（2階 21番窓口）" in body and "宮城県石巻市穀町14番1号" in body
    assert "本人確認書類" in body and "被害の様子がわかる写真" in body and "委任状" in body
    assert f"/bookings/{booking.pk}/" in body
    # Nothing personal in the URL it links to.
    link = re.search(r"https?://\S+", body).group(0)
    assert citizen_erin.email not in link and booking.reference not in link
    assert AuditEvent.objects.filter(
        action="create", object_type="counter.booking", object_id=str(booking.pk)
    ).exists()


def test_bad_booking_requests_get_a_message_never_a_500(as_user, citizen_erin, citizen_frank, procedures):
    open_hours("shisanzei", capacity=1)
    url = reverse("counter:booking_choose", kwargs={"slug": "risai_shomei"})
    client = as_user(citizen_erin)
    saturday = next(
        d for d in (timezone.localdate() + timedelta(days=i) for i in range(1, 9)) if d.weekday() == 5
    )
    cases = {
        "": "予約する日時を選んでください",
        "tomorrow": "予約する日時を選んでください",
        f"{saturday.isoformat()}T09:00": "その日時は予約できません",
        f"{next_business_day().isoformat()}T09:10": "その日時は予約できません",  # not a slot's start
        f"{next_business_day().isoformat()}T18:00": "その日時は予約できません",  # after hours
        f"{(timezone.localdate() - timedelta(days=7)).isoformat()}T09:00": "その日時は予約できません",
        f"{(timezone.localdate() + timedelta(days=120)).isoformat()}T09:00": "その日時は予約できません",
    }
    for value, message in cases.items():
        response = client.post(url, {"slot": value})
        assert response.status_code == 400, value
        assert message in response.content.decode(), value
    assert client.post(url, {"slot": slot_key()}).status_code == 302
    response = as_user(citizen_frank).post(url, {"slot": slot_key()})
    assert response.status_code == 400 and "予約がいっぱいになりました" in response.content.decode()
    assert "disabled" in as_user(citizen_frank).get(url).content.decode()  # 満員 shown, not offered
    assert client.get(reverse("counter:booking_choose", kwargs={"slug": "no_such_thing"})).status_code == 404


def test_a_full_slot_is_never_booked_twice_under_concurrent_requests(transactional_db, city):
    ensure_procedures()
    open_hours("shisanzei", capacity=3)
    procedure = Procedure.objects.get(slug="risai_shomei")
    citizens = [make_citizen(f"visitor{i}@example.test") for i in range(20)]
    key = slot_key()
    made, refused, errors = [], [], []
    barrier = threading.Barrier(len(citizens))

    def book_once(user):
        try:
            barrier.wait(timeout=10)
            made.append(services.booking_create(user=user, procedure=procedure, key=key, notify=False))
        except services.CounterRefused as exc:
            refused.append(exc.message)
        except Exception as exc:  # collected, to fail the test with the reason
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=book_once, args=(user,)) for user in citizens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors[:3]
    assert len(made) == 3 and len(refused) == 17
    assert all("いっぱい" in message for message in refused)
    assert Booking.objects.filter(status="booked").count() == 3
    assert CounterSlot.objects.get().booked == 3
    assert len({b.reference for b in made}) == 3


def test_a_double_click_makes_one_booking(transactional_db, city):
    ensure_procedures()
    open_hours("shisanzei", capacity=5)
    procedure = Procedure.objects.get(slug="risai_shomei")
    user = make_citizen("clicker@example.test")
    key = slot_key()
    made, errors = [], []
    barrier = threading.Barrier(6)

    def book_once():
        try:
            barrier.wait(timeout=10)
            made.append(services.booking_create(user=user, procedure=procedure, key=key, notify=False).pk)
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=book_once) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors[:3]
    assert len(set(made)) == 1 and Booking.objects.count() == 1 and CounterSlot.objects.get().booked == 1


def test_moving_and_cancelling_free_the_place_and_tell_the_citizen(
    as_user, citizen_erin, procedures, mailbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(citizen_erin, "risai_shomei", key=slot_key(at=time(9, 0)))
    client = as_user(citizen_erin)
    move = reverse("counter:booking_move", kwargs={"booking_id": booking.pk})
    later = slot_key(at=time(10, 0))
    assert f'value="{later}"' in client.get(move).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(move, {"slot": later})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.slot.start == time(10, 0)
    assert {(s.start, s.booked) for s in CounterSlot.objects.all()} == {(time(9, 0), 0), (time(10, 0), 1)}
    assert "来庁予約を変更しました" in mailbox.wait_for(2)[-1]["Subject"]
    assert client.post(move, {"slot": "nonsense"}).status_code == 400

    cancel = reverse("counter:booking_cancel", kwargs={"booking_id": booking.pk})
    assert "予約を取り消しますか" in client.get(cancel).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(cancel).status_code == 302
    booking.refresh_from_db()
    assert booking.status == "cancelled" and CounterSlot.objects.get(start=time(10, 0)).booked == 0
    assert "来庁予約を取り消しました" in mailbox.wait_for(3)[-1]["Subject"]
    # A cancelled booking cannot be moved; cancelling again changes nothing and sends nothing.
    response = client.post(move, {"slot": slot_key(at=time(11, 0))})
    assert response.status_code == 400 and "変更できません" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(cancel)
    assert len(mailbox.messages) == 3
    listing = client.get(reverse("counter:booking_mine")).content.decode()
    assert "取消し" in listing


def test_a_past_booking_cannot_be_moved_or_cancelled(citizen_erin, procedures):
    booking = book(citizen_erin, "risai_shomei", notify=False)
    later = timezone.now() + timedelta(days=10)
    with pytest.raises(services.CounterRefused, match="過ぎている"):
        services.booking_cancel(user=citizen_erin, booking=booking, now=later)


# --- staff: the day's bookings -------------------------------------------------------------------------------


def test_staff_see_their_departments_bookings_of_the_day_and_check_visitors_in(
    as_user, citizen_erin, kaigo_alice, kosodate_charlie, procedures
):
    booking = book(citizen_erin, "kaigo_nintei_shinki", notify=False)
    day = booking.slot.day.isoformat()
    url = f"{reverse('counter:booking_day')}?department=kaigo-hoken&day={day}"
    page = as_user(kaigo_alice).get(url).content.decode()
    assert booking.reference in page and citizen_erin.display_name in page
    assert AuditEvent.objects.filter(
        object_type="counter.booking", object_id=f"day:{day}", action="read"
    ).exists()
    # Another department's staff are shown their own counter, never this one.
    other = as_user(kosodate_charlie).get(url).content.decode()
    assert booking.reference not in other and citizen_erin.display_name not in other
    check_in = reverse("counter:booking_check_in", kwargs={"booking_id": booking.pk})
    assert as_user(kosodate_charlie).post(check_in).status_code == 404
    assert as_user(kaigo_alice).post(check_in).status_code == 302
    booking.refresh_from_db()
    assert booking.status == "checked_in" and booking.checked_in_by == kaigo_alice


def test_a_general_counter_sees_every_departments_bookings(as_user, citizen_erin, procedures):
    Department.objects.filter(code="shimin").update(general_counter=True)
    clerk = make_staff("sogo@shimin.test", "総合 窓口", ("shimin", "handler"))
    booking = book(citizen_erin, "kaigo_nintei_shinki", notify=False)
    url = f"{reverse('counter:booking_day')}?department=kaigo-hoken&day={booking.slot.day.isoformat()}"
    assert booking.reference in as_user(clerk).get(url).content.decode()


# --- retention and the demo -----------------------------------------------------------------------------------


def test_bookings_are_erased_a_year_after_their_day(citizen_erin, procedures):
    from madoguchi.privacy.services import retention_purge

    old = book(citizen_erin, "risai_shomei", notify=False)
    kept = book(citizen_erin, "risai_shomei", key=slot_key(at=time(10, 0)), notify=False)
    CounterSlot.objects.filter(pk=old.slot_id).update(day=timezone.localdate() - timedelta(days=400))
    retention_purge(now=timezone.now())
    assert list(Booking.objects.values_list("pk", flat=True)) == [kept.pk]


def test_the_demo_gets_hours_and_bookings_once(city):
    call_command("load_demo", quiet_logins=True, stdout=open("/dev/null", "w"))  # noqa: SIM115
    ensure_procedures()
    call_command("load_demo_counter", stdout=open("/dev/null", "w"))  # noqa: SIM115
    hours, bookings = CounterSchedule.objects.count(), Booking.objects.count()
    assert {s.department.code for s in CounterSchedule.objects.all()} == {"shimin", "kaigo-hoken", "kosodate-shien",
                                                                          "shisanzei"}  # fmt: skip
    assert bookings == 3
    assert Booking.objects.filter(user__email="citizen1@demo.madoguchi.example").count() == 2
    call_command("load_demo_counter", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert (CounterSchedule.objects.count(), Booking.objects.count()) == (hours, bookings)
