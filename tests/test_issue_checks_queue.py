"""Issue 5 checks the back-office tests did not yet cover: saved filters, bulk status change with a
confirmation, the due-soon marks on the queue and the staff home, and the queue's other filters."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from madoguchi.cases import services
from madoguchi.cases.models import Case, CaseEvent, SavedFilter
from madoguchi.cases.selectors import QueueFilter, queue
from tests.support.cases import file_case

pytestmark = pytest.mark.django_db


def test_a_saved_filter_is_listed_for_its_owner_only_and_reapplies(
    as_user, citizen_erin, kaigo_alice, kaigo_bob
):
    case = file_case(citizen_erin)
    query = "department=kaigo-hoken&status=received&overdue=1"
    alice = as_user(kaigo_alice)
    response = alice.post(
        reverse("cases:save_filter"), {"department": "kaigo-hoken", "name": "受付・超過", "query": query}
    )
    assert response.status_code == 302 and response["Location"].endswith("?" + query)
    saved = SavedFilter.objects.get()
    assert (saved.user, saved.department.code, saved.query) == (kaigo_alice, "kaigo-hoken", query)

    body = alice.get(reverse("cases:queue"), {"department": "kaigo-hoken"}).content.decode()
    assert "受付・超過" in body and f'href="?{query.replace("&", "&amp;")}"' in body
    # Following the saved link applies it: the case is not overdue, so it is not listed; once it is, it is.
    assert case.receipt_number not in alice.get(reverse("cases:queue") + "?" + query).content.decode()
    Case.objects.filter(pk=case.pk).update(due_on=date(2020, 1, 6))
    assert case.receipt_number in alice.get(reverse("cases:queue") + "?" + query).content.decode()

    # Saving again under the same name replaces it; a name is required.
    alice.post(
        reverse("cases:save_filter"),
        {"department": "kaigo-hoken", "name": "受付・超過", "query": "status=open"},
    )
    assert SavedFilter.objects.get().query == "status=open"
    alice.post(
        reverse("cases:save_filter"), {"department": "kaigo-hoken", "name": " ", "query": "status=open"}
    )
    assert SavedFilter.objects.count() == 1

    # A colleague does not see Alice's filters.
    bob_body = as_user(kaigo_bob).get(reverse("cases:queue"), {"department": "kaigo-hoken"}).content.decode()
    assert "受付・超過" not in bob_body


def test_a_filter_cannot_be_saved_for_another_department(client, citizen_erin, kosodate_charlie):
    from tests.conftest import login_verified

    login_verified(client, kosodate_charlie)
    response = client.post(
        reverse("cases:save_filter"), {"department": "kaigo-hoken", "name": "x", "query": ""}
    )
    assert response.status_code == 404
    assert not SavedFilter.objects.exists()


def test_bulk_status_change_asks_for_confirmation_then_moves_each_case(as_user, citizen_erin, kaigo_alice):
    cases = [file_case(citizen_erin), file_case(citizen_erin)]
    client = as_user(kaigo_alice)
    data = {"department": "kaigo-hoken", "case": [str(c.pk) for c in cases], "bulk_action": "status",
            "to_status": "reviewing"}  # fmt: skip
    confirm = client.post(reverse("cases:bulk"), data)
    assert confirm.status_code == 200
    body = confirm.content.decode()
    assert all(c.receipt_number in body for c in cases) and 'name="confirmed"' in body
    assert set(Case.objects.values_list("status", flat=True)) == {"received"}  # nothing moved yet

    client.post(reverse("cases:bulk"), {**data, "confirmed": "yes"})
    assert set(Case.objects.values_list("status", flat=True)) == {"reviewing"}
    for case in cases:
        event = CaseEvent.objects.filter(case=case, to_status="reviewing").get()
        assert (event.from_status, event.actor) == ("received", kaigo_alice)


def test_bulk_actions_on_another_departments_cases_change_nothing(as_user, citizen_erin, kosodate_charlie):
    case = file_case(citizen_erin)
    client = as_user(kosodate_charlie)
    data = {"department": "kosodate-shien", "case": [str(case.pk)], "bulk_action": "status",
            "to_status": "reviewing", "confirmed": "yes"}  # fmt: skip
    client.post(reverse("cases:bulk"), data)
    assert Case.objects.get(pk=case.pk).status == "received"
    assert client.post(reverse("cases:bulk"), {**data, "department": "kaigo-hoken"}).status_code == 404


def test_due_soon_is_marked_in_the_queue_and_counted_on_the_staff_home(as_user, citizen_erin, kaigo_alice):
    soon, later = file_case(citizen_erin), file_case(citizen_erin)
    today = timezone.localdate()
    Case.objects.filter(pk=soon.pk).update(due_on=services.due_soon_limit(today))
    Case.objects.filter(pk=later.pk).update(due_on=today + timedelta(days=60))
    assert {c.pk for c in queue(user=kaigo_alice, department_id=soon.department_id,
                                filters=QueueFilter(due_soon=True))} == {soon.pk}  # fmt: skip
    client = as_user(kaigo_alice)
    body = client.get(reverse("cases:queue"), {"department": "kaigo-hoken", "due_soon": "1"}).content.decode()
    assert soon.receipt_number in body and later.receipt_number not in body
    home = client.get(reverse("core:staff_home")).content.decode()
    assert "期限が近い案件" in home and "card--warning" in home


def test_filters_by_procedure_channel_assignee_and_received_date(citizen_erin, kaigo_alice, kaigo_bob):
    online = file_case(citizen_erin)
    counter = file_case(citizen_erin, channel="counter")
    other_procedure = file_case(citizen_erin, slug="kaigo_hihokenshasho_saikofu")
    services.cases_assign(by=kaigo_alice, cases=[counter], assignee=kaigo_bob)
    Case.objects.filter(pk=online.pk).update(received_on=date(2026, 4, 1))
    dept = online.department_id

    def ids(**kw):
        return {
            c.pk for c in queue(user=kaigo_alice, department_id=dept, filters=QueueFilter(status="", **kw))
        }

    assert ids(procedure="kaigo_hihokenshasho_saikofu") == {other_procedure.pk}
    assert ids(channel="counter") == {counter.pk}
    assert ids(assignee=str(kaigo_bob.pk)) == {counter.pk}
    assert ids(assignee="none") == {online.pk, other_procedure.pk}
    assert ids(received_to=date(2026, 4, 1)) == {online.pk}
    assert online.pk not in ids(received_from=date(2026, 4, 2))


def test_a_bulk_status_change_is_all_or_none(as_user, citizen_erin, kaigo_alice):
    """One case that cannot move stops the change: the other case stays where it was, and the page says which."""
    movable, stuck = file_case(citizen_erin), file_case(citizen_erin)
    Case.objects.filter(pk=stuck.pk).update(status="reviewing")
    client = as_user(kaigo_alice)
    data = {"department": "kaigo-hoken", "case": [str(movable.pk), str(stuck.pk)], "bulk_action": "status",
            "to_status": "reviewing", "confirmed": "yes"}  # fmt: skip
    response = client.post(reverse("cases:bulk"), data, follow=True)
    body = response.content.decode()
    assert stuck.receipt_number in body and "どの案件も変更していません" in body
    assert Case.objects.get(pk=movable.pk).status == "received"
    assert not CaseEvent.objects.filter(case=movable, to_status="reviewing").exists()
