"""Issued documents: sealed with the city's electronic seal (PAdES), verifiable by pyhanko and on the
public page by code and by file; a changed byte fails both; a revoked document says so."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pypdf import PdfReader

from madoguchi.cases import services
from madoguchi.documents.models import IssuedDocument
from madoguchi.documents.seal import seal_files, validate_pdf
from madoguchi.documents.services import document_revoke, normalise_code
from madoguchi.privacy.uploads import file_storage
from tests.conftest import make_staff
from tests.support.cases import file_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued_certificate(citizen_erin):
    handler = make_staff("h@shisanzei.test", "資産 担当", ("shisanzei", "handler"))
    approver = make_staff("a@shisanzei.test", "資産 決裁", ("shisanzei", "approver"))
    case = file_case(citizen_erin, slug="risai_shomei")
    services.case_transition(by=handler, case=case, to_status="reviewing")
    decision = services.decision_propose(by=handler, case=case, outcome="approved", reason="半壊")
    services.decision_approve(by=approver, decision=decision)
    document = IssuedDocument.objects.get(case=case)
    return document, file_storage().open(document.file.storage_name, "rb").read(), approver


def _roots():
    files = seal_files()
    return [files.chain.read_text()]


def test_the_risai_certificate_is_sealed_and_valid(issued_certificate):
    document, pdf, _approver = issued_certificate
    assert document.kind == "risai_certificate" and document.title == "罹災証明書"
    status = validate_pdf(pdf, _roots())
    assert status == {
        "intact": True,
        "valid": True,
        "trusted": True,
        "signed": True,
        "covers_whole_file": True,
    }
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    for expected in (
        "罹災証明書",
        "半壊",
        "電子公印",
        document.short_code,
        document.case.receipt_number,
        "地震",
    ):
        assert expected in text, expected


def test_one_changed_byte_fails_pyhanko_and_the_page(client, issued_certificate):
    document, pdf, _approver = issued_certificate
    position = pdf.index(b"/Contents") - 200  # inside the signed content, before the signature
    tampered = pdf[:position] + bytes([pdf[position] ^ 0x01]) + pdf[position + 1 :]
    try:
        status = validate_pdf(tampered, _roots())
        assert not (status["intact"] and status["valid"])
    except Exception:  # pyhanko may refuse to parse the damaged file at all: also a failure
        pass
    url = reverse("documents:verify", kwargs={"code": document.short_code})
    ok = client.post(url, {"file": SimpleUploadedFile("x.pdf", pdf, content_type="application/pdf")})
    assert "発行したときのままです" in ok.content.decode()
    bad = client.post(url, {"file": SimpleUploadedFile("x.pdf", tampered, content_type="application/pdf")})
    assert "一致しません" in bad.content.decode()


def test_the_public_page_shows_only_what_is_printed(client, issued_certificate):
    document, _pdf, _approver = issued_certificate
    body = client.get(
        reverse("documents:verify", kwargs={"code": document.short_code.lower().replace("-", "")})
    ).content.decode()
    assert "市が発行したものです" in body and "罹災証明書" in body and "半壊" in body
    assert "123456789018" not in body and "●●●●" not in body  # nothing beyond the printed items
    missing = client.get(reverse("documents:verify", kwargs={"code": "AAAA-BBBB-CCCC"}))
    assert missing.status_code == 404 and "見つかりません" in missing.content.decode()


def test_a_revoked_document_says_so(client, issued_certificate):
    document, _pdf, approver = issued_certificate
    document_revoke(by=approver, document=document, reason="再調査により変更")
    body = client.get(reverse("documents:verify", kwargs={"code": document.short_code})).content.decode()
    assert "取り消されています" in body and "再調査により変更" in body


def test_codes_are_forgiving_to_type():
    assert normalise_code("7kq2 m9xd 4tzp") == "7KQ2-M9XD-4TZP"
    assert normalise_code("7KQ2-M9XD-4TZ") == ""


def test_the_citizen_downloads_the_certificate(as_user, citizen_erin, issued_certificate):
    document, pdf, _approver = issued_certificate
    response = as_user(citizen_erin).get(
        reverse("privacy:file_download", kwargs={"file_id": document.file_id})
    )
    assert response.status_code == 200 and b"".join(response.streaming_content) == pdf


def test_staff_revoke_a_document_from_the_case_page(as_user, client, issued_certificate):
    document, _pdf, approver = issued_certificate
    staff = as_user(approver)
    url = reverse("cases:action", kwargs={"case_id": document.case_id})
    staff.post(url, {"action": "revoke_document", "document": str(document.pk), "text": ""})
    document.refresh_from_db()
    assert document.revoked_at is None  # a reason is required
    staff.post(
        url, {"action": "revoke_document", "document": str(document.pk), "text": "記載誤りのため再発行"}
    )
    document.refresh_from_db()
    assert document.revoked_reason == "記載誤りのため再発行"
    assert (
        "取り消されています"
        in client.get(reverse("documents:verify", kwargs={"code": document.short_code})).content.decode()
    )
