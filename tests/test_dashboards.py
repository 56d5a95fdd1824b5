"""Dashboards (issue 10, items 4, 5, 7): the KPIs from the cases, the after-submission survey, the internal and
public dashboards and their CSV. Expected numbers are computed here with plain Python over the rows."""

from __future__ import annotations

import csv
import io
import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from madoguchi.cases.calendar import business_days_between
from madoguchi.cases.models import Case, CorrectionRequest
from madoguchi.dashboards.models import KpiSnapshot, SatisfactionResponse
from madoguchi.dashboards.services import kpi_refresh
from madoguchi.privacy.models import AuditEvent
from madoguchi.procedures.models import Procedure
from tests.support.cases import file_case

pytestmark = pytest.mark.django_db

PLAN_PROCEDURES = ("kaigo_nintei_shinki", "kaigo_kyotaku_keikaku_irai", "ninshin_todoke")


def parse(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def first_of(day: date, back: int) -> date:
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def seed_cases(citizen, *, seed: int = 10) -> None:
    """Cases of three procedures over the last three months: every channel, completed (in business days
    inside and outside the standard), withdrawn, still open; some with a 補正依頼."""
    rng = random.Random(seed)
    template = file_case(citizen)
    today = timezone.localdate()
    procedures = {p.slug: p for p in Procedure.objects.filter(slug__in=PLAN_PROCEDURES)}
    rows = []
    for n in range(240):
        procedure = procedures[rng.choice(PLAN_PROCEDURES)]
        month = first_of(today, rng.randint(0, 2))
        received = month + timedelta(days=rng.randint(0, 27))
        if received > today:
            received = today
        channel = rng.choice(["online", "online", "online", "counter", "paper", "paper"])
        days = rng.choice([None, rng.randint(1, 60)])
        status, closed = "reviewing", None
        if days is not None and received + timedelta(days=days) <= today:
            status = rng.choice(["completed", "completed", "completed", "withdrawn"])
            closed = timezone.make_aware(datetime.combine(received + timedelta(days=days), time(15, 0)))
        rows.append(Case(
            submission=template.submission, procedure=procedure, department=procedure.department, status=status,
            receipt_number=f"D{n:06d}", channel=channel, received_on=received,
            due_on=received + timedelta(days=rng.randint(-10, 40)), closed_at=closed,
        ))  # fmt: skip
    template.delete()
    cases = Case.objects.bulk_create(rows)
    CorrectionRequest.objects.bulk_create([
        CorrectionRequest(case=c, fields=["applicant"], reason="記入漏れ") for c in cases if rng.random() < 0.3
    ])  # fmt: skip


def expected(today: date):
    """Per month: channel counts of received cases, and processing of completed ones, from the rows."""
    standard = {
        p.slug: p.current_version.definition["processing_days"]
        for p in Procedure.objects.select_related("current_version")
    }
    channels = defaultdict(lambda: defaultdict(int))
    processing = defaultdict(list)
    corrected = defaultdict(lambda: [0, 0])
    with_correction = set(CorrectionRequest.objects.values_list("case_id", flat=True))
    for c in Case.objects.select_related("procedure"):
        month = c.received_on.strftime("%Y-%m")
        channels[month][c.channel] += 1
        corrected[month][0] += c.pk in with_correction
        corrected[month][1] += 1
        if c.closed_at is not None and c.status != "withdrawn":
            closed_on = timezone.localtime(c.closed_at).date()
            days = business_days_between(c.received_on, closed_on)
            processing[closed_on.strftime("%Y-%m")].append((days, days <= standard[c.procedure.slug]))
    return channels, processing, corrected


def pct(part: int, whole: int) -> str:
    return f"{part / whole * 100:.1f}"


def answer(client, submission, easy, convenient, clear, comment=""):
    return client.post(
        f"/applications/{submission.pk}/survey/",
        {"easy": easy, "convenient": convenient, "clear": clear, "comment": comment},
    )


def test_the_dashboard_matches_the_cases_counted_by_hand(city, citizen_erin, dx_dana, as_user, client):
    seed_cases(citizen_erin)
    # Twelve answers to the survey, through the page, as the citizen gives them.
    scores = [(5, 4, 3), (4, 4, 4), (3, 5, 2), (5, 5, 5), (2, 3, 4), (4, 2, 5), (5, 3, 3), (1, 4, 2), (4, 4, 5),
              (3, 3, 3), (5, 4, 4), (2, 5, 1)]  # fmt: skip
    as_user(citizen_erin)
    for n, (e, v, c) in enumerate(scores):
        submission = file_case(citizen_erin, slug="ninshin_todoke").submission
        response = answer(client, submission, e, v, c, comment=f"意見 {n}")
        assert response.status_code == 302
    assert SatisfactionResponse.objects.count() == 12
    today = timezone.localdate()
    assert kpi_refresh() > 0
    channels, processing, corrected = expected(today)

    as_user(dx_dana)
    rows = parse(client.get("/staff/dashboard/csv/", {"table": "channels", "scope": "city"}))
    assert len(rows) == 12 and rows[-1]["年月"] == today.strftime("%Y-%m")
    checked = 0
    for row in rows:
        counts = channels.get(row["年月"], {})
        total = sum(counts.get(k, 0) for k in ("online", "counter", "paper"))
        assert row["オンライン"] == str(counts.get("online", 0))
        assert row["窓口"] == str(counts.get("counter", 0))
        assert row["紙"] == str(counts.get("paper", 0))
        assert row["計"] == str(total)
        assert row["オンラインの割合（%）"] == (pct(counts.get("online", 0), total) if total else "")
        checked += bool(total)
    assert checked >= 3

    rows = parse(client.get("/staff/dashboard/csv/", {"table": "processing", "scope": "city"}))
    checked = 0
    for row in rows:
        done = processing.get(row["年月"], [])
        assert row["処理件数"] == str(len(done))
        if done:
            within = sum(1 for _d, ok in done if ok)
            assert row["標準処理期間内"] == str(within)
            assert row["標準処理期間内の割合（%）"] == pct(within, len(done))
            assert row["平均処理日数（日）"] == f"{sum(d for d, _ok in done) / len(done):.1f}"
            checked += 1
    assert checked >= 2
    # Some were completed outside the standard period, so the share is a real measurement.
    assert any(not ok for done in processing.values() for _d, ok in done)

    rows = parse(client.get("/staff/dashboard/csv/", {"table": "corrections", "scope": "city"}))
    for row in rows:
        fixed, received = corrected.get(row["年月"], [0, 0])
        assert row["申請件数"] == str(received)
        assert row["補正依頼の割合（%）"] == (pct(fixed, received) if received else "")

    rows = parse(client.get("/staff/dashboard/csv/", {"table": "satisfaction", "scope": "city"}))
    means = [sum(s[i] for s in scores) / len(scores) for i in range(3)]
    assert [r["平均点（5点満点）"] for r in rows] == [f"{m:.2f}" for m in means]
    assert {r["回答数"] for r in rows} == {"12"}

    # The backlog: the cases still open when the snapshot was taken.
    from madoguchi.dashboards.selectors import dashboard

    board = dashboard()
    assert board.open_cases == sum(1 for c in Case.objects.all() if c.closed_at is None)
    assert board.overdue_cases == sum(
        1 for c in Case.objects.all() if c.closed_at is None and c.due_on < today
    )

    # The public dashboard: the same figures where no count from 1 to 9 shows, the satisfaction (12 answers).
    client.logout()
    public = parse(client.get("/dashboard/csv/", {"table": "satisfaction"}))
    assert [r["平均点（5点満点）"] for r in public] == [f"{m:.2f}" for m in means]
    public = parse(client.get("/dashboard/csv/", {"table": "channels"}))
    for row in public:
        counts = channels.get(row["年月"], {})
        for label, key in (("オンライン", "online"), ("窓口", "counter"), ("紙", "paper")):
            value = counts.get(key, 0)
            if 0 < value < 10:
                assert row[label] == ""
            elif row[label] != "":
                assert row[label] == str(value)
    page = client.get("/dashboard/").content.decode()
    assert "意見 1" not in page  # comments never on the public dashboard


def test_each_chart_has_its_table_and_csv(city, citizen_erin, dx_dana, as_user, client):
    seed_cases(citizen_erin, seed=3)
    kpi_refresh()
    page = client.get("/dashboard/").content.decode()
    assert page.count('role="img"') == 4
    assert page.count("<title id=") == 4 and page.count("<desc id=") == 4
    assert page.count("<caption>") >= 5
    for table in ("channels", "processing", "corrections", "satisfaction", "procedures"):
        assert f"/dashboard/csv/?table={table}" in page
    assert client.get("/dashboard/csv/", {"table": "nothing"}).status_code == 404
    assert "<script" not in page
    as_user(dx_dana)
    staff = client.get("/staff/dashboard/").content.decode()
    assert "課別" in staff  # the DX推進担当 sees every department


def test_small_counts_are_suppressed_on_the_public_dashboard_only(
    city, citizen_erin, dx_dana, as_user, client
):
    template = file_case(citizen_erin, slug="kaigo_nintei_shinki", channel="online")
    procedure = template.procedure
    today = timezone.localdate()
    Case.objects.bulk_create([
        Case(submission=template.submission, procedure=procedure, department=procedure.department, status="reviewing",
             receipt_number=f"S{n}", channel="counter" if n < 3 else "online", received_on=today, due_on=today)
        for n in range(20)
    ])  # fmt: skip
    kpi_refresh()
    row = parse(client.get("/dashboard/csv/", {"table": "channels"}))[-1]
    assert row["窓口"] == "" and row["紙"] == "0"  # 3 counter cases: suppressed; 0 is shown
    assert row["オンライン"] == ""  # secondary: otherwise 21 − 18 would give the 3 away
    assert row["オンラインの割合（%）"] == ""
    procedures = {r["手続"]: r for r in parse(client.get("/dashboard/csv/", {"table": "procedures"}))}
    assert procedures[procedure.name]["申請件数"] == "21"
    as_user(dx_dana)
    row = parse(client.get("/staff/dashboard/csv/", {"table": "channels", "scope": "city"}))[-1]
    assert (row["オンライン"], row["窓口"], row["紙"]) == ("18", "3", "0")


def test_survey_is_one_answer_by_the_submitter_only(city, citizen_erin, citizen_frank, client, as_user):
    submission = file_case(citizen_erin, slug="kaigo_kyotaku_keikaku_irai").submission
    url = f"/applications/{submission.pk}/survey/"
    assert client.get(url).status_code == 404  # anonymous
    as_user(citizen_frank)
    assert client.get(url).status_code == 404
    assert answer(client, submission, 5, 5, 5).status_code == 404
    as_user(citizen_erin)
    sent = client.get(f"/applications/{submission.pk}/?sent=1")
    assert sent.status_code == 200, sent.status_code
    assert url in sent.content.decode(), sent.content.decode()[-3000:]
    form = client.get(url).content.decode()
    assert form.count('type="radio"') == 15 and form.count("<legend>") == 3
    invalid = answer(client, submission, 6, 0, "")
    assert invalid.status_code == 200 and "error-summary" in invalid.content.decode()
    assert answer(client, submission, 4, 5, 3, "窓口に行かずに済みました").status_code == 302
    again = answer(client, submission, 1, 1, 1)  # one answer per submission: the second is not recorded
    assert again.status_code == 200 and "ありがとうございました" in again.content.decode()
    saved = SatisfactionResponse.objects.get()
    assert (saved.easy, saved.convenient, saved.clear) == (4, 5, 3)
    assert saved.procedure == submission.procedure and saved.department == submission.department
    assert "ありがとうございました" in client.get(url).content.decode()


def test_comments_only_for_the_owning_department_and_audited(
    city, citizen_erin, kaigo_alice, kosodate_charlie, dx_dana, client, as_user
):
    from madoguchi.dashboards.services import satisfaction_submit

    submission = file_case(citizen_erin, slug="kaigo_nintei_shinki").submission
    satisfaction_submit(
        submission=submission, easy=2, convenient=3, clear=2, comment="電話番号 090-0000-0000 に連絡を"
    )
    as_user(kosodate_charlie)
    assert "090-0000-0000" not in client.get("/staff/dashboard/").content.decode()
    as_user(dx_dana)
    assert "090-0000-0000" not in client.get("/staff/dashboard/").content.decode()
    before = AuditEvent.objects.filter(object_type="dashboards.satisfactionresponse").count()
    as_user(kaigo_alice)
    page = client.get("/staff/dashboard/").content.decode()
    assert "090-0000-0000" in page
    assert page.index("所属課の指標") < page.index("市全体の指標")  # their own numbers first
    event = AuditEvent.objects.filter(object_type="dashboards.satisfactionresponse").latest("seq")
    assert AuditEvent.objects.filter(object_type="dashboards.satisfactionresponse").count() == before + 1
    assert (
        event.actor_id == kaigo_alice.pk
        and event.department_code == "kaigo-hoken"
        and event.fields == ["comment"]
    )


def test_the_survey_is_in_the_personal_data_registry():
    from madoguchi.privacy.registry import files

    assert any(f.model is SatisfactionResponse for f in files())


def test_snapshot_refresh_replaces_its_months(city, citizen_erin):
    seed_cases(citizen_erin, seed=5)
    kpi_refresh()
    first = KpiSnapshot.objects.count()
    kpi_refresh()
    assert KpiSnapshot.objects.count() == first
    total = sum(KpiSnapshot.objects.values_list("received", flat=True))
    window = first_of(timezone.localdate(), 11)
    assert total == Case.objects.filter(received_on__gte=window).count()


def test_the_daily_refresh_time():
    from zoneinfo import ZoneInfo

    from madoguchi.dashboards.tasks import next_run_time

    tokyo = ZoneInfo("Asia/Tokyo")
    assert next_run_time(datetime(2026, 3, 1, 4, 0, tzinfo=tokyo)) == datetime(2026, 3, 1, 5, 0, tzinfo=tokyo)
    assert next_run_time(datetime(2026, 3, 1, 5, 0, tzinfo=tokyo)) == datetime(2026, 3, 2, 5, 0, tzinfo=tokyo)


def test_the_public_dashboard_is_published_as_open_data(city, citizen_erin, client, settings, tmp_path):
    from madoguchi.accounts.models import StaffRole
    from madoguchi.dashboards.opendata import DATASET_NAME, dashboard_publish
    from madoguchi.opendata import services
    from madoguchi.opendata.models import Dataset
    from tests.conftest import make_staff

    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}  # fmt: skip
    maker = make_staff("kacho@ict.test", "ICT 課長", ("ict", StaffRole.Role.DEPT_ADMIN))
    approver = make_staff("kessai@ict.test", "ICT 決裁", ("ict", StaffRole.Role.APPROVER))
    seed_cases(citizen_erin, seed=7)
    kpi_refresh()
    change = dashboard_publish(by=maker)
    assert change is not None
    dataset = Dataset.objects.get(name=DATASET_NAME)
    assert dataset.department.code == "ict" and dataset.frequency == Dataset.Frequency.MONTHLY
    services.change_approve(by=approver, dataset=dataset)
    assert dashboard_publish() is None  # the same figures: nothing submitted
    resource = dataset.resources.filter(derived_from__isnull=True, current_version__isnull=False).get()
    response = client.get(f"/opendata/dataset/{DATASET_NAME}/resource/{resource.pk}/download/")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    published = list(csv.DictReader(io.StringIO(text)))
    on_page = parse(client.get("/dashboard/csv/", {"table": "channels"}))
    assert [r["オンライン"] for r in published] == [r["オンライン"] for r in on_page]
    assert all(
        v == "" or v == "0" or int(v) >= 10
        for r in published
        for k, v in r.items()
        if k in ("オンライン", "窓口", "紙", "計")
    )
    assert f"/opendata/dataset/{DATASET_NAME}/" in client.get("/dashboard/").content.decode()


def test_an_anonymous_submitter_answers_from_the_session_that_submitted(city, citizen_erin, client):
    from django.test import Client

    from madoguchi.submissions.models import Submission
    from madoguchi.submissions.views import SESSION_SUBMISSIONS

    filed = file_case(citizen_erin, slug="kaigo_kyotaku_keikaku_irai").submission
    Submission.objects.filter(pk=filed.pk).update(user=None)  # as filed without logging in
    url = f"/applications/{filed.pk}/survey/"
    assert client.get(url).status_code == 404
    client.get("/dashboard/")  # a session, then the submission remembered in it as the runner does
    session = client.session
    session[SESSION_SUBMISSIONS] = [str(filed.pk)]
    session.save()
    assert client.get(url).status_code == 200
    assert Client().get(url).status_code == 404  # another browser
    assert answer(client, filed, 3, 3, 4).status_code == 302
    assert SatisfactionResponse.objects.get(submission=filed).clear == 4


def test_one_answer_after_a_bundle_counts_for_each_of_its_procedures(
    city, citizen_erin, citizen_frank, as_user
):
    from madoguchi.submissions.models import Bundle, Submission

    first = file_case(citizen_erin, slug="kaigo_kyotaku_keikaku_irai").submission
    second = file_case(citizen_erin, slug="ninshin_todoke").submission
    bundle = Bundle.objects.create(user=citizen_erin, submitted_at=timezone.now())
    Submission.objects.filter(pk__in=[first.pk, second.pk]).update(bundle=bundle)
    client = as_user(citizen_erin)
    done = client.get(f"/apply/bundle/{bundle.pk}/done/").content.decode()
    survey = next(
        f"/applications/{s.pk}/survey/" for s in (first, second) if f"/applications/{s.pk}/survey/" in done
    )
    assert client.post(survey, {"easy": 5, "convenient": 5, "clear": 4, "comment": ""}).status_code == 302
    answers = {a.submission_id: a for a in SatisfactionResponse.objects.all()}
    assert set(answers) == {first.pk, second.pk}
    assert {a.procedure.slug for a in answers.values()} == {"kaigo_kyotaku_keikaku_irai", "ninshin_todoke"}
    assert {(a.easy, a.convenient, a.clear) for a in answers.values()} == {(5, 5, 4)}


def test_the_policy_initiatives_and_their_kpis_are_on_both_dashboards(
    city, citizen_erin, dx_dana, as_user, client
):
    from django.core.management import call_command

    seed_cases(citizen_erin, seed=11)
    kpi_refresh()
    call_command("load_dx_policy", "--demo", verbosity=0)
    page = client.get("/dashboard/").content.decode()
    assert "石巻市DX推進方針の取組と指標" in page
    assert "行政手続のオンライン化" in page and "オンライン化した優先手続の数" in page
    # The automatic KPI is the one computed here: every procedure loaded accepts applications online.
    assert "<td>オンライン化した優先手続の数</td><td>自動</td><td>28手続</td>" in page
    as_user(dx_dana)
    assert "オンライン化した優先手続の数" in client.get("/staff/dashboard/").content.decode()
