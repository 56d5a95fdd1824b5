"""Submitting: exactly once, all or nothing; receipts people can read aloud; drafts that resume
on another device; new versions for new drafts only; the catalogue."""

import threading
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from madoguchi.privacy.models import AuditEvent
from madoguchi.procedures.models import Procedure
from madoguchi.procedures.services import procedures_load_from_files
from madoguchi.submissions import services
from madoguchi.submissions.models import Draft, Submission
from madoguchi.submissions.receipts import RANDOM_DIGITS, damm_digit, is_valid_receipt, new_receipt_number
from tests.conftest import login_verified
from tests.support.formfill import start, submit, walk_to_check

RISAI = "risai_shomei"


@pytest.fixture
def procedures(city):
    procedures_load_from_files()


def _ready_draft(client, slug=RISAI):
    from madoguchi.procedures.files import parse_files

    definition = next(p.data for p in parse_files()[0] if p.id == slug)
    check_url = walk_to_check(client, definition, start(client, slug))
    return Draft.objects.get(), check_url


# --- receipts -------------------------------------------------------------------------------


def test_receipt_numbers_are_random_readable_and_checked():
    numbers = {new_receipt_number() for _ in range(2000)}
    assert len(numbers) == 2000
    for number in list(numbers)[:50]:
        assert is_valid_receipt(number)
        digits = number.replace("-", "")
        assert len(digits) == RANDOM_DIGITS + 1 and digits.isdigit()
        assert number.count("-") == 4
    # 20 random digits: log2(10**20) = 66.4 bits, more than 64.
    assert RANDOM_DIGITS * 3.3219 > 64


def test_the_check_digit_catches_every_single_error_and_swap():
    body = "48210937551620487391"
    number = body + str(damm_digit(body))
    assert is_valid_receipt(number)
    for i in range(len(number)):
        for d in "0123456789":
            if d != number[i]:
                assert not is_valid_receipt(number[:i] + d + number[i + 1 :])
        if i + 1 < len(number) and number[i] != number[i + 1]:
            swapped = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
            assert not is_valid_receipt(swapped)


# --- exactly once -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_double_click_or_a_resent_post_makes_one_submission(procedures, as_user, citizen_erin):
    client = as_user(citizen_erin)
    _draft, check_url = _ready_draft(client)
    first, token = submit(client, check_url)
    again = client.post(check_url, {"token": token})
    assert first["Location"] == again["Location"]
    assert Submission.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_identical_submissions_make_exactly_one(procedures, citizen_erin):
    client = Client()
    login_verified(client, citizen_erin)
    draft, _check_url = _ready_draft(client)
    results, errors = [], []
    barrier = threading.Barrier(20)

    def submit_once():
        try:
            barrier.wait(timeout=10)
            results.append(services.submission_create(draft_id=draft.pk, idempotency_key=draft.submission_token,
                                                      user=citizen_erin))  # fmt: skip
        except Exception as exc:  # collected, to fail the test with the reason
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit_once) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors[:3]
    assert len(results) == 20
    assert Submission.objects.count() == 1
    assert {r.pk for r in results} == {Submission.objects.get().pk}
    assert (
        AuditEvent.objects.filter(
            action="create", object_type="submissions.submission", result="success"
        ).count()
        == 1
    )


@pytest.mark.django_db
def test_a_submission_cut_off_by_a_failure_leaves_nothing_behind(procedures, as_user, citizen_erin):
    client = as_user(citizen_erin)
    draft, check_url = _ready_draft(client)
    body = client.get(check_url).content.decode()
    token = body.split('name="token" value="')[1].split('"')[0]
    # The disk fills up (or the database drops) just after the row is written.
    with mock.patch("madoguchi.submissions.services.Draft.delete", side_effect=OSError("disk full")), \
            pytest.raises(OSError):  # fmt: skip
        services.submission_create(draft_id=draft.pk, idempotency_key=token, user=citizen_erin)
    assert Submission.objects.count() == 0
    assert Draft.objects.filter(pk=draft.pk).exists()  # the citizen can try again
    failure = AuditEvent.objects.get(object_type="submissions.submission", result="failure")
    assert failure.detail == "OSError"
    client.post(check_url, {"token": token})
    assert Submission.objects.count() == 1


@pytest.mark.django_db
def test_a_forged_token_submits_nothing(procedures, as_user, citizen_erin):
    client = as_user(citizen_erin)
    _draft, check_url = _ready_draft(client)
    response = client.post(check_url, {"token": "00000000-0000-4000-8000-000000000000"})
    assert Submission.objects.count() == 0
    assert response.status_code == 302


# --- receipts: e-mail and PDF -----------------------------------------------------------------


@pytest.mark.django_db
def test_receipt_email_and_pdf(
    procedures, as_user, citizen_erin, mailbox, django_capture_on_commit_callbacks
):
    import io

    from pypdf import PdfReader

    client = as_user(citizen_erin)
    _draft, check_url = _ready_draft(client)
    with django_capture_on_commit_callbacks(execute=True):
        _response, _token = submit(client, check_url)
    submission = Submission.objects.get()
    message = mailbox.wait_for(1)[0]
    assert message["To"] == citizen_erin.email
    assert "罹災証明書の発行申請" in message["Subject"]
    assert submission.receipt_number in message.get_content()

    pdf = client.get(reverse("submissions:receipt_pdf", kwargs={"submission_id": submission.pk}))
    assert pdf["Content-Type"] == "application/pdf" and pdf["Content-Disposition"].startswith("attachment")
    reader = PdfReader(io.BytesIO(pdf.content))
    text = "".join(page.extract_text() for page in reader.pages)
    for expected in (
        "申請の控え",
        "罹災証明書の発行申請",
        submission.receipt_number,
        "石巻市",
        "資産税課",
        "令和6年4月1日",
    ):
        assert expected in text, expected
    fonts = {str(f) for page in reader.pages for f in page["/Resources"]["/Font"].values()}
    assert fonts  # an embedded font carries the Japanese text
    assert AuditEvent.objects.filter(action="export", object_id=str(submission.pk)).exists()


@pytest.mark.django_db
def test_my_applications_lists_submissions_and_drafts(procedures, as_user, citizen_erin, citizen_frank):
    client = as_user(citizen_erin)
    _draft, check_url = _ready_draft(client)
    submit(client, check_url)
    start(client, RISAI)  # a second one, left unfinished
    body = client.get(reverse("submissions:mine")).content.decode()
    submission = Submission.objects.get()
    assert submission.receipt_number in body and "受付" in body and "続きを入力する" in body
    other = as_user(citizen_frank).get(reverse("submissions:mine")).content.decode()
    assert submission.receipt_number not in other


# --- drafts -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_draft_resumes_on_another_device(procedures, citizen_erin):
    phone, computer = Client(), Client()
    login_verified(phone, citizen_erin)
    login_verified(computer, citizen_erin)
    url = start(phone, RISAI)
    from madoguchi.procedures.files import parse_files
    from tests.support.formfill import page_post

    definition = next(p.data for p in parse_files()[0] if p.id == RISAI)
    saved = phone.post(url, {**page_post(definition["form"]["pages"][0]), "action": "save"})
    assert saved["Location"] == reverse("submissions:mine")
    listing = computer.get(reverse("submissions:mine")).content.decode()
    assert "続きを入力する" in listing
    draft = Draft.objects.get()
    resume = computer.get(reverse("submissions:page", kwargs={"draft_id": draft.pk, "page_id": "household"}))
    assert resume.status_code == 200
    first_page = computer.get(url).content.decode()
    assert 'value="石巻"' in first_page  # the answers typed on the phone


@pytest.mark.django_db
def test_back_links_keep_answers(procedures, as_user, citizen_erin):
    from madoguchi.procedures.files import parse_files
    from tests.support.formfill import page_post

    client = as_user(citizen_erin)
    definition = next(p.data for p in parse_files()[0] if p.id == RISAI)
    url = start(client, RISAI)
    second = client.post(url, page_post(definition["form"]["pages"][0]))["Location"]
    body = client.get(second).content.decode()
    assert f'href="{url}"' in body  # the back link
    assert 'value="0225-95-1111"' in client.get(url).content.decode()


@pytest.mark.django_db
def test_drafts_of_others_are_404(procedures, as_user, citizen_erin, citizen_frank, client):
    url = start(as_user(citizen_erin), RISAI)
    other = Client()
    login_verified(other, citizen_frank)
    assert other.get(url).status_code == 404
    assert Client().get(url).status_code == 404


@pytest.mark.django_db
def test_expired_drafts_are_purged(procedures, as_user, citizen_erin):
    from datetime import timedelta

    from django.utils import timezone

    from madoguchi.privacy.services import retention_purge

    start(as_user(citizen_erin), RISAI)
    report = retention_purge(now=timezone.now() + timedelta(days=31))
    assert report.erased.get("申請の下書き") == 1 and not Draft.objects.exists()


@pytest.mark.django_db
def test_identity_email_needs_a_log_in(procedures, client):
    response = client.post(reverse("procedures:start", kwargs={"slug": RISAI}))
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not Draft.objects.exists()


# --- versions ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_new_version_is_used_by_new_drafts_while_an_old_draft_finishes_on_its_own(
    procedures, as_user, citizen_erin, kaigo_admin
):
    from madoguchi.procedures.files import definitions_dir
    from tests.conftest import make_staff

    manager = make_staff("kacho@shisanzei.test", "資産 課長", ("shisanzei", "dept_admin"))
    citizen = as_user(citizen_erin)
    old_draft, old_check = _ready_draft(citizen)
    old_version = old_draft.version

    staff = Client()
    login_verified(staff, manager)
    text = (definitions_dir() / f"{RISAI}.yaml").read_text(encoding="utf-8").replace(
        "        - {id: purpose, type: text,", "        - {id: urgent, type: yes_no, label: {ja: 急ぎますか, en: Is it urgent}}\n        - {id: purpose, type: text,"
    )  # fmt: skip
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("procedures:manage_detail", kwargs={"slug": RISAI})
    response = staff.post(url, {"definition": SimpleUploadedFile("risai_shomei.yaml", text.encode())})
    assert response.status_code == 302
    preview = staff.get(response["Location"])
    assert "急ぎますか" in preview.content.decode() and "この版を公開する" in preview.content.decode()
    staff.post(response["Location"], {"action": "publish"})
    procedure = Procedure.objects.get(slug=RISAI)
    assert procedure.current_version.number == old_version.number + 1

    # The old draft still submits on its own version, without the new question.
    _first, _token = submit(citizen, old_check)
    submission = Submission.objects.get()
    assert submission.version == old_version and "urgent" not in submission.data

    # A new draft gets the new version and its new question.
    start(citizen, RISAI)
    assert Draft.objects.get().version == procedure.current_version


@pytest.mark.django_db
def test_an_upload_with_an_error_is_refused_naming_the_field(procedures, kaigo_admin):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.conftest import make_staff

    manager = make_staff("kacho2@shisanzei.test", "資産 課長", ("shisanzei", "dept_admin"))
    staff = Client()
    login_verified(staff, manager)
    bad = "id: risai_shomei\nname: {ja: x}\n"
    response = staff.post(reverse("procedures:manage_detail", kwargs={"slug": RISAI}),
                          {"definition": SimpleUploadedFile("mine.yaml", bad.encode())})  # fmt: skip
    body = response.content.decode()
    assert "mine.yaml:2: name: &#x27;en&#x27; is a required property" in body
    assert Procedure.objects.get(slug=RISAI).versions.count() == 1


@pytest.mark.django_db
def test_staff_of_another_department_cannot_manage(procedures, as_user, kaigo_admin):
    response = as_user(kaigo_admin).get(reverse("procedures:manage_detail", kwargs={"slug": RISAI}))
    assert response.status_code == 404


# --- the catalogue -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("罹災", RISAI),
        ("りさい", RISAI),
        ("リサイ", RISAI),
        ("disaster", RISAI),
        ("かいご", "kaigo_nintei_shinki"),
    ],
)
def test_search_in_kanji_kana_or_english(procedures, client, query, expected):
    body = client.get(reverse("procedures:catalogue"), {"q": query}).content.decode()
    assert reverse("procedures:detail", kwargs={"slug": expected}) in body


@pytest.mark.django_db
def test_filters_by_department_and_life_event(procedures, client):
    body = client.get(reverse("procedures:catalogue"), {"department": "kaigo-hoken"}).content.decode()
    assert "要介護・要支援認定の申請" in body and "罹災証明書" not in body
    body = client.get(reverse("procedures:catalogue"), {"event": "disaster"}).content.decode()
    assert "罹災証明書" in body and "要介護" not in body
    assert "28件の手続" in client.get(reverse("procedures:catalogue")).content.decode()


@pytest.mark.django_db
def test_procedure_page_says_what_to_prepare(procedures, client):
    body = client.get(reverse("procedures:detail", kwargs={"slug": RISAI})).content.decode()
    for text in (
        "申請できる人",
        "かかる日数の目安",
        "手数料",
        "無料",
        "用意するもの",
        "被害の写真",
        "申請をはじめる",
    ):
        assert text in body, text


@pytest.mark.django_db
def test_attachments_upload_through_the_runner_and_are_kept_with_the_submission(
    procedures, as_user, citizen_erin
):
    from datetime import timedelta

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from madoguchi.privacy.models import StoredFile
    from tests.support.hostile import jpeg_with_gps

    client = as_user(citizen_erin)
    draft, _check = _ready_draft(client)
    url = reverse("submissions:page", kwargs={"draft_id": draft.pk, "page_id": "attachments"})
    photo = SimpleUploadedFile("被害写真.jpg", jpeg_with_gps(), content_type="image/jpeg")
    evil = SimpleUploadedFile("evil.pdf", b"MZ\x90\x00not a pdf", content_type="application/pdf")
    response = client.post(url, {"action": "continue", "f-damage_photos": [photo, evil]})
    body = response.content.decode()
    assert response.status_code == 200  # the bad file is refused with a message; the good one is kept
    assert "PDF、JPEG、PNG、HEIC のファイルを選んでください" in body and "被害写真.jpg" in body
    stored = StoredFile.objects.get()
    from madoguchi.privacy.uploads import file_storage

    assert stored.uploaded_by == citizen_erin
    assert b"SecretCam" not in file_storage().open(stored.storage_name, "rb").read()  # EXIF gone
    response = client.post(url, {"action": "continue", "f-damage_photos-keep": [str(stored.pk)]})
    assert response.status_code == 302
    _response, _token = submit(client, reverse("submissions:check", kwargs={"draft_id": draft.pk}))
    submission = Submission.objects.get()
    assert submission.data["damage_photos"] == [{"id": str(stored.pk), "name": "被害写真.jpg"}]
    stored.refresh_from_db()
    assert stored.retain_until > timezone.now() + timedelta(days=365 * 9)
    assert stored.department == submission.department
    # The citizen can fetch it back; staff of another department cannot.
    assert client.get(reverse("privacy:file_download", kwargs={"file_id": stored.pk})).status_code == 200


def test_long_japanese_lines_in_a_pdf_wrap_inside_the_page():
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics

    from madoguchi.submissions.pdf import japanese_font, wrap

    font = japanese_font()
    width = A4[0] - 40 * mm
    text = "石巻市の災害にかかる罹災証明書の交付申請に関する説明" * 8
    lines = wrap(text, font, 10.5, width)
    assert len(lines) > 1 and "".join(lines) == text
    assert all(pdfmetrics.stringWidth(line, font, 10.5) <= width for line in lines)
