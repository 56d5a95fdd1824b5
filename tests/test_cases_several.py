"""Issue 5 item 1: a submission opens several cases when its definition says so (``cases:``),
each in its own department's queue, linked to each other, each shown to the citizen."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from madoguchi.accounts.models import StaffRole
from madoguchi.cases import services
from madoguchi.cases.models import Case
from madoguchi.forms.samples import sample_answers
from madoguchi.organisations.models import Department
from madoguchi.procedures.definitions import DefinitionError, parse_definition
from madoguchi.procedures.models import Procedure
from madoguchi.submissions import services as submission_services
from tests.conftest import make_staff
from tests.support.cases import ensure_procedures, file_case

TENSHUTSU = "tenshutsu_tennyu_yoyaku"


def _file(user, slug=TENSHUTSU):
    """A submission filed as the runner does (signed with a test card where the procedure needs it)."""
    ensure_procedures()
    procedure = Procedure.objects.get(slug=slug)
    draft = submission_services.draft_start(procedure=procedure, user=user)
    submission_services.draft_save(draft=draft, values=sample_answers(procedure.current_version.definition))
    if submission_services.needs_signature(procedure.current_version.definition, "online"):
        from madoguchi.identity.dev_helpers import sign_draft_with_test_card

        sign_draft_with_test_card(draft)
    return submission_services.submission_create(
        draft_id=draft.pk, idempotency_key=draft.submission_token, user=user, channel="online"
    )


@pytest.fixture
def shimin_staff(city):
    return make_staff("shimin@city.test", "市民 担当", ("shimin", StaffRole.Role.HANDLER))


@pytest.fixture
def nenkin_staff(city):
    return make_staff("nenkin@city.test", "保険年金 担当", ("hoken-nenkin", StaffRole.Role.HANDLER))


def test_a_definition_with_two_cases_opens_two_each_seen_only_by_its_department(
    as_user, citizen_erin, shimin_staff, nenkin_staff
):
    submission = _file(citizen_erin)
    cases = {c.department.code: c for c in submission.cases.select_related("department")}
    assert set(cases) == {"shimin", "hoken-nenkin"}
    own, notice = cases["shimin"], cases["hoken-nenkin"]
    assert own.receipt_number == notice.receipt_number == submission.receipt_number
    assert own.title == "" and notice.title.startswith("転出の連絡")
    assert own.workflow == notice.workflow == "notification"
    assert own.status == notice.status == "received"
    assert [e.to_status for e in notice.events.all()] == ["received"]

    def detail(case):
        return reverse("cases:detail", kwargs={"case_id": case.pk})

    shimin = as_user(shimin_staff)
    assert shimin.get(detail(notice)).status_code == 404
    body = shimin.get(detail(own)).content.decode()
    # The sibling is listed (its department, its status), not linked: 市民課 cannot open it.
    assert "転出の連絡（国民健康保険・国民年金の確認）" in body and "保険年金課" in body
    assert detail(notice) not in body
    queue = shimin.get(reverse("cases:queue")).content.decode()
    assert detail(own) in queue and detail(notice) not in queue

    nenkin = as_user(nenkin_staff)
    assert nenkin.get(detail(own)).status_code == 404
    body = nenkin.get(detail(notice)).content.decode()
    assert "転出の連絡（国民健康保険・国民年金の確認）" in body and "市民課" in body
    queue = nenkin.get(reverse("cases:queue")).content.decode()
    assert detail(notice) in queue and detail(own) not in queue

    # The citizen's page shows each case's department and status.
    services.case_transition(by=nenkin_staff, case=notice, to_status="reviewing")
    page = as_user(citizen_erin).get(reverse("submissions:mine")).content.decode()
    assert "市民課：受付" in page and "保険年金課：確認中" in page
    assert page.index("市民課：受付") < page.index("保険年金課：確認中")  # the procedure's own first


def test_a_correction_asked_by_the_second_department_reaches_the_citizen(citizen_erin, nenkin_staff):
    submission = _file(citizen_erin)
    notice = submission.cases.get(department__code="hoken-nenkin")
    services.case_transition(by=nenkin_staff, case=notice, to_status="reviewing")
    services.correction_request(
        by=nenkin_staff, case=notice, fields=["notifier_phone"], reason="番号をご確認ください"
    )
    from madoguchi.cases.selectors import case_of_submission

    assert case_of_submission(submission=submission).pk == notice.pk
    services.case_transition(by=nenkin_staff, case=Case.objects.get(pk=notice.pk), to_status="reviewing")
    assert case_of_submission(submission=submission).department.code == "shimin"


def test_the_hook_runs_for_each_case_and_extra_cases_cost_no_extra_insert(citizen_erin):
    seen = []

    def hook(*, case, submission):
        seen.append(case.department.code)

    services.on_case_opened(hook)
    try:
        single = file_case(citizen_erin).submission
        several = _file(citizen_erin)
        assert seen == ["kaigo-hoken", "shimin", "hoken-nenkin"]

        def inserts(submission):
            with CaptureQueriesContext(connection) as queries:
                services.cases_open(submission=submission)
            return [
                q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("INSERT")
            ]

        # Opening again on purpose (the cases are thrown away with the test): the statements, not the result.
        one, two = inserts(single), inserts(several)
        assert len(one) == len(two) == 2  # the cases in one INSERT, their first events in another
    finally:
        services._CASE_OPENED_HOOKS.remove(hook)


def test_single_case_procedures_are_unchanged(citizen_erin):
    case = file_case(citizen_erin)
    assert case.submission.cases.count() == 1
    assert case.department.code == "kaigo-hoken" and case.title == "" and case.workflow == "standard"


BASE_CASES = """cases:
  - {department: shimin}
  - department: hoken-nenkin
"""


@pytest.mark.parametrize(
    ("replacement", "where", "message"),
    [
        ("department: hoken-nenkin", "cases[1].department", "no department with code 'nowhere'"),
        ("- {department: shimin}", "cases[0].department", "the first case is the procedure's own"),
        ("- department: hoken-nenkin", "cases[2].department", "already has a case"),
        ("workflow: notification", "cases[1].workflow", "no workflow 'kessai'"),
        ("title: {ja:", "cases[1].title", ""),
    ],
)
def test_a_bad_cases_entry_is_refused_with_file_line_and_field(city, replacement, where, message):
    path = f"data/procedures/{TENSHUTSU}.yaml"
    with open(path, encoding="utf-8") as f:
        text = f.read()
    bad = {
        "department: hoken-nenkin": text.replace("  - department: hoken-nenkin\n", "  - department: nowhere\n"),
        "- {department: shimin}": text.replace("  - {department: shimin}\n", "  - {department: kaigo-hoken}\n"),
        "- department: hoken-nenkin": text.replace("  - {department: shimin}\n", "  - {department: shimin}\n  - {department: hoken-nenkin, title: {ja: あ, en: a}}\n"),
        "workflow: notification": text.replace("  - department: hoken-nenkin\n", "  - department: hoken-nenkin\n    workflow: kessai\n"),
        "title: {ja:": text.replace("    title: {ja: 転出の連絡", "    title: {en: x, ja: 転出の連絡"),
    }[replacement]  # fmt: skip
    if replacement == "title: {ja:":  # a title without English
        bad = bad.replace(', en: "Notice of moving out (National Health Insurance and pension check)"', "")
        bad = bad.replace("{en: x, ja:", "{ja:")
    known = set(Department.objects.values_list("code", flat=True))
    with pytest.raises(DefinitionError) as refused:
        parse_definition(bad, source=path, known_departments=known)
    error = next(e for e in refused.value.errors if where in e)
    line = int(error.split(":")[1])
    assert error.startswith(f"{path}:") and message in error
    assert bad.splitlines()[line - 1].lstrip().startswith(("-", "department", "workflow", "title"))


def test_kpis_and_statistics_count_an_application_once_however_many_cases_it_opens(citizen_erin):
    from django.utils import timezone

    from madoguchi.dashboards.models import KpiSnapshot
    from madoguchi.dashboards.services import kpi_refresh
    from madoguchi.opendata.stats import case_records

    submission = _file(citizen_erin)
    assert Case.objects.filter(submission=submission).count() == 2
    kpi_refresh()
    snapshot = KpiSnapshot.objects.get(
        procedure=submission.procedure, month=timezone.localdate().replace(day=1)
    )
    assert snapshot.received == 1 and snapshot.online == 1
    assert snapshot.open_cases == 2  # the backlog is work: every case counts there
    today = timezone.localdate()
    records = [r for r in case_records(year=today.year, month=today.month) if r.procedure == TENSHUTSU]
    assert len(records) == 1
