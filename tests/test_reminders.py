"""Reminders from data/reminders.yaml: each kind fires on the right day for the right people only, once, and
not when the data, the city or the citizen switched it off."""

import io
from datetime import date, datetime, timedelta

import pytest
import yaml
from django.core.management import call_command
from django.http import QueryDict
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from madoguchi.cases import services as case_services
from madoguchi.cases.models import Case
from madoguchi.notifications.models import Notice, ReminderSent, ReminderSetting
from madoguchi.notifications.reminders import (
    ReminderConfigError,
    certification_end,
    config_path,
    parse_config,
    reminder_config,
)
from madoguchi.notifications.services import reminders_run
from madoguchi.privacy.models import AuditEvent
from madoguchi.procedures.models import Procedure
from madoguchi.submissions.models import Submission
from madoguchi.submissions.services import draft_start
from tests.conftest import login_verified, make_staff
from tests.support.cases import ensure_procedures, file_case

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


@pytest.fixture
def kosodate_handler(city):
    return make_staff("handler@kosodate.test", "子育 担当", ("kosodate-shien", "handler"))


def reminders(user, kind):
    return list(Notice.objects.filter(user=user, kind=kind))


def certify(user, handler, approver, slug="kaigo_nintei_shinki", **answers):
    """A 要介護認定 application, approved."""
    case = file_case(user, slug=slug, **answers)
    case_services.case_transition(by=handler, case=case, to_status="reviewing")
    decision = case_services.decision_propose(
        by=handler, case=case, outcome="approved", reason="認定しました"
    )
    case_services.decision_approve(by=approver, decision=decision)
    return case


def _phone_field(case) -> str:
    """A phone answer the citizen gave (the field to correct)."""
    for page in case.submission.version.definition["form"]["pages"]:
        for f in [] if page.get("repeat") else page["fields"]:
            if f["type"] == "phone" and f["id"] in case.submission.data:
                return f["id"]
    raise AssertionError("no phone answer")


def ask_correction(case, handler):
    case_services.case_transition(by=handler, case=case, to_status="reviewing")
    return case_services.correction_request(by=handler, case=case, fields=[_phone_field(case)],
                                            reason="電話番号をご確認ください")  # fmt: skip


def _filed_on(case) -> date:
    return timezone.localdate(case.submission.submitted_at)


# --- dates ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (date(2026, 4, 15), 6, date(2026, 10, 31)),  # mid-month: the rest of April, then six months
        (date(2026, 4, 1), 6, date(2026, 9, 30)),  # from the 1st: six whole months
        (date(2026, 11, 20), 12, date(2027, 11, 30)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
    ],
)
def test_certification_periods(start, months, end):
    assert certification_end(start, months) == end


# --- 要介護認定の更新 -------------------------------------------------------------------------------------


def test_care_renewal_reminds_the_certified_60_days_before_the_end_once(
    citizen_erin, citizen_frank, kaigo_alice, kaigo_admin, mailbox, django_capture_on_commit_callbacks
):
    case = certify(citizen_erin, kaigo_alice, kaigo_admin)
    file_case(citizen_frank)  # applied, not (yet) certified
    ends = certification_end(_filed_on(case), 6)

    assert reminders_run(today=ends - 61 * DAY)["care_renewal"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_run(today=ends - 60 * DAY)["care_renewal"] == 1
    (notice,) = reminders(citizen_erin, "care_renewal")
    assert notice.link == "/procedures/kaigo_nintei_koshin/"
    assert (
        f"{ends.year}年{ends.month}月{ends.day}日ごろに終わります" in notice.body
        and "あと60日" in notice.body
    )
    assert notice.submission_id == case.submission_id
    message = [m for m in mailbox.wait_for(1) if "更新" in str(m["Subject"])]
    assert message and message[0]["To"] == citizen_erin.email
    assert reminders(citizen_frank, "care_renewal") == []

    assert reminders_run(today=ends - 60 * DAY)["care_renewal"] == 0  # run twice: still one
    assert reminders_run(today=ends - 10 * DAY)["care_renewal"] == 0  # the same period
    assert reminders_run(today=ends + DAY)["care_renewal"] == 0  # over
    assert len(reminders(citizen_erin, "care_renewal")) == 1


def test_care_renewal_follows_the_renewed_period_and_stops_when_the_renewal_is_filed(
    citizen_erin, kaigo_alice, kaigo_admin
):
    ensure_procedures()
    previous_end = (timezone.localdate() + timedelta(days=40)).replace(day=1) - DAY  # a month's last day
    renewed = certify(citizen_erin, kaigo_alice, kaigo_admin, slug="kaigo_nintei_koshin",
                      current_valid_until=previous_end.isoformat())  # fmt: skip
    ends = certification_end(previous_end + DAY, 12)  # twelve months from the day after the old period
    assert reminders_run(today=ends - 60 * DAY)["care_renewal"] == 1

    # Another person's application (another 被保険者番号) does not stop the reminder of this one...
    first = certify(citizen_erin, kaigo_alice, kaigo_admin, insured_number="0000999999")
    first_ends = certification_end(_filed_on(first), 6)
    file_case(citizen_erin, slug="kaigo_nintei_koshin", insured_number="0000123456")
    assert reminders_run(today=first_ends - 30 * DAY)["care_renewal"] == 1
    # ...but a renewal filed for the same person does.
    file_case(citizen_erin, slug="kaigo_nintei_koshin", insured_number="0000999999")
    ReminderSent.objects.all().delete()
    assert reminders_run(today=first_ends - 29 * DAY)["care_renewal"] == 0
    assert renewed.submission.data["insured_number"] == "0000123456"


# --- 現況届 ---------------------------------------------------------------------------------------------


def test_the_genkyo_season_reminds_those_who_filed_in_an_earlier_year_once_a_year(
    citizen_erin, citizen_frank, kosodate_handler, django_capture_on_commit_callbacks
):
    year = timezone.localdate().year + 1
    report = file_case(citizen_erin, slug="jidoteate_genkyo_todoke")
    for status in ("reviewing", "completed"):
        case_services.case_transition(by=kosodate_handler, case=report, to_status=status)
    last_year = timezone.make_aware(datetime(year - 1, 6, 10, 10))
    Case.objects.filter(pk=report.pk).update(received_on=last_year.date())
    Submission.objects.filter(pk=report.submission_id).update(submitted_at=last_year)
    # Frank receives the child allowance but never had to file the 現況届: not reminded.
    file_case(citizen_frank, slug="jidoteate_nintei_seikyu")

    assert reminders_run(today=date(year, 5, 31))["genkyo_season"] == 0
    assert reminders_run(today=date(year, 6, 1))["genkyo_season"] == 1
    assert reminders_run(today=date(year, 6, 15))["genkyo_season"] == 0  # once a year
    (notice,) = reminders(citizen_erin, "genkyo_season")
    assert (
        notice.subject == f"【石巻市】{year}年の児童手当の現況届をお出しください"
        and "6月30日まで" in notice.body
    )
    assert notice.link == "/procedures/jidoteate_genkyo_todoke/"
    assert reminders(citizen_frank, "genkyo_season") == []
    assert reminders_run(today=date(year, 7, 1))["genkyo_season"] == 0  # out of season

    # Next year: reminded again, unless this year's report is in already.
    assert reminders_run(today=date(year + 1, 6, 1))["genkyo_season"] == 1
    filed = file_case(citizen_erin, slug="jidoteate_genkyo_todoke")
    Submission.objects.filter(pk=filed.submission_id).update(
        submitted_at=timezone.make_aware(datetime(year + 2, 6, 2, 9))
    )
    assert reminders_run(today=date(year + 2, 6, 3))["genkyo_season"] == 0


# --- a draft left unfinished ----------------------------------------------------------------------------


def test_a_draft_untouched_for_a_week_is_reminded_once_while_it_is_kept(city, citizen_erin):
    ensure_procedures()
    procedure = Procedure.objects.get(slug="risai_shomei")
    draft = draft_start(procedure=procedure, user=citizen_erin)
    draft_start(procedure=procedure, session_key="s" * 32)  # not logged in: nobody to remind
    started = timezone.localdate(draft.updated_at)

    assert reminders_run(today=started + 6 * DAY)["draft_unfinished"] == 0
    assert reminders_run(today=started + 7 * DAY)["draft_unfinished"] == 1
    assert reminders_run(today=started + 8 * DAY)["draft_unfinished"] == 0
    (notice,) = reminders(citizen_erin, "draft_unfinished")
    assert notice.link == reverse("submissions:check", kwargs={"draft_id": draft.pk})
    assert "罹災証明書の発行申請" in notice.subject
    assert reminders_run(today=started + 31 * DAY)["draft_unfinished"] == 0  # erased by then


# --- a correction request not answered ------------------------------------------------------------------


def test_an_unanswered_correction_is_reminded_after_7_and_21_days(citizen_erin, citizen_frank, kaigo_alice):
    case = file_case(citizen_erin)
    correction = ask_correction(case, kaigo_alice)
    asked = timezone.localdate(correction.requested_at)

    assert reminders_run(today=asked + 6 * DAY)["correction_unanswered"] == 0
    assert reminders_run(today=asked + 7 * DAY)["correction_unanswered"] == 1
    assert reminders_run(today=asked + 7 * DAY)["correction_unanswered"] == 0
    assert reminders_run(today=asked + 20 * DAY)["correction_unanswered"] == 0
    assert reminders_run(today=asked + 21 * DAY)["correction_unanswered"] == 1
    assert reminders_run(today=asked + 30 * DAY)["correction_unanswered"] == 0
    first, second = sorted(reminders(citizen_erin, "correction_unanswered"), key=lambda n: n.created_at)
    assert (
        "電話番号をご確認ください" in first.body and "（7日前）" in first.body and "（21日前）" in second.body
    )
    assert first.link == reverse("submissions:correct", kwargs={"submission_id": case.submission_id})
    assert reminders(citizen_frank, "correction_unanswered") == []

    post = QueryDict(mutable=True)
    post[f"f-{_phone_field(case)}"] = "0225-22-3333"
    case_services.correction_submit(user=citizen_erin, case=Case.objects.get(pk=case.pk), post=post)
    ReminderSent.objects.all().delete()
    assert reminders_run(today=asked + 21 * DAY)["correction_unanswered"] == 0  # answered


# --- switches: the data, the city, the citizen -----------------------------------------------------------


def test_the_city_switches_a_kind_off_and_on(citizen_erin, kaigo_alice, sysadmin):
    correction = ask_correction(file_case(citizen_erin), kaigo_alice)
    day = timezone.localdate(correction.requested_at) + 7 * DAY
    client = Client()
    login_verified(client, sysadmin)
    url = reverse("notifications:staff_overview")
    assert (
        client.post(url, {"action": "reminder", "kind": "correction_unanswered"}).status_code == 302
    )  # unticked
    assert ReminderSetting.objects.get(kind="correction_unanswered").enabled is False
    assert AuditEvent.objects.filter(object_type="notifications.remindersetting", detail="off").exists()
    assert reminders_run(today=day)["correction_unanswered"] == 0

    citizen = Client()
    login_verified(citizen, citizen_erin)
    page = citizen.get(reverse("notifications:settings")).content.decode()
    assert (
        "補正のお願いの再度のお知らせ" not in page and "入力の途中の申請のお知らせ" in page
    )  # only what is sent

    client.post(url, {"action": "reminder", "kind": "correction_unanswered", "enabled": "on"})
    assert reminders_run(today=day)["correction_unanswered"] == 1


def test_a_kind_switched_off_in_the_data_is_never_sent(citizen_erin, kaigo_alice):
    correction = ask_correction(file_case(citizen_erin), kaigo_alice)
    data = yaml.safe_load(config_path().read_text(encoding="utf-8"))
    data["correction_unanswered"]["enabled"] = False
    rules = parse_config(data)
    day = timezone.localdate(correction.requested_at) + 7 * DAY
    assert reminders_run(today=day, rules=rules)["correction_unanswered"] == 0
    assert reminders_run(today=day)["correction_unanswered"] == 1  # as shipped


def test_a_citizen_who_switched_a_kind_off_does_not_get_it(city, citizen_erin, citizen_frank):
    ensure_procedures()
    procedure = Procedure.objects.get(slug="risai_shomei")
    erins = draft_start(procedure=procedure, user=citizen_erin)
    draft_start(procedure=procedure, user=citizen_frank)
    erin = Client()
    login_verified(erin, citizen_erin)
    url = reverse("notifications:settings")
    assert "入力の途中の申請のお知らせ" in erin.get(url).content.decode()
    keep = ["care_renewal", "genkyo_season", "correction_unanswered"]
    assert erin.post(url, {"receive": keep}).status_code == 302
    page = erin.get(url).content.decode()
    assert 'value="draft_unfinished" aria-' in page and 'value="care_renewal" checked' in page

    day = timezone.localdate(erins.updated_at) + 7 * DAY
    assert reminders_run(today=day)["draft_unfinished"] == 1
    assert reminders(citizen_erin, "draft_unfinished") == []
    assert len(reminders(citizen_frank, "draft_unfinished")) == 1

    erin.post(url, {"receive": [*keep, "draft_unfinished"]})  # switched back on
    assert reminders_run(today=day)["draft_unfinished"] == 1
    assert len(reminders(citizen_erin, "draft_unfinished")) == 1


# --- the command, the schedule, the data ----------------------------------------------------------------------


def test_the_send_reminders_command(city, citizen_erin):
    ensure_procedures()
    draft = draft_start(procedure=Procedure.objects.get(slug="risai_shomei"), user=citizen_erin)
    day = (timezone.localdate(draft.updated_at) + 7 * DAY).isoformat()
    out = io.StringIO()
    call_command("send_reminders", "--today", day, "--dry-run", stdout=out)
    assert "draft_unfinished: would send 1" in out.getvalue() and not Notice.objects.exists()
    call_command("send_reminders", "--today", day, stdout=out)
    call_command("send_reminders", "--today", day, stdout=out)
    assert out.getvalue().count("draft_unfinished: sent 1") == 1 and Notice.objects.count() == 1


def test_the_periodic_work_is_scheduled_once(settings, city):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    call_command("schedule_periodic", stdout=io.StringIO())
    call_command("schedule_periodic", stdout=io.StringIO())
    names = [t.task_path.rsplit(".", 1)[-1] for t in DBTaskResult.objects.all()]
    tasks = {t.task_path.rsplit(".", 1)[-1]: t for t in DBTaskResult.objects.all()}
    assert names.count("sweep_notices") == names.count("send_reminders_daily") == 1  # once, however often run
    local = timezone.localtime(tasks["send_reminders_daily"].run_after)
    assert (local.hour, local.minute) == (9, 0)
    assert tasks["sweep_notices"].run_after <= timezone.now() + timedelta(minutes=10)


def test_the_shipped_data_loads_and_mistakes_are_named():
    assert set(reminder_config()) == {
        "care_renewal",
        "genkyo_season",
        "draft_unfinished",
        "correction_unanswered",
    }
    with pytest.raises(ReminderConfigError, match="unknown type"):
        parse_config({"x_kind": {"type": "nothing", "name": {"ja": "x"}}})
    with pytest.raises(ReminderConfigError, match="no default template"):
        parse_config({"new_kind": {"type": "draft_idle", "name": {"ja": "x"}, "idle_days": 3}})
    with pytest.raises(ReminderConfigError, match="MM-DD"):
        data = yaml.safe_load(config_path().read_text(encoding="utf-8"))
        data["genkyo_season"]["starts"] = "June"
        parse_config(data)
    with pytest.raises(ReminderConfigError, match="not a usable name"):
        parse_config({"receipt": {"type": "draft_idle", "name": {"ja": "x"}, "idle_days": 3}})
