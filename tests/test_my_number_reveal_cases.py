"""The My Numbers citizens send in applications: masked on the case page; a 担当者 or 決裁者 of the
department, designated for the procedure's 個人番号利用事務, reveals one with a reason after a
recent second factor, once, with one audit row; nobody else sees the control or the number."""

import logging
import time

import pytest
from django.urls import reverse

from madoguchi.core.access import SECOND_FACTOR_SESSION_KEY
from madoguchi.privacy.models import AuditEvent
from tests.conftest import current_token, department, make_staff, totp_device
from tests.support import logguard
from tests.support.cases import file_case

pytestmark = pytest.mark.django_db

NUMBER = "123456789018"  # a valid My Number (the check digit holds)
MASKED = "●●●● ●●●● 9018"
KEY = "insured_my_number"  # kaigo_nintei_shinki's My Number field


@pytest.fixture
def case(citizen_erin):
    return file_case(citizen_erin, "kaigo_nintei_shinki", insured_my_number=NUMBER)


def reveal_url(case, key=KEY):
    return reverse(
        "privacy:my_number_reveal_key",
        kwargs={"label": "submissions.submission", "pk": case.submission_id, "key": key},
    )


def case_url(case):
    return reverse("cases:detail", kwargs={"case_id": case.pk})


def _second_factor_at(client, when):
    session = client.session
    session[SECOND_FACTOR_SESSION_KEY] = when
    session.save()


def _reveals():
    return AuditEvent.objects.filter(action="reveal")


@pytest.fixture
def no_leak(caplog):
    """Nothing logged during the test holds the number (on top of the suite's log guard)."""
    caplog.set_level(logging.DEBUG)
    leaks_before = len(logguard.leaks)
    yield
    assert len(logguard.leaks) == leaks_before
    assert all(NUMBER not in record.getMessage() for record in caplog.records)


def test_the_case_page_shows_it_masked_with_a_reveal_form(as_user, kaigo_alice, case, no_leak):
    body = as_user(kaigo_alice).get(case_url(case)).content.decode()
    assert MASKED in body and NUMBER not in body
    assert f'action="{reveal_url(case)}"' in body and 'name="reason"' in body
    assert NUMBER not in reveal_url(case)


def test_a_handler_reveals_it_with_a_reason_after_totp(as_user, kaigo_alice, case, no_leak):
    client = as_user(kaigo_alice)
    _second_factor_at(client, time.time() - 6 * 60)  # logged in a while ago
    asked = client.post(reveal_url(case), {"reason": "資格確認のため住民票と照合"})
    body = asked.content.decode()
    assert asked.status_code == 200 and "確認コード" in body and NUMBER not in body
    assert not _reveals().exists()
    before = AuditEvent.objects.count()
    shown = client.post(
        reveal_url(case),
        {"reason": "資格確認のため住民票と照合", "otp_token": current_token(totp_device(kaigo_alice))},
    )
    body = shown.content.decode()
    assert shown.status_code == 200 and NUMBER in body
    assert shown["Cache-Control"] == "no-store"
    assert case_url(case) in body  # the way back to the case
    assert AuditEvent.objects.count() == before + 1
    event = _reveals().get()
    assert (event.result, event.purpose, event.fields, event.actor_id) == (
        "success", "資格確認のため住民票と照合", [f"data.{KEY}"], kaigo_alice.pk
    )  # fmt: skip
    assert (event.object_type, event.object_id, event.department_code) == (
        "submissions.submission", str(case.submission_id), "kaigo-hoken"
    )  # fmt: skip
    assert NUMBER not in shown.request["PATH_INFO"] and NUMBER not in (
        shown.request.get("QUERY_STRING") or ""
    )
    # Shown once: the case page still masks it.
    assert NUMBER not in client.get(case_url(case)).content.decode()


def test_a_recent_second_factor_is_enough(as_user, kaigo_alice, case, no_leak):
    client = as_user(kaigo_alice)
    _second_factor_at(client, time.time())
    assert NUMBER in client.post(reveal_url(case), {"reason": "資格確認のため"}).content.decode()
    assert _reveals().filter(result="success").count() == 1


def test_without_a_reason_the_field_says_so_and_nothing_is_revealed(as_user, kaigo_alice, case, no_leak):
    client = as_user(kaigo_alice)
    _second_factor_at(client, time.time())
    response = client.post(reveal_url(case), {"reason": " "})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'class="field__error" id="id_reason_error"' in body and "このフィールドは必須です" in body
    assert NUMBER not in body and not _reveals().exists()


def test_a_wrong_code_reveals_nothing(as_user, kaigo_alice, case, no_leak):
    client = as_user(kaigo_alice)
    _second_factor_at(client, time.time() - 6 * 60)
    wrong = "000000" if current_token(totp_device(kaigo_alice)) != "000000" else "000001"
    body = client.post(reveal_url(case), {"reason": "資格確認のため", "otp_token": wrong}).content.decode()
    assert "確認コードが違うか" in body and NUMBER not in body and not _reveals().exists()
    totp_device(kaigo_alice).throttle_reset()


def test_a_handler_of_another_department_gets_404(as_user, kosodate_charlie, case, no_leak):
    client = as_user(kosodate_charlie)
    _second_factor_at(client, time.time())
    assert client.get(reveal_url(case)).status_code == 404
    assert client.post(reveal_url(case), {"reason": "資格確認のため"}).status_code == 404
    assert not _reveals().exists()


def test_a_department_not_designated_for_the_affair_is_refused_and_recorded(
    as_user, kaigo_alice, case, no_leak
):
    kaigo = department("kaigo-hoken")
    kaigo.my_number_affairs = []
    kaigo.save(update_fields=["my_number_affairs"])
    client = as_user(kaigo_alice)
    _second_factor_at(client, time.time())
    page = client.get(case_url(case)).content.decode()
    assert MASKED in page and reveal_url(case) not in page  # no control
    response = client.post(reveal_url(case), {"reason": "資格確認のため"})
    assert response.status_code == 403 and NUMBER not in response.content.decode()
    assert _reveals().get().result == "denied"


def test_a_manager_without_a_casework_role_sees_no_control_and_cannot_reveal(as_user, case, no_leak):
    manager = make_staff(
        "manager@kaigo.test", "介護 課管理", ("kaigo-hoken", "dept_admin")
    )  # sees cases, no 事務
    client = as_user(manager)
    _second_factor_at(client, time.time())
    page = client.get(case_url(case))
    assert page.status_code == 200 and MASKED in page.content.decode()
    assert reveal_url(case) not in page.content.decode()
    assert client.post(reveal_url(case), {"reason": "資格確認のため"}).status_code == 404
    assert not _reveals().exists()


def test_an_approver_of_the_department_may_reveal(as_user, case, no_leak):
    approver = make_staff("approver@kaigo.test", "介護 決裁", ("kaigo-hoken", "approver"))
    client = as_user(approver)
    _second_factor_at(client, time.time())
    assert reveal_url(case) in client.get(case_url(case)).content.decode()
    assert NUMBER in client.post(reveal_url(case), {"reason": "決裁のため確認"}).content.decode()


def test_a_key_that_is_not_a_my_number_gets_404(as_user, kaigo_alice, case, no_leak):
    client = as_user(kaigo_alice)
    _second_factor_at(client, time.time())
    for key in ("insured_name", "nothing", "a.0.b", "insured_my_number.0.x"):
        assert client.post(reveal_url(case, key), {"reason": "資格確認のため"}).status_code == 404
    bad_pk = reverse("privacy:my_number_reveal_key",
                     kwargs={"label": "submissions.submission", "pk": "not-a-uuid", "key": KEY})  # fmt: skip
    assert client.get(bad_pk).status_code == 404
    assert not _reveals().exists()


def test_citizens_get_404(as_user, citizen_erin, case, no_leak):
    assert as_user(citizen_erin).get(reveal_url(case)).status_code == 404


def test_a_childs_number_in_a_repeating_page_is_revealed_by_its_key(
    as_user, kosodate_charlie, citizen_erin, no_leak
):
    claim = file_case(citizen_erin, "jidoteate_nintei_seikyu")  # sample answers: every number is NUMBER
    client = as_user(kosodate_charlie)
    _second_factor_at(client, time.time())
    child = reveal_url(claim, "children.0.child_my_number")
    page = client.get(case_url(claim)).content.decode()
    assert f'action="{child}"' in page and f'action="{reveal_url(claim, "claimant_my_number")}"' in page
    assert NUMBER not in page
    body = client.post(child, {"reason": "別居監護の確認のため"}).content.decode()
    assert NUMBER in body
    assert _reveals().get().fields == ["data.children.0.child_my_number"]
    assert client.get(reveal_url(claim, "children.1.child_my_number")).status_code == 404  # one child only
