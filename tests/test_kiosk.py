"""Shelter kiosks: staff enrol a browser for a place; applicants file as guests one after another, and
nothing of one applicant reaches the next (drafts, answers, old URLs, the back button); an idle kiosk
ends the applicant's visit by itself; the filing is the counter's channel with the place recorded."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from madoguchi.cases.models import Case
from madoguchi.counter import services
from madoguchi.counter.kiosk_views import KIOSK_COOKIE
from madoguchi.counter.models import Kiosk, KioskDraft, KioskFiling, KioskVisit
from madoguchi.forms.engine import input_key
from madoguchi.privacy.models import AuditEvent
from madoguchi.submissions.models import Draft, Submission
from tests.conftest import department, login_verified, make_staff
from tests.support.cases import ensure_procedures
from tests.support.formfill import page_post

pytestmark = pytest.mark.django_db

HOME = "/kiosk/"
PLACE = "石巻市立湊小学校 体育館"


@pytest.fixture
def shisanzei_clerk(city):
    ensure_procedures()
    return make_staff("clerk@shisanzei.test", "資産 窓口", ("shisanzei", "handler"))


@pytest.fixture
def kiosk_client(shisanzei_clerk):
    """A browser enrolled as a kiosk by the 資産税課 clerk (through the staff page)."""
    client = Client()
    _enrol(client, shisanzei_clerk)
    return client


def _enrol(client, staff, place=PLACE, procedures=("risai_shomei",)):
    login_verified(client, staff)
    response = client.post(reverse("counter:kiosks"), {"department": "shisanzei", "place": place,
                                                       "procedures": list(procedures)})  # fmt: skip
    return response


def _kiosk() -> Kiosk:
    return Kiosk.objects.get(place=PLACE)


def _start(client, slug="risai_shomei") -> str:
    response = client.post(reverse("counter:kiosk_start"), {"procedure": slug})
    assert response.status_code == 302, response.status_code
    return response["Location"]


def _definition():
    from madoguchi.procedures.models import Procedure

    return Procedure.objects.get(slug="risai_shomei").current_version.definition


def _walk(client, url: str, family: str) -> str:
    """Answer every page (the applicant's name as given) until the check page; returns its URL."""
    definition = _definition()
    for _step in range(30):
        match = re.search(r"/kiosk/drafts/[0-9a-f-]+/([a-z0-9_]+)/", url)
        if match is None or match.group(1) == "check":
            return url
        page = next(p for p in definition["form"]["pages"] if p["id"] == match.group(1))
        post = page_post(page)
        if page["id"] == "applicant":
            post[f"{input_key('applicant_name')}-family"] = family
        response = client.post(url, post)
        assert response.status_code == 302, (url, response.content.decode()[:2000])
        url = response["Location"]
    raise AssertionError("the form did not end")


def _file(client, family: str):
    check = _walk(client, _start(client), family)
    body = client.get(check).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', body).group(1)
    response = client.post(check, {"token": token})
    assert response.status_code == 302, response.content.decode()[:2000]
    return check, token, response["Location"]


# --- enrolment and revocation -----------------------------------------------------------------------------


def test_staff_enrol_this_browser_as_a_kiosk(shisanzei_clerk):
    client = Client()
    login_verified(client, shisanzei_clerk)
    page = client.get(reverse("counter:kiosks")).content.decode()
    # 罹災証明 is offered (and ticked) by default; the blank paper form for shelters is linked.
    assert re.search(r'value="risai_shomei"[^>]*checked', page)
    assert (
        "避難所で配る紙の申請書" in page
        and reverse("paper:form_pdf", kwargs={"slug": "risai_shomei"}) in page
    )
    response = _enrol(client, shisanzei_clerk)
    assert response.status_code == 302 and response["Location"] == HOME
    cookie = response.cookies[KIOSK_COOKIE]
    assert cookie["httponly"] and str(_kiosk().pk) in cookie.value and cookie.value.count(":") >= 2  # signed
    kiosk = _kiosk()
    assert kiosk.department == department("shisanzei") and kiosk.procedures == ["risai_shomei"]
    assert kiosk.enrolled_by == shisanzei_clerk and len(kiosk.key_hash) == 64
    assert AuditEvent.objects.filter(
        object_type="counter.kiosk", object_id=str(kiosk.pk), action="create"
    ).exists()
    # The member of staff is logged out of the browser, which now shows the kiosk's start page.
    assert client.get(reverse("counter:home")).status_code == 302
    home = client.get(HOME)
    assert home.status_code == 200 and PLACE in home.content.decode() and "はじめる" in home.content.decode()
    assert "no-store" in home["Cache-Control"]


def test_enrol_bad_input_is_refused_field_by_field(shisanzei_clerk):
    client = Client()
    response = _enrol(client, shisanzei_clerk, place="  ")
    assert (
        response.status_code == 400
        and "設置場所（避難所名）を入力してください。" in response.content.decode()
    )
    # A procedure that needs a card signature online (jpki) is never offered at a kiosk.
    response = _enrol(client, shisanzei_clerk, procedures=("kaigo_nintei_shinki",))
    assert response.status_code == 400
    assert "この課の端末では受け付けられない手続が選ばれています。" in response.content.decode()
    response = _enrol(client, shisanzei_clerk, procedures=())
    assert "受け付ける手続を一つ以上選んでください。" in response.content.decode()
    assert not Kiosk.objects.exists() and KIOSK_COOKIE not in response.cookies


def test_a_browser_without_a_valid_kiosk_cookie_gets_nothing(kiosk_client):
    stranger = Client()
    assert stranger.get(HOME).status_code == 403
    assert stranger.post(reverse("counter:kiosk_start"), {"procedure": "risai_shomei"}).status_code == 403
    assert not KioskVisit.objects.exists()
    # A cookie with the right kiosk id but a made-up key, signed or not, is refused.
    forged = Client()
    forged.cookies[KIOSK_COOKIE] = f"{_kiosk().pk}:made-up"
    assert forged.get(HOME).status_code == 403


def test_revoking_refuses_the_cookie_at_once_and_ends_the_visit(kiosk_client, shisanzei_clerk):
    page_url = _start(kiosk_client)
    kiosk_client.post(page_url, page_post(_definition()["form"]["pages"][0]))
    assert Draft.objects.filter(kiosk__isnull=False).count() == 1
    staff = Client()
    login_verified(staff, shisanzei_clerk)
    response = staff.post(reverse("counter:kiosk_revoke", kwargs={"kiosk_id": _kiosk().pk}))
    assert response.status_code == 302
    assert kiosk_client.get(HOME).status_code == 403
    assert kiosk_client.get(page_url).status_code == 403
    assert not Draft.objects.filter(kiosk__isnull=False).exists()
    assert KioskVisit.objects.get().end_reason == "revoked"
    assert "取消し" in staff.get(reverse("counter:kiosks")).content.decode()


def test_kiosks_are_department_scoped(kiosk_client, kosodate_charlie, kaigo_alice):
    other = Client()
    login_verified(other, kosodate_charlie)
    assert PLACE not in other.get(reverse("counter:kiosks")).content.decode()
    assert other.post(reverse("counter:kiosk_revoke", kwargs={"kiosk_id": _kiosk().pk})).status_code == 404
    assert _kiosk().revoked_at is None


# --- applicants, one after another ---------------------------------------------------------------------


def test_two_applicants_in_a_row_the_second_sees_nothing_of_the_first(kiosk_client):
    check_a, token_a, filed_a = _file(kiosk_client, "山田")
    receipt_page = kiosk_client.get(filed_a)
    submission_a = Submission.objects.get()
    body = receipt_page.content.decode()
    assert receipt_page.status_code == 200 and submission_a.receipt_number in body
    assert "no-store" in receipt_page["Cache-Control"]
    assert kiosk_client.get(filed_a.rstrip("/") + "/receipt.pdf")["Content-Type"] == "application/pdf"
    first_page = check_a.replace("/check/", "/applicant/")

    response = kiosk_client.post(reverse("counter:kiosk_end"))
    assert response.status_code == 302 and response["Location"].startswith(HOME)
    assert KioskVisit.objects.get().end_reason == "done" and not KioskDraft.objects.exists()

    # Applicant B: the start page again, and nothing of A is reachable.
    home = kiosk_client.get(HOME).content.decode()
    assert "山田" not in home and "入力の途中" not in home
    for url in (filed_a, filed_a.rstrip("/") + "/receipt.pdf", check_a, first_page):
        gone = kiosk_client.get(url)
        assert gone.status_code == 404 and "山田" not in gone.content.decode(), url
    # Resending A's filing (the back button and 「申請する」 again) files nothing and shows nothing.
    resent = kiosk_client.post(check_a, {"token": token_a})
    assert resent.status_code == 404 and Submission.objects.count() == 1
    page_b = _start(kiosk_client)
    b = kiosk_client.get(page_b).content.decode()
    assert "山田" not in b and "一郎" not in b and 'value="石巻"' not in b
    draft_b = Draft.objects.get(kiosk__isnull=False)
    assert "applicant_name" not in draft_b.data and "山田" not in str(draft_b.data)
    assert draft_b.user is None and draft_b.session_key == ""
    # A's pages stay gone inside B's visit too.
    assert kiosk_client.get(first_page).status_code == 404
    assert kiosk_client.get(filed_a).status_code == 404


def test_an_applicant_who_walks_away_mid_form_leaves_nothing_for_the_next(kiosk_client):
    page_a = _start(kiosk_client)
    post = page_post(_definition()["form"]["pages"][0])
    post[f"{input_key('applicant_name')}-family"] = "佐藤"
    second = kiosk_client.post(page_a, post)["Location"]
    assert "佐藤" in str(Draft.objects.get().data)
    # The start page offers A's form back while the visit is live (the same person returning)...
    assert "入力を続ける" in kiosk_client.get(HOME).content.decode()
    # ...but 「はじめる」 begins afresh: A's draft is deleted and A's pages are gone.
    page_b = _start(kiosk_client)
    assert KioskVisit.objects.filter(end_reason="next").count() == 1
    assert Draft.objects.count() == 1 and "佐藤" not in str(Draft.objects.get().data)
    assert kiosk_client.get(page_a).status_code == 404 and kiosk_client.get(second).status_code == 404
    assert "佐藤" not in kiosk_client.get(page_b).content.decode()


def test_the_normal_runner_and_other_browsers_cannot_reach_a_kiosk_draft(kiosk_client, shisanzei_clerk):
    page = _start(kiosk_client)
    draft = Draft.objects.get()
    assert Client().get(f"/apply/{draft.pk}/applicant/").status_code == 404
    # Another browser enrolled as the same place's second kiosk has its own visits only.
    other = Client()
    _enrol(other, shisanzei_clerk, place="石巻市立湊小学校 2")
    assert other.get(page).status_code == 404


def test_starting_logs_out_staff_left_logged_in(kiosk_client, shisanzei_clerk):
    login_verified(kiosk_client, shisanzei_clerk)
    assert "ログインしたまま" in kiosk_client.get(HOME).content.decode()
    _start(kiosk_client)
    assert kiosk_client.get(reverse("counter:home")).status_code == 302  # to the staff log-in


# --- idle time ------------------------------------------------------------------------------------------


def test_kiosk_pages_refresh_to_the_time_out_and_the_server_ends_an_idle_visit(kiosk_client, settings):
    settings.MADOGUCHI_KIOSK_IDLE_SECONDS = 120
    page = _start(kiosk_client)
    body = kiosk_client.get(page).content.decode()
    # After the idle time less a minute, the page refreshes to the warning, which offers 「続ける」 and
    # refreshes to the time-out a minute later (WCAG 2.2.1: warned, with time to extend).
    assert '<meta http-equiv="refresh" content="60;url=/kiosk/still-there/">' in body
    second = kiosk_client.post(page, page_post(_definition()["form"]["pages"][0]))["Location"]
    seen = KioskVisit.objects.get().last_seen_at
    warning = kiosk_client.get(reverse("counter:kiosk_still_there"))
    text = warning.content.decode()
    assert warning.status_code == 200 and "まだお使いですか" in text and f'href="{second}"' in text
    assert '<meta http-equiv="refresh" content="60;url=/kiosk/timeout/">' in text
    assert KioskVisit.objects.get().last_seen_at == seen  # the warning is no activity
    # The refresh fires early (a clock ahead): the visit is still live, so it is kept.
    response = kiosk_client.get(reverse("counter:kiosk_timeout"))
    assert response["Location"] == HOME and KioskVisit.objects.get().ended_at is None
    # Two minutes without a request: the time-out ends it, drafts deleted, back to the start.
    KioskVisit.objects.update(last_seen_at=timezone.now() - timedelta(seconds=121))
    response = kiosk_client.get(reverse("counter:kiosk_timeout"))
    assert response["Location"] == f"{HOME}?ended=idle"
    assert KioskVisit.objects.get().end_reason == "idle" and not Draft.objects.exists()
    assert "入力した内容を消して" in kiosk_client.get(response["Location"]).content.decode()
    assert kiosk_client.get(page).status_code == 404


def test_an_idle_visit_ends_on_its_next_request_even_without_the_refresh(kiosk_client, settings):
    settings.MADOGUCHI_KIOSK_IDLE_SECONDS = 180
    page = _start(kiosk_client)
    KioskVisit.objects.update(last_seen_at=timezone.now() - timedelta(seconds=181))
    response = kiosk_client.post(page, page_post(_definition()["form"]["pages"][0]))
    assert response.status_code == 302 and response["Location"] == f"{HOME}?ended=idle"
    assert not Draft.objects.exists() and KioskVisit.objects.get().end_reason == "idle"


# --- the filing ---------------------------------------------------------------------------------------


def test_the_filing_is_the_counter_channel_with_the_place_audited_and_shown_on_the_case(
    kiosk_client, shisanzei_clerk
):
    _check, _token, _filed = _file(kiosk_client, "山田")
    submission = Submission.objects.get()
    assert submission.channel == "counter" and submission.user is None and submission.entered_by is None
    filing = KioskFiling.objects.get(submission=submission)
    assert filing.place == PLACE and filing.kiosk == _kiosk()
    assert AuditEvent.objects.filter(object_type="submissions.submission", object_id=str(submission.pk),
                                     action="create").exists()  # fmt: skip
    assert AuditEvent.objects.filter(object_type="counter.kioskfiling", object_id=str(submission.pk),
                                     purpose="避難所の受付端末での申請").exists()  # fmt: skip
    case = Case.objects.get(submission=submission)
    staff = Client()
    login_verified(staff, shisanzei_clerk)
    page = staff.get(reverse("cases:detail", kwargs={"case_id": case.pk})).content.decode()
    assert PLACE in page and "受付端末での申請" in page


def test_a_procedure_that_needs_a_card_signature_is_never_filed_at_a_kiosk(kiosk_client):
    Kiosk.objects.update(procedures=["risai_shomei", "kaigo_nintei_shinki"])
    assert "kaigo_nintei_shinki" not in kiosk_client.get(HOME).content.decode()
    response = kiosk_client.post(reverse("counter:kiosk_start"), {"procedure": "kaigo_nintei_shinki"})
    assert response.status_code == 302 and response["Location"] == HOME and not Draft.objects.exists()


def test_the_same_token_twice_files_once(kiosk_client):
    check, token, filed = _file(kiosk_client, "山田")
    again = kiosk_client.post(check, {"token": token})
    assert again.status_code == 302 and again["Location"] == filed and Submission.objects.count() == 1


def test_bad_answers_come_back_field_by_field(kiosk_client):
    page = _start(kiosk_client)
    response = kiosk_client.post(page, {"action": "continue"})
    assert response.status_code == 400 and "入力内容を確認してください" in response.content.decode()
    assert "applicant_name" not in Draft.objects.get().data


def test_idle_time_is_a_setting_with_a_floor(settings):
    settings.MADOGUCHI_KIOSK_IDLE_SECONDS = 5
    assert services.kiosk_idle_seconds() == 40 and services.kiosk_warning_seconds() == 20
    settings.MADOGUCHI_KIOSK_IDLE_SECONDS = 600
    assert services.kiosk_idle_seconds() == 600 and services.kiosk_warning_seconds() == 60


@pytest.mark.django_db(transaction=True)
def test_a_filing_stuck_on_a_lock_says_not_sent_keeps_the_answers_and_files_once_later(
    shisanzei_clerk, settings
):
    """Another transaction holds the draft's row; the web lock timeout ends the wait: the check page
    again with 503 and Retry-After, no submission, the answers kept; sending again files it once."""
    import threading
    import time

    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("a row lock that the web request waits on: PostgreSQL (SQLite locks the whole file)")
    settings.MADOGUCHI_DB_LOCK_TIMEOUT_MS = 300
    settings.MADOGUCHI_DB_STATEMENT_TIMEOUT_MS = 5000
    client = Client()
    _enrol(client, shisanzei_clerk)
    check = _walk(client, _start(client), "山田")
    token = re.search(r'name="token" value="([^"]+)"', client.get(check).content.decode()).group(1)
    draft = Draft.objects.get()
    held, done = threading.Event(), threading.Event()

    def hold_the_draft():
        try:
            with transaction.atomic():
                Draft.objects.select_for_update().get(pk=draft.pk)
                held.set()
                done.wait(timeout=20)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_draft)
    holder.start()
    try:
        assert held.wait(timeout=10)
        connection.close()  # the request opens a new (web) connection, with the timeouts
        started = time.monotonic()
        response = client.post(check, {"token": token})
        elapsed = time.monotonic() - started
    finally:
        done.set()
        holder.join(timeout=20)
    assert response.status_code == 503 and int(response["Retry-After"]) > 0, response.status_code
    body = response.content.decode()
    assert "申請はまだ送信されていません" in body and "山田" in body and elapsed < 4.0
    assert Submission.objects.count() == 0 and Draft.objects.get(pk=draft.pk).data == draft.data
    again = client.post(check, {"token": token})
    assert again.status_code == 302 and Submission.objects.count() == 1
    assert KioskFiling.objects.get().place == PLACE


def test_kiosk_drafts_start_with_the_registered_initial_answers(kiosk_client):
    """The disaster mode pre-sets 罹災原因 through draft_start's initial answers: kiosk drafts get them too."""
    from madoguchi.submissions import initial

    def provider():
        return {"cause": "tsunami"}

    initial.register_initial_answers("risai_shomei", provider)
    try:
        _start(kiosk_client)
    finally:
        initial._PROVIDERS["risai_shomei"].remove(provider)
    assert Draft.objects.get(kiosk__isnull=False).data.get("cause") == "tsunami"


def test_back_at_the_start_after_filing_without_pressing_end_the_visit_is_over(kiosk_client):
    _check, _token, filed = _file(kiosk_client, "山田")
    assert kiosk_client.get(filed).status_code == 200
    home = kiosk_client.get(HOME)
    assert home.status_code == 200 and "入力の途中" not in home.content.decode()
    assert KioskVisit.objects.get().end_reason == "done"
    assert kiosk_client.get(filed).status_code == 404
