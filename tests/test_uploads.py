"""Uploads: a hostile corpus is refused or neutralised; files are served only to who may see them;
optional virus scanning keeps files quarantined until clean."""

import io

import pytest
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject, NameObject

from madoguchi.privacy.models import StoredFile
from madoguchi.privacy.services import file_store, stored_file_scan
from madoguchi.privacy.uploads import UploadRejected, file_storage
from tests.conftest import department
from tests.support.fake_clamd import EICAR, FakeClamd
from tests.support.hostile import corpus, pdf, png

pytestmark = pytest.mark.django_db

CORPUS = corpus()


class Upload(io.BytesIO):
    """An uploaded file as Django hands it over, with a declared size that may lie."""

    def __init__(self, content: bytes, name: str, size: int | None = None):
        super().__init__(content)
        self.name = name
        self.size = len(content) if size is None else size


def test_the_corpus_is_large_enough():
    assert len(CORPUS) >= 30
    assert len({c.id for c in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("case", CORPUS, ids=[c.id for c in CORPUS])
def test_hostile_upload(case, city, citizen_erin):
    upload = Upload(case.content, case.name, case.declared_size)
    if case.outcome.startswith("refused:"):
        with pytest.raises(UploadRejected) as exc:
            file_store(uploaded=upload, department=department("kaigo-hoken"), uploaded_by=citizen_erin)
        assert exc.value.code == case.outcome.split(":", 1)[1]
        assert str(exc.value.message)  # a message for the user, in plain words
        assert not StoredFile.objects.exists()
        return

    stored = file_store(uploaded=upload, department=department("kaigo-hoken"), uploaded_by=citizen_erin)
    content = file_storage().open(stored.storage_name, "rb").read()
    # Stored under a random name: nothing of what the uploader called it.
    stem = case.name.replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    for part in (stem, "..", "passwd", "\u202e", "\x00"):
        if part:
            assert part not in stored.storage_name
    assert stored.storage_name.startswith("files/") and str(stored.pk.hex) in stored.storage_name
    # The display name is harmless and carries the real type's extension.
    for bad in ("/", "\\", "\u202e", "\x00", ".."):
        assert bad not in stored.display_name
    assert len(stored.display_name) <= 84
    assert not stored.display_name.startswith(".")
    # Nothing hidden survives the rewrite.
    assert b"PK\x03\x04" not in content and b"<script" not in content and b"<html" not in content
    if stored.content_type == "application/pdf":
        assert stored.display_name.endswith(".pdf")
        reader = PdfReader(io.BytesIO(content))
        assert len(reader.pages) >= 1
        assert b"/URI" not in content and b"/Annots" not in content
    else:
        image = Image.open(io.BytesIO(content))
        image.load()
        assert stored.display_name.endswith({"JPEG": ".jpg", "PNG": ".png"}[image.format])
        assert stored.content_type == Image.MIME[image.format]
        exif = image.getexif()
        assert 0x8825 not in exif and 0x010F not in exif and b"SecretCam" not in content
        assert image.mode in ("RGB", "L", "RGBA", "P", "LA")
    assert stored.status == StoredFile.Status.CLEAN and stored.sha256 and stored.size == len(content)


def test_the_display_name_keeps_a_japanese_name(city, citizen_erin):
    stored = file_store(uploaded=Upload(pdf(), "C:\\書類\\住民票の写し.pdf"), uploaded_by=citizen_erin)
    assert stored.display_name == "住民票の写し.pdf"


def _store(owner, code="kaigo-hoken", content=None, name="scan.png"):
    return file_store(uploaded=Upload(content or png(), name), department=department(code), uploaded_by=owner)


def test_the_uploader_and_staff_of_the_department_may_download(as_user, citizen_erin, kaigo_alice):
    stored = _store(citizen_erin)
    url = reverse("privacy:file_download", kwargs={"file_id": stored.pk})
    for user in (citizen_erin, kaigo_alice):
        response = as_user(user).get(url)
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]
        assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    from madoguchi.privacy.models import AuditEvent

    reads = AuditEvent.objects.filter(
        action="read", object_type="privacy.storedfile", object_id=str(stored.pk)
    )
    assert reads.count() == 2


def test_others_get_404(as_user, client, citizen_erin, citizen_frank, kosodate_charlie):
    stored = _store(citizen_erin)
    url = reverse("privacy:file_download", kwargs={"file_id": stored.pk})
    for user in (citizen_frank, kosodate_charlie):
        assert as_user(user).get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # anonymous: log in first


@pytest.fixture
def clamd(settings):
    server = FakeClamd().start()
    settings.MADOGUCHI_CLAMD_ADDRESS = server.address
    yield server
    server.stop()


def _pdf_with_text(text: bytes) -> bytes:
    writer = PdfWriter()
    page = writer.add_blank_page(width=200, height=200)
    stream = DecodedStreamObject()
    stream.set_data(b"% " + text + b"\nBT /F1 12 Tf 10 10 Td (scan) Tj ET")
    page[NameObject("/Contents")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_with_scanning_on_a_file_is_quarantined_until_scanned_clean(
    clamd, as_user, citizen_erin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        stored = _store(citizen_erin)
    stored.refresh_from_db()
    assert stored.status == StoredFile.Status.CLEAN  # the scan task ran (immediately, in tests)
    assert len(clamd.scanned) == 1 and clamd.scanned[0].startswith(b"\x89PNG")


def test_an_infected_file_is_never_served_and_its_content_is_deleted(
    clamd, as_user, citizen_erin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        stored = _store(
            citizen_erin,
            content=_pdf_with_text(EICAR),
            name="x.pdf",
        )
    stored.refresh_from_db()
    if EICAR not in clamd.scanned[0]:
        pytest.fail("the test file lost its marker in the PDF rewrite")
    assert stored.status == StoredFile.Status.INFECTED and "Eicar" in stored.scan_detail
    assert not file_storage().exists(stored.storage_name)
    response = as_user(citizen_erin).get(reverse("privacy:file_download", kwargs={"file_id": stored.pk}))
    assert response.status_code == 409


def test_with_the_scanner_down_a_file_stays_quarantined(settings, as_user, citizen_erin):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.MADOGUCHI_CLAMD_ADDRESS = f"tcp:127.0.0.1:{port}"
    stored = _store(citizen_erin)
    assert stored.status == StoredFile.Status.QUARANTINED
    assert stored_file_scan(file_id=str(stored.pk)) is None
    stored.refresh_from_db()
    assert stored.status == StoredFile.Status.QUARANTINED
    response = as_user(citizen_erin).get(reverse("privacy:file_download", kwargs={"file_id": stored.pk}))
    assert response.status_code == 409 and "検査が終わっていません" in response.content.decode()
