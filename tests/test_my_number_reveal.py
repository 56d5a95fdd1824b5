"""A My Number is masked; revealing it needs the right role and 個人番号利用事務, a recent second
factor and a reason, and writes exactly one audit row."""

import time

import pytest
from django.urls import reverse

from madoguchi.core.access import SECOND_FACTOR_SESSION_KEY
from madoguchi.privacy.models import AuditEvent
from tests.conftest import current_token, department, totp_device
from tests.privacy_testapp.models import Resident

pytestmark = pytest.mark.django_db

KAIGO_AFFAIR = "介護保険法による保険給付の支給、地域支援事業の実施又は保険料の徴収に関する事務"


@pytest.fixture
def resident(city):
    return Resident.objects.create(department=department("kaigo-hoken"), name="石巻 花子",
                                   my_number="123456789018", affair=KAIGO_AFFAIR)  # fmt: skip


def url(resident):
    return reverse(
        "privacy:my_number_reveal", kwargs={"label": "privacy_testapp.resident", "pk": resident.pk}
    )


def _fresh_second_factor(client):
    session = client.session
    session[SECOND_FACTOR_SESSION_KEY] = time.time()
    session.save()


def test_the_page_shows_it_masked_until_revealed(as_user, kaigo_alice, resident):
    client = as_user(kaigo_alice)
    body = client.get(url(resident)).content.decode()
    assert "●●●● ●●●● 9018" in body and "123456789018" not in body
    assert AuditEvent.objects.filter(action="reveal").count() == 0


def test_reveal_with_a_reason_and_a_recent_second_factor_writes_exactly_one_row(
    as_user, kaigo_alice, resident
):
    client = as_user(kaigo_alice)
    _fresh_second_factor(client)
    before = AuditEvent.objects.count()
    response = client.post(url(resident), {"reason": "資格確認のため住民票と照合"})
    body = response.content.decode()
    assert "123456789018" in body
    assert response["Cache-Control"] == "no-store"
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.result, event.purpose, event.fields) == (
        "reveal",
        "success",
        "資格確認のため住民票と照合",
        ["my_number"],
    )
    assert event.actor_id == kaigo_alice.pk


def test_an_old_second_factor_asks_for_a_new_code(as_user, kaigo_alice, resident):
    client = as_user(kaigo_alice)
    session = client.session
    session[SECOND_FACTOR_SESSION_KEY] = time.time() - 6 * 60
    session.save()
    page = client.get(url(resident)).content.decode()
    assert "確認コード" in page
    refused = client.post(
        url(resident),
        {
            "reason": "資格確認のため",
            "otp_token": "000000" if current_token(totp_device(kaigo_alice)) != "000000" else "000001",
        },
    )
    assert "123456789018" not in refused.content.decode()
    assert not AuditEvent.objects.filter(action="reveal").exists()
    # django-otp slows down guessing after a wrong code; let that pause pass.
    totp_device(kaigo_alice).throttle_reset()
    ok = client.post(
        url(resident), {"reason": "資格確認のため", "otp_token": current_token(totp_device(kaigo_alice))}
    )
    assert "123456789018" in ok.content.decode()


def test_a_reason_is_required(as_user, kaigo_alice, resident):
    client = as_user(kaigo_alice)
    _fresh_second_factor(client)
    body = client.post(url(resident), {"reason": "  "}).content.decode()
    assert "このフィールドは必須です" in body and "123456789018" not in body


def test_staff_of_another_department_get_404(as_user, kosodate_charlie, resident):
    assert as_user(kosodate_charlie).get(url(resident)).status_code == 404


def test_a_record_outside_the_departments_affairs_is_refused_and_recorded(as_user, kaigo_alice, city):
    other = Resident.objects.create(department=department("kaigo-hoken"), name="x", my_number="111111111118",
                                    affair="児童手当法による児童手当又は特例給付の支給に関する事務")  # fmt: skip
    client = as_user(kaigo_alice)
    _fresh_second_factor(client)
    response = client.post(url(other), {"reason": "確認のため"})
    assert response.status_code == 403 and "111111111118" not in response.content.decode()
    event = AuditEvent.objects.get(action="reveal")
    assert event.result == "denied"


def test_a_manager_without_a_casework_role_cannot_reveal(as_user, kosodate_admin, city):
    kid = Resident.objects.create(department=department("kosodate-shien"), name="x", my_number="111111111118",
                                  affair="児童手当法による児童手当又は特例給付の支給に関する事務")  # fmt: skip
    assert as_user(kosodate_admin).get(url(kid)).status_code == 404


def test_citizens_get_404(as_user, citizen_erin, resident):
    assert as_user(citizen_erin).get(url(resident)).status_code == 404
