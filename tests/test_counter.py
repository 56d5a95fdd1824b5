"""The counter (書かない窓口): staff file for a visitor on the same definitions, identity checked in person,
earlier data used only with the visitor's consent, a one-page sheet to sign or a screen to confirm on;
one visitor per session, and nothing of one visitor reaches the next."""

import io
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from madoguchi.cases.models import Case
from madoguchi.counter import services
from madoguchi.counter.models import Booking, CounterFiling, CounterSession
from madoguchi.identity.models import SignatureRecord
from madoguchi.organisations.models import Department
from madoguchi.privacy.models import AuditEvent
from madoguchi.profiles.models import ProfileUse
from madoguchi.profiles.services import profile_save
from madoguchi.submissions.models import Draft, Submission
from tests.conftest import make_citizen, make_staff
from tests.support.cases import ensure_procedures, file_case
from tests.support.counter import book, counter_draft, counter_session, file_at_counter

pytestmark = pytest.mark.django_db


@pytest.fixture
def procedures(city):
    ensure_procedures()


@pytest.fixture
def shisanzei_clerk(city):
    return make_staff("clerk@shisanzei.test", "資産 窓口", ("shisanzei", "handler"))


def _session_url(session):
    return reverse("counter:session", kwargs={"session_id": session.pk})


def _options(page: str) -> set[str]:
    if '<select id="procedure"' not in page:
        return set()
    select = page.split('<select id="procedure"', 1)[1].split("</select>", 1)[0]
    return set(re.findall(r'<option value="([a-z_]+)"', select))


# --- what a counter may file ------------------------------------------------------------------------------


def test_staff_start_only_their_departments_counter_procedures(as_user, kaigo_alice, procedures):
    client = as_user(kaigo_alice)
    response = client.post(reverse("counter:start"))
    session = CounterSession.objects.get(staff=kaigo_alice, ended_at__isnull=True)
    assert response["Location"] == _session_url(session) and session.department.code == "kaigo-hoken"
    offered = _options(client.get(_session_url(session)).content.decode())
    assert "kaigo_nintei_shinki" in offered and "risai_shomei" not in offered
    apply = reverse("counter:apply", kwargs={"session_id": session.pk})
    assert client.post(apply, {"procedure": "risai_shomei"}).status_code == 404  # another department's
    response = client.post(apply, {"procedure": ""})
    assert response.status_code == 400 and "申請する手続を選んでください" in response.content.decode()


def test_online_only_procedures_are_not_filed_at_the_counter_and_a_general_counter_files_all(
    as_user, procedures
):
    clerk = make_staff("clerk@shimin.test", "市民 窓口", ("shimin", "handler"))
    client = as_user(clerk)
    client.post(reverse("counter:start"))
    session = CounterSession.objects.get(staff=clerk)
    assert (
        _options(client.get(_session_url(session)).content.decode()) == set()
    )  # 転出・転入予約 is online only
    apply = reverse("counter:apply", kwargs={"session_id": session.pk})
    assert client.post(apply, {"procedure": "tenshutsu_tennyu_yoyaku"}).status_code == 404

    Department.objects.filter(code="shimin").update(general_counter=True)  # the city makes it a 総合窓口
    client.post(reverse("counter:start"))
    session = CounterSession.objects.get(staff=clerk, ended_at__isnull=True)
    offered = _options(client.get(_session_url(session)).content.decode())
    assert {"risai_shomei", "kaigo_nintei_shinki", "jidoteate_nintei_seikyu"} <= offered
    assert "tenshutsu_tennyu_yoyaku" not in offered
    assert client.post(reverse("counter:apply", kwargs={"session_id": session.pk}),
                       {"procedure": "risai_shomei"}).status_code == 302  # fmt: skip


# --- filing ----------------------------------------------------------------------------------------------------


def test_a_counter_filing_is_the_visitors_typed_in_by_staff_and_needs_no_card(
    kaigo_alice, citizen_erin, procedures, mailbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        filing = file_at_counter(kaigo_alice, visitor=citizen_erin, identity="mynumber_card")
    submission = filing.submission
    assert submission.procedure.current_version.definition["identity"] == "jpki"
    assert (submission.channel, submission.user, submission.entered_by) == (
        "counter",
        citizen_erin,
        kaigo_alice,
    )
    assert not SignatureRecord.objects.filter(submission=submission).exists()  # checked in person instead
    assert (filing.identity_document, filing.confirmed_by) == ("mynumber_card", "sheet")
    case = Case.objects.get(submission=submission)
    assert case.channel == "counter" and case.department.code == "kaigo-hoken"
    created = AuditEvent.objects.get(
        action="create", object_type="submissions.submission", object_id=str(submission.pk)
    )
    assert created.actor_id == kaigo_alice.pk
    assert submission.receipt_number in mailbox.wait_for(1)[0].get_content()  # the visitor's receipt e-mail


def test_identity_is_recorded_before_filing_and_checked_field_by_field(as_user, kaigo_alice, procedures):
    session = counter_session(kaigo_alice)
    draft = counter_draft(kaigo_alice, session, complete=True)
    client = as_user(kaigo_alice)
    check = reverse("counter:check", kwargs={"draft_id": draft.pk})
    page = client.get(check).content.decode()
    assert "本人確認がまだ記録されていません" in page
    response = client.post(check, {"token": str(draft.submission_token)})
    assert response.status_code == 400 and "署名したら、チェックを入れてください" in response.content.decode()
    response = client.post(check, {"token": str(draft.submission_token), "signed": "yes"})
    assert response.status_code == 400 and "本人確認書類を記録してから" in response.content.decode()
    assert not Submission.objects.exists()

    identity = reverse("counter:identity", kwargs={"session_id": session.pk})
    response = client.post(identity, {"document": ""})
    assert response.status_code == 400 and "確認した書類を選んでください" in response.content.decode()
    response = client.post(identity, {"document": "library_card"})
    assert response.status_code == 400 and "一覧から選んでください" in response.content.decode()
    response = client.post(identity, {"document": "two_documents", "secondary": ["health_insurance"]})
    assert (
        response.status_code == 400 and "顔写真のない書類は2点を選んでください" in response.content.decode()
    )
    client.post(identity, {"document": "two_documents", "secondary": ["health_insurance", "pension"]})
    session.refresh_from_db()
    assert session.identity_document == "two_documents" and session.identity_secondary == [
        "health_insurance",
        "pension",
    ]

    response = client.post(check, {"token": str(draft.submission_token), "signed": "yes"})
    submission = Submission.objects.get()
    assert response["Location"] == reverse("counter:filed", kwargs={"submission_id": submission.pk})
    assert submission.user is None and submission.counter_filing.identity_secondary == [
        "health_insurance",
        "pension",
    ]
    # The same click again shows the same filing.
    again = client.post(check, {"token": str(draft.submission_token), "signed": "yes"})
    assert again["Location"] == response["Location"] and Submission.objects.count() == 1
    done = client.get(response["Location"]).content.decode()
    assert submission.receipt_number in done
    receipt = client.get(reverse("counter:receipt_pdf", kwargs={"submission_id": submission.pk}))
    assert receipt["Content-Type"] == "application/pdf"
    assert submission.receipt_number in PdfReader(io.BytesIO(receipt.content)).pages[0].extract_text()


def test_the_visitor_confirms_on_the_screen(as_user, kaigo_alice, procedures):
    session = counter_session(kaigo_alice, identity="passport")
    draft = counter_draft(kaigo_alice, session, complete=True)
    client = as_user(kaigo_alice)
    url = reverse("counter:confirm", kwargs={"draft_id": draft.pk})
    page = client.get(url).content.decode()
    assert "この内容で申請します" in page and "変更" not in page.split("<main", 1)[1].split("</main>", 1)[0]
    response = client.post(url, {"token": str(draft.submission_token)})
    filing = CounterFiling.objects.get()
    assert response["Location"] == reverse("counter:filed", kwargs={"submission_id": filing.submission_id})
    assert filing.confirmed_by == "tablet" and filing.identity_document == "passport"
    assert client.post(url, {"token": str(draft.submission_token)})["Location"] == response["Location"]
    assert client.post(url, {"token": "not-a-token"}).status_code in (400, 404)


def test_the_confirmation_sheet_is_one_page_with_the_answers_and_a_signature_box(
    as_user, kaigo_alice, shisanzei_clerk, procedures
):
    for staff, slug in ((kaigo_alice, "kaigo_nintei_shinki"), (shisanzei_clerk, "risai_shomei")):
        code = "kaigo-hoken" if slug.startswith("kaigo") else "shisanzei"
        session = counter_session(staff, code, identity="driving_licence")
        draft = counter_draft(staff, session, slug, complete=True)
        response = as_user(staff).get(reverse("counter:sheet", kwargs={"draft_id": draft.pk}))
        assert response["Content-Type"] == "application/pdf"
        reader = PdfReader(io.BytesIO(response.content))
        assert len(reader.pages) == 1
        text = reader.pages[0].extract_text()
        name = draft.version.definition["name"]["ja"]
        assert "申請内容の確認票" in text and name in text and "石巻" in text
        assert "運転免許証" in text and "申請者の署名" in text and staff.display_name in text
        assert "1234 5678 9018" not in text.replace("　", " ")  # a My Number only masked
        assert AuditEvent.objects.filter(
            action="export", object_type="submissions.draft", object_id=str(draft.pk)
        ).exists()


# --- earlier data, with consent ----------------------------------------------------------------------------------


def test_earlier_data_fills_the_form_only_with_consent_and_never_a_my_number(
    as_user, kaigo_alice, citizen_erin, procedures
):
    earlier = file_case(citizen_erin, "kaigo_nintei_shinki").submission
    assert earlier.data.get("insured_my_number")
    session = counter_session(kaigo_alice, visitor=citizen_erin)
    draft = counter_draft(kaigo_alice, session)
    assert draft.data == {}  # not asked yet: nothing used

    client = as_user(kaigo_alice)
    consent = reverse("counter:consent", kwargs={"session_id": session.pk})
    assert client.post(consent, {}).status_code == 400
    client.post(consent, {"consent": "no"})
    assert counter_draft(kaigo_alice, session).data == {}

    client.post(consent, {"consent": "yes"})
    draft.refresh_from_db()  # the draft already open is filled too
    assert draft.data["insured_name"] == earlier.data["insured_name"]
    assert draft.data["insured_number"] == earlier.data["insured_number"]
    assert "insured_my_number" not in draft.data
    assert not any(k for k, v in draft.data.items() if v is True and k.endswith("consent"))
    session.refresh_from_db()
    fresh = counter_draft(kaigo_alice, session)
    assert (
        fresh.data["insured_name"] == earlier.data["insured_name"] and "insured_my_number" not in fresh.data
    )
    read = AuditEvent.objects.filter(
        action="read", object_type="submissions.submission", object_id=str(earlier.pk)
    )
    assert read.filter(purpose__contains="窓口").exists() and read.first().actor_id == kaigo_alice.pk


def test_shared_answers_come_from_other_filings_and_the_profile(
    as_user, shisanzei_clerk, citizen_erin, procedures
):
    profile_save(user=citizen_erin, household=[], consent=False, values={
        "applicant_name": {"family": "市民", "given": "エリン"}, "applicant_kana": {"family": "シミン", "given": "エリン"},
        "applicant_phone": "0225-11-2222"})  # fmt: skip
    session = counter_session(shisanzei_clerk, "shisanzei", visitor=citizen_erin, consent=True)
    draft = counter_draft(shisanzei_clerk, session, "risai_shomei")
    assert draft.data["applicant_name"] == {"family": "市民", "given": "エリン"}
    assert draft.data["applicant_phone"] == "0225-11-2222"
    use = ProfileUse.objects.get()
    assert use.direction == "prefill" and set(use.keys) == {
        "applicant_name",
        "applicant_kana",
        "applicant_phone",
    }
    assert AuditEvent.objects.filter(
        action="read", object_type="profiles.profile", actor_id=shisanzei_clerk.pk
    ).exists()


def test_a_booking_opens_the_counter_application(as_user, kaigo_alice, citizen_erin, procedures):
    earlier = file_case(citizen_erin, "kaigo_nintei_shinki").submission
    booking = book(citizen_erin, "kaigo_nintei_shinki", notify=False)
    client = as_user(kaigo_alice)
    response = client.post(reverse("counter:start"), {"booking": str(booking.pk)})
    session = CounterSession.objects.get(staff=kaigo_alice, ended_at__isnull=True)
    assert response["Location"] == _session_url(session)
    assert (session.visitor, session.booking) == (citizen_erin, booking)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CHECKED_IN
    page = client.get(_session_url(session)).content.decode()
    assert booking.reference in page and 'value="kaigo_nintei_shinki" selected' in page
    client.post(reverse("counter:consent", kwargs={"session_id": session.pk}), {"consent": "yes"})
    response = client.post(reverse("counter:apply", kwargs={"session_id": session.pk}),
                           {"procedure": "kaigo_nintei_shinki"})  # fmt: skip
    draft = Draft.objects.get(counter__session=session)
    assert draft.data["insured_name"] == earlier.data["insured_name"]
    assert response["Location"].startswith(
        reverse("counter:page", kwargs={"draft_id": draft.pk, "page_id": "filer"})
    )
    assert client.post(reverse("counter:start"), {"booking": "not-a-uuid"}).status_code == 404


def test_staff_find_the_visitors_account_by_e_mail_or_booking_reference(
    as_user, kaigo_alice, kosodate_charlie, citizen_erin, procedures
):
    session = counter_session(kaigo_alice)
    client = as_user(kaigo_alice)
    url = reverse("counter:visitor", kwargs={"session_id": session.pk})
    for query, message in (("", "メールアドレスか予約番号を入力してください"),
                           ("nobody@example.test", "アカウントは見つかりませんでした"),
                           (kosodate_charlie.email, "アカウントは見つかりませんでした"),  # staff are not visitors
                           ("hello", "メールアドレス（例")):  # fmt: skip
        response = client.post(url, {"query": query})
        assert response.status_code == 400, query
        assert message in response.content.decode(), query
    client.post(url, {"query": citizen_erin.email.upper()})
    session.refresh_from_db()
    assert session.visitor == citizen_erin
    assert AuditEvent.objects.filter(
        action="read", object_type="accounts.user", object_id=str(citizen_erin.pk)
    ).exists()

    booking = book(citizen_erin, "kaigo_nintei_shinki", notify=False)
    other = counter_session(kaigo_alice)
    response = as_user(kaigo_alice).post(reverse("counter:visitor", kwargs={"session_id": other.pk}),
                                         {"query": booking.reference})  # fmt: skip
    assert (
        response.status_code == 400
        and "今日の予約に、その予約番号は見つかりませんでした" in response.content.decode()
    )


def test_the_visitor_cannot_change_once_typing_has_begun(
    as_user, kaigo_alice, citizen_erin, citizen_frank, procedures
):
    session = counter_session(kaigo_alice, visitor=citizen_erin)
    counter_draft(kaigo_alice, session)
    response = as_user(kaigo_alice).post(reverse("counter:visitor", kwargs={"session_id": session.pk}),
                                         {"query": citizen_frank.email})  # fmt: skip
    assert response.status_code == 400 and "次の方を受け付ける" in response.content.decode()
    session.refresh_from_db()
    assert session.visitor == citizen_erin


# --- one visitor at a time ---------------------------------------------------------------------------------------


def test_the_next_visitor_starts_clean(as_user, kaigo_alice, citizen_erin, procedures):
    file_case(citizen_erin, "kaigo_nintei_shinki")
    first = counter_session(kaigo_alice, visitor=citizen_erin, identity="mynumber_card", consent=True)
    draft = counter_draft(kaigo_alice, first)
    assert draft.data  # filled from erin's earlier filing
    client = as_user(kaigo_alice)
    old_page = reverse("counter:page", kwargs={"draft_id": draft.pk, "page_id": "insured"})
    assert client.get(old_page).status_code == 200

    client.post(reverse("counter:start"))
    second = CounterSession.objects.get(staff=kaigo_alice, ended_at__isnull=True)
    first.refresh_from_db()
    assert first.ended_at is not None and not Draft.objects.filter(pk=draft.pk).exists()
    for url in (old_page, reverse("counter:check", kwargs={"draft_id": draft.pk}),
                reverse("counter:sheet", kwargs={"draft_id": draft.pk}), _session_url(first),
                reverse("counter:apply", kwargs={"session_id": first.pk})):  # fmt: skip
        assert client.get(url).status_code in (404, 405), url
        assert client.post(url, {"procedure": "kaigo_nintei_shinki"}).status_code == 404, url
    page = client.get(_session_url(second)).content.decode()
    assert citizen_erin.email not in page and citizen_erin.display_name not in page
    assert second.identity_document == "" and second.prefill_consent is None
    fresh = counter_draft(kaigo_alice, second)
    assert fresh.data == {}


def test_a_session_is_its_member_of_staffs_only(as_user, kaigo_alice, kaigo_bob, procedures):
    session = counter_session(kaigo_alice)
    draft = counter_draft(kaigo_alice, session)
    bob = as_user(kaigo_bob)
    assert bob.get(_session_url(session)).status_code == 404
    assert (
        bob.get(reverse("counter:page", kwargs={"draft_id": draft.pk, "page_id": "filer"})).status_code == 404
    )
    # Nor is a counter draft anybody's in the online runner.
    assert (
        bob.get(reverse("submissions:page", kwargs={"draft_id": draft.pk, "page_id": "filer"})).status_code
        == 404
    )


def test_ending_the_session_deletes_its_drafts_and_a_forgotten_one_ends_the_next_day(
    as_user, kaigo_alice, procedures
):
    session = counter_session(kaigo_alice)
    draft = counter_draft(kaigo_alice, session)
    client = as_user(kaigo_alice)
    assert client.post(reverse("counter:end", kwargs={"session_id": session.pk})).status_code == 302
    assert not Draft.objects.filter(pk=draft.pk).exists()

    forgotten = counter_session(kaigo_alice)
    draft = counter_draft(kaigo_alice, forgotten)
    CounterSession.objects.filter(pk=forgotten.pk).update(started_at=timezone.now() - timedelta(hours=13))
    assert client.get(reverse("counter:home")).status_code == 200
    forgotten.refresh_from_db()
    assert forgotten.ended_at is not None and not Draft.objects.filter(pk=draft.pk).exists()


def test_counter_pages_check_each_field_and_never_fail(as_user, kaigo_alice, procedures):
    session = counter_session(kaigo_alice)
    draft = counter_draft(kaigo_alice, session)
    client = as_user(kaigo_alice)
    url = reverse("counter:page", kwargs={"draft_id": draft.pk, "page_id": "filer"})
    response = client.post(url, {"action": "continue"})
    assert response.status_code == 400 and "どれか一つを選んでください" in response.content.decode()
    page = client.get(url).content.decode()
    assert 'autocomplete="off"' in page and 'autocomplete="family-name"' not in page
    response = client.post(url, {"action": "continue", "f-who_files": "self"})
    assert response.status_code == 302
    insured = client.get(response["Location"]).content.decode()
    assert 'autocomplete="family-name"' not in insured and 'autocomplete="off"' in insured
    assert (
        client.get(reverse("counter:page", kwargs={"draft_id": draft.pk, "page_id": "nope"})).status_code
        == 404
    )


def test_counter_sessions_are_erased_a_month_after_they_end(kaigo_alice, procedures):
    from madoguchi.privacy.services import retention_purge

    old = counter_session(kaigo_alice)
    services.session_end(staff=kaigo_alice, session=old)
    CounterSession.objects.filter(pk=old.pk).update(ended_at=timezone.now() - timedelta(days=31))
    filing = file_at_counter(kaigo_alice)
    services.session_end(staff=kaigo_alice, session=filing.session)
    CounterSession.objects.filter(pk=filing.session_id).update(ended_at=timezone.now() - timedelta(days=31))
    retention_purge(now=timezone.now())
    assert not CounterSession.objects.exists()
    filing.refresh_from_db()
    assert (
        filing.session is None and filing.identity_document == "driving_licence"
    )  # kept with the submission


def test_visitors_without_an_account_get_no_account_things(as_user, kaigo_alice, procedures):
    visitor = make_citizen("walkin@example.test")
    session = counter_session(kaigo_alice)
    page = as_user(kaigo_alice).get(_session_url(session)).content.decode()
    assert "以前の情報を使うことへの同意" not in page  # asked only of a visitor with an account
    with pytest.raises(services.CounterRefused):
        services.session_consent_set(by=kaigo_alice, session=session, consent=True)
    assert visitor.email not in page
