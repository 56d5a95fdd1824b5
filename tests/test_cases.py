"""Cases: opened by every submission, worked through their workflow, with deadlines in business days."""

from datetime import date
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from madoguchi.cases import services
from madoguchi.cases.calendar import add_business_days, is_closed
from madoguchi.cases.models import Case, CaseEvent, Decision
from madoguchi.privacy.models import AuditEvent
from tests.conftest import make_staff
from tests.support.cases import file_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def kaigo_approver(city):
    return make_staff("approver@kaigo.test", "決裁 さん", ("kaigo-hoken", "approver"))


# --- deadlines -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "days", "due"),
    [
        (date(2026, 4, 28), 5, date(2026, 5, 11)),  # Golden Week: 4/29, 5/3-5/6 closed
        (date(2026, 12, 25), 3, date(2027, 1, 5)),  # the new-year closing, 12/29-1/3
        (date(2027, 1, 8), 1, date(2027, 1, 12)),  # 成人の日 (second Monday of January)
        (date(2026, 7, 31), 0, date(2026, 7, 31)),
    ],
)
def test_due_dates_skip_weekends_holidays_and_the_new_year_closing(received, days, due):
    assert add_business_days(received, days) == due


def test_closing_days():
    assert is_closed(date(2026, 12, 29)) and is_closed(date(2027, 1, 3))
    assert is_closed(date(2026, 5, 5)) and is_closed(date(2026, 11, 28))  # こどもの日, a Saturday
    assert not is_closed(date(2026, 12, 28))


def test_a_new_case_is_due_after_the_procedures_processing_days(citizen_erin):
    # Filed at the counter: a card signature made "in the past" would fail its certificate's dates.
    with mock.patch("django.utils.timezone.now", return_value=_aware(date(2026, 4, 28))):
        case = file_case(citizen_erin, channel="counter")
    assert case.received_on == date(2026, 4, 28)
    days = case.submission.version.definition["processing_days"]
    assert case.due_on == add_business_days(date(2026, 4, 28), days)
    assert case.department.code == "kaigo-hoken" and case.status == "received"
    assert case.applicant_name == "石巻 花子" and case.applicant_kana == "イシノマキ ハナコ"


def _aware(day):
    from datetime import datetime, time

    from django.utils import timezone

    return timezone.make_aware(datetime.combine(day, time(10, 0)))


def test_the_clock_stops_while_the_citizen_corrects(citizen_erin, kaigo_alice):
    with mock.patch("django.utils.timezone.now", return_value=_aware(date(2026, 4, 20))):
        case = file_case(citizen_erin, channel="counter")
    original_due = case.due_on
    with mock.patch("madoguchi.cases.services._today", return_value=date(2026, 4, 21)):
        services.case_transition(by=kaigo_alice, case=case, to_status="reviewing")
        services.correction_request(
            by=kaigo_alice,
            case=case,
            fields=["applicant_phone"] if _has(case, "applicant_phone") else [_first_text_field(case)],
            reason="電話番号が違います",
        )
    case.refresh_from_db()
    assert case.paused_since == date(2026, 4, 21)
    # The citizen answers after Golden Week: 4/22, 4/23, 4/24, 4/27, 4/28, 4/30, 5/1, 5/7 (8 business days).
    with mock.patch("madoguchi.cases.services._today", return_value=date(2026, 5, 7)):
        services._move(Case.objects.get(pk=case.pk), "reviewing", actor=citizen_erin)
    case.refresh_from_db()
    assert case.paused_since is None
    assert case.due_on == add_business_days(original_due, 8)


def _has(case, field_id):
    return any(
        f["id"] == field_id for p in case.submission.version.definition["form"]["pages"] for f in p["fields"]
    )


def _first_text_field(case):
    """A phone (or text) answer the citizen actually gave."""
    for kinds in (("phone",), ("text", "address")):
        for p in case.submission.version.definition["form"]["pages"]:
            if p.get("repeat"):
                continue
            for f in p["fields"]:
                if f["type"] in kinds and f["id"] in case.submission.data:
                    return f["id"]
    raise AssertionError("no text field")


# --- the workflow ----------------------------------------------------------------------------------


def test_walk_every_transition_of_the_standard_workflow(citizen_erin, kaigo_alice, kaigo_approver, mailbox,
                                                        django_capture_on_commit_callbacks):  # fmt: skip
    import io

    from pypdf import PdfReader

    from madoguchi.privacy.uploads import file_storage

    case = file_case(citizen_erin)
    field = _first_text_field(case)
    with django_capture_on_commit_callbacks(execute=True):
        services.case_transition(by=kaigo_alice, case=case, to_status="reviewing")
        services.correction_request(by=kaigo_alice, case=case, fields=[field], reason="番号をご確認ください")
    assert "補正" in mailbox.wait_for(1)[-1]["Subject"]
    case.refresh_from_db()
    assert case.status == "correction"
    from django.http import QueryDict

    post = QueryDict(mutable=True)
    post[f"f-{field}"] = "0225-22-3333" if field.endswith("phone") else "宮城県石巻市穀町1-2"
    result = services.correction_submit(user=citizen_erin, case=case, post=post)
    assert result["errors"] == {} and field in result["changes"]
    case.refresh_from_db()
    assert case.status == "reviewing"
    event = case.events.get(kind=CaseEvent.Kind.RESUBMITTED)
    assert event.changes[field]["after"] in ("0225-22-3333", "宮城県石巻市穀町1-2")

    with django_capture_on_commit_callbacks(execute=True):
        decision = services.decision_propose(
            by=kaigo_alice, case=case, outcome="approved", reason="要件を満たしています"
        )
        case.refresh_from_db()
        assert (
            case.status == "reviewing" and decision.state == Decision.State.PROPOSED
        )  # waits for the 決裁者
        with pytest.raises(PermissionDenied):
            services.decision_approve(by=kaigo_alice, decision=decision)
        services.decision_approve(by=kaigo_approver, decision=decision)
    case.refresh_from_db()
    decision.refresh_from_db()
    assert case.status == "approved" and decision.approved_by == kaigo_approver
    message = mailbox.wait_for(2)[-1]
    assert "決定" in message["Subject"] or "Decided" in message["Subject"] or "状況" in message["Subject"]
    text = "".join(
        p.extract_text()
        for p in PdfReader(io.BytesIO(file_storage().open(decision.notice.storage_name, "rb").read())).pages
    )
    for expected in (
        "決定通知書",
        case.receipt_number,
        "要件を満たしています",
        "決定（承認）",
        "石巻市長",
        "介護保険課",
    ):
        assert expected in text, expected
    services.case_transition(by=kaigo_alice, case=case, to_status="completed")
    case.refresh_from_db()
    assert case.status == "completed" and case.closed_at is not None
    assert [e.to_status for e in case.events.filter(kind="status")] == [
        "received",
        "reviewing",
        "correction",
        "reviewing",
        "approved",
        "completed",
    ]
    assert AuditEvent.objects.filter(object_type="cases.case", object_id=str(case.pk)).count() >= 4


def test_rejection_and_withdrawal(citizen_erin, kaigo_alice, kaigo_approver):
    case = file_case(citizen_erin)
    services.case_transition(by=kaigo_alice, case=case, to_status="reviewing")
    decision = services.decision_propose(
        by=kaigo_alice, case=case, outcome="rejected", reason="要件を満たしません"
    )
    services.decision_return(by=kaigo_approver, decision=decision, comment="理由をもっと具体的に")
    assert Decision.objects.get(pk=decision.pk).state == Decision.State.RETURNED
    decision = services.decision_propose(
        by=kaigo_alice, case=case, outcome="rejected", reason="所得の要件を満たしません"
    )
    services.decision_approve(by=kaigo_approver, decision=decision)
    assert Case.objects.get(pk=case.pk).status == "rejected"

    other = file_case(citizen_erin)
    services.case_transition(
        by=kaigo_alice, case=other, to_status="withdrawn", comment="本人から取下げの連絡"
    )
    other.refresh_from_db()
    assert other.status == "withdrawn" and other.closed_at


def test_moves_the_workflow_does_not_allow_are_refused(citizen_erin, kaigo_alice):
    case = file_case(citizen_erin)
    with pytest.raises(ValidationError):
        services.case_transition(by=kaigo_alice, case=case, to_status="completed")
    with pytest.raises(ValidationError):
        services.case_transition(
            by=kaigo_alice, case=case, to_status="approved"
        )  # decisions go through a proposal
    assert Case.objects.get(pk=case.pk).status == "received"
    assert AuditEvent.objects.filter(object_type="cases.case", result="failure").count() == 1


def test_staff_of_another_department_cannot_touch_the_case(citizen_erin, kosodate_charlie):
    case = file_case(citizen_erin)
    with pytest.raises(PermissionDenied):
        services.case_transition(by=kosodate_charlie, case=case, to_status="reviewing")


def test_the_history_is_append_only(citizen_erin):
    event = file_case(citizen_erin).events.first()
    event.comment = "changed"
    with pytest.raises(ValueError, match="append-only"):
        event.save()


def test_a_notification_procedure_has_no_decision(citizen_erin, city):
    from tests.conftest import make_staff

    handler = make_staff("h@kenko.test", "健康 担当", ("kenko-suishin", "handler"))
    case = file_case(citizen_erin, slug="ninshin_todoke")
    assert case.workflow == "notification"
    services.case_transition(by=handler, case=case, to_status="reviewing")
    services.case_transition(by=handler, case=case, to_status="completed")
    assert Case.objects.get(pk=case.pk).status == "completed"


# --- the queue ---------------------------------------------------------------------------------------


def test_queue_filters_search_and_sort(as_user, citizen_erin, citizen_frank, kaigo_alice):
    from madoguchi.cases.selectors import QueueFilter, queue

    first = file_case(citizen_erin)
    fields = [f for p in first.submission.version.definition["form"]["pages"] for f in p["fields"]]
    name_id = next(f["id"] for f in fields if f["type"] == "name")
    kana_id = next(f["id"] for f in fields if f["type"] == "furigana")
    second = file_case(citizen_frank, **{name_id: {"family": "牡鹿", "given": "次郎"},
                                         kana_id: {"family": "オシカ", "given": "ジロウ"}})  # fmt: skip
    services.case_transition(by=kaigo_alice, case=second, to_status="reviewing")
    dept = first.department_id

    def ids(**kw):
        return {c.pk for c in queue(user=kaigo_alice, department_id=dept, filters=QueueFilter(**kw))}

    assert ids(status="") == {first.pk, second.pk}
    assert ids(status="reviewing") == {second.pk}
    assert ids(q=first.receipt_number.replace("-", "")) == {first.pk}
    assert ids(q=first.receipt_number[:9]) == {first.pk}
    assert ids(q="おしか") == {second.pk}  # hiragana finds katakana
    assert ids(q="牡鹿") == {second.pk}
    Case.objects.filter(pk=first.pk).update(due_on=date(2020, 1, 6))
    assert ids(overdue=True) == {first.pk}
    assert (
        next(
            c.pk
            for c in queue(user=kaigo_alice, department_id=dept, filters=QueueFilter(status="", sort="due"))
        )
        == first.pk
    )
    response = as_user(kaigo_alice).get(reverse("cases:queue"), {"overdue": "1"})
    assert first.receipt_number in response.content.decode() and "超過" in response.content.decode()


def test_bulk_assign_asks_for_confirmation(as_user, citizen_erin, kaigo_alice, kaigo_bob):
    cases = [file_case(citizen_erin), file_case(citizen_erin)]
    client = as_user(kaigo_alice)
    data = {"department": "kaigo-hoken", "case": [str(c.pk) for c in cases], "bulk_action": "assign",
            "assignee": str(kaigo_bob.pk)}  # fmt: skip
    confirm = client.post(reverse("cases:bulk"), data)
    assert confirm.status_code == 200 and "変更する" in confirm.content.decode()
    assert not Case.objects.filter(assignee=kaigo_bob).exists()
    client.post(reverse("cases:bulk"), {**data, "confirmed": "yes"})
    assert Case.objects.filter(assignee=kaigo_bob).count() == 2


def test_staff_home_shows_overdue_and_due_soon(as_user, citizen_erin, kaigo_alice):
    case = file_case(citizen_erin)
    Case.objects.filter(pk=case.pk).update(due_on=date(2020, 1, 6))
    body = as_user(kaigo_alice).get(reverse("core:staff_home")).content.decode()
    assert "期限を過ぎた案件" in body


# --- the case page and the citizen's side ---------------------------------------------------------------


def test_case_page_shows_the_answers_and_is_audited(as_user, citizen_erin, kaigo_alice):
    case = file_case(citizen_erin)
    before = AuditEvent.objects.filter(action="read", object_type="cases.case").count()
    body = as_user(kaigo_alice).get(reverse("cases:detail", kwargs={"case_id": case.pk})).content.decode()
    assert case.receipt_number in body and "●●●● ●●●● 9018" in body and "123456789018" not in body
    assert AuditEvent.objects.filter(action="read", object_type="cases.case").count() == before + 1


def test_notes_stay_internal_and_messages_reach_the_citizen(as_user, citizen_erin, kaigo_alice, mailbox,
                                                            django_capture_on_commit_callbacks):  # fmt: skip
    case = file_case(citizen_erin)
    staff = as_user(kaigo_alice)
    url = reverse("cases:action", kwargs={"case_id": case.pk})
    staff.post(url, {"action": "note", "text": "主治医に確認中（内部）"})
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(url, {"action": "message", "text": "主治医の連絡先を教えてください"})
    assert mailbox.wait_for(1)
    from django.test import Client

    from tests.conftest import login_verified

    citizen = Client()
    login_verified(citizen, citizen_erin)
    page = citizen.get(
        reverse("submissions:detail", kwargs={"submission_id": case.submission_id})
    ).content.decode()
    assert "主治医の連絡先を教えてください" in page and "内部" not in page
    citizen.post(
        reverse("submissions:reply", kwargs={"submission_id": case.submission_id}), {"text": "○○医院です"}
    )
    assert "○○医院です" in staff.get(reverse("cases:detail", kwargs={"case_id": case.pk})).content.decode()


def test_the_case_shows_how_the_applicant_was_identified(as_user, citizen_erin, kaigo_alice):
    signed = file_case(citizen_erin)  # 要介護認定: a 'jpki' procedure, signed with a test card
    assert signed.submission.signature.certificate_subject.startswith("CN=石巻 市民")
    body = as_user(kaigo_alice).get(reverse("cases:detail", kwargs={"case_id": signed.pk})).content.decode()
    assert "マイナンバーカードによる電子署名" in body and "石巻 市民" in body
    counter = file_case(citizen_erin, channel="counter")
    body = as_user(kaigo_alice).get(reverse("cases:detail", kwargs={"case_id": counter.pk})).content.decode()
    assert "窓口で確認" in body
