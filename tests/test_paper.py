"""The paper channel (docs/paper.md): forms made to be read, scanning intake, confirmation.

Real PDFs (ReportLab), rendered with pdfium, QR codes decoded with zxing-cpp, real database; the
OCR engine is the test-only ``BlankEngine`` (tests/support/paper.py), so what is asserted here is
read from QR codes and tick boxes."""

from __future__ import annotations

import io

import pypdf
import pytest
import zxingcpp
from django.urls import reverse

from madoguchi.forms.samples import sample_answers
from madoguchi.paper import layout as L
from madoguchi.paper.codes import parse_data_texts, parse_page_id
from madoguchi.paper.forms_pdf import render_form_pdf
from madoguchi.paper.models import PageJob, PaperApplication, ReadingOutcome, ScanPage
from madoguchi.paper.reading import read_page
from madoguchi.procedures.models import Procedure
from madoguchi.submissions.models import Submission
from madoguchi.submissions.services import draft_save, draft_start
from tests.support.cases import ensure_procedures
from tests.support.paper import ENGINE, scan, upload


@pytest.fixture
def paper_settings(settings):
    settings.MADOGUCHI_OCR_ENGINES = ENGINE
    settings.MADOGUCHI_PAPER_DPI = 150


def _codes(image):
    return [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def test_the_layout_keeps_every_box_inside_the_content_area_and_clear_of_the_marks():
    import glob

    import yaml

    for path in sorted(glob.glob("data/procedures/*.yaml")):
        with open(path, encoding="utf-8") as handle:
            definition = yaml.safe_load(handle)
        pages = L.page_layouts(definition)
        keys = [p.key for page in pages for p in page.parts()]
        assert len(keys) == len(set(keys)), path
        for page in pages:
            for part in page.parts():
                for cell in part.cells:
                    assert cell.x >= L.LEFT - 0.01 and cell.x + cell.w <= L.RIGHT + 0.01, (path, part.key)
                    assert cell.y >= L.CONTENT_TOP and cell.y + cell.h <= L.CONTENT_BOTTOM, (path, part.key)


@pytest.mark.django_db
def test_every_procedure_has_a_printable_form_whose_qr_codes_name_it(client, city):
    ensure_procedures()
    for procedure in Procedure.objects.select_related("current_version"):
        version = procedure.current_version
        response = client.get(reverse("paper:form_pdf", kwargs={"slug": procedure.slug}))
        if "paper" not in version.definition["channels"]:  # not offered on paper: no link, no form
            assert response.status_code == 404
            continue
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        reader = pypdf.PdfReader(io.BytesIO(response.content))
        layouts = L.page_layouts(version.definition)
        assert len(reader.pages) == len(layouts)
        text = reader.pages[0].extract_text()
        assert version.definition["name"]["ja"][:8] in text.replace("\n", "")
        assert "1文字ずつ" in text
        if procedure.slug in ("risai_shomei", "kaigo_nintei_shinki"):  # decode two forms fully (slow-ish)
            from tests.support.paper import scan as render

            for number, image in enumerate(render(response.content, dpi=200, rotate=0, noise=0), start=1):
                page_id = next(filter(None, (parse_page_id(t) for t in _codes(image))))
                assert (page_id.slug, page_id.version, page_id.page, page_id.pages, page_id.form_id) == (
                    procedure.slug,
                    version.number,
                    number,
                    len(layouts),
                    "",
                )


@pytest.mark.django_db
def test_the_procedure_page_links_the_paper_form(client, city):
    ensure_procedures()
    page = client.get(reverse("procedures:detail", kwargs={"slug": "risai_shomei"})).content.decode()
    assert reverse("paper:form_pdf", kwargs={"slug": "risai_shomei"}) in page


@pytest.mark.django_db
def test_a_draft_printed_pre_filled_carries_its_answers_exactly_in_qr_codes(as_user, citizen_erin):
    ensure_procedures()
    procedure = Procedure.objects.get(slug="risai_shomei")
    draft = draft_start(procedure=procedure, user=citizen_erin)
    answers = sample_answers(procedure.current_version.definition)
    draft_save(draft=draft, values=answers)
    client = as_user(citizen_erin)
    check = client.get(reverse("submissions:check", kwargs={"draft_id": draft.pk})).content.decode()
    url = reverse("paper:draft_form_pdf", kwargs={"draft_id": draft.pk})
    assert url in check
    response = client.get(url)
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    read: dict = {}
    for image in scan(response.content, dpi=200, rotate=0, noise=0):
        texts = _codes(image)
        page_id = next(filter(None, (parse_page_id(t) for t in texts)))
        assert page_id.form_id
        data = parse_data_texts([t for t in texts if t.startswith("MDGD1:")])
        assert data is not None and data[0] == page_id.form_id
        read.update(data[2])
    draft.refresh_from_db()
    assert read == draft.data
    # someone else's draft is not printed
    from django.test import Client

    assert Client().get(url).status_code == 404


def _file_prefilled(slug: str, user, answers=None):
    procedure = Procedure.objects.get(slug=slug)
    version = procedure.current_version
    data = answers or sample_answers(version.definition)
    draft = draft_start(procedure=procedure, user=user)
    draft_save(draft=draft, values=data)
    draft.refresh_from_db()
    return version, draft.data


@pytest.mark.django_db
def test_a_scanned_pre_filled_form_is_read_exactly_and_ticks_agree(paper_settings, city):
    ensure_procedures()
    version, data = _file_prefilled("risai_shomei", None)
    pdf = render_form_pdf(version.definition, version.number, data)
    for image in scan(pdf, rotate=-1.2, noise=12, seed=3):
        reading = read_page(image, lambda page_id: version.definition, dpi=150)
        assert reading.page_id is not None and reading.registered is not None
        layout = L.page_layouts(version.definition)[reading.page_id.page - 1]
        for fl in layout.fields:
            for part in fl.parts:
                if part.kind == "tick":  # the ink in the boxes says what the QR code says
                    got = reading.readings[part.key]
                    assert got["ocr"] == got["text"], part.key


@pytest.mark.django_db(transaction=True)
def test_staff_upload_a_batch_confirm_it_and_it_becomes_a_paper_case(
    paper_settings, as_user, kaigo_alice, city
):
    ensure_procedures()
    version, data = _file_prefilled("kaigo_nintei_shinki", None)
    pdf_a = render_form_pdf(version.definition, version.number, data)
    version_b, data_b = _file_prefilled("kaigo_hihokenshasho_saikofu", None)
    pdf_b = render_form_pdf(version_b.definition, version_b.number, data_b)
    pages_a = scan(pdf_a, rotate=1.5, noise=10, seed=4)
    pages_b = scan(pdf_b, rotate=-2.0, noise=10, seed=5)
    from PIL import Image

    stray = Image.new("L", (1240, 1754), 255)  # a blank sheet that slipped in
    client = as_user(kaigo_alice)
    # pages out of order, over two files of different kinds
    response = client.post(reverse("paper:home"), {
        "department": "kaigo-hoken",
        "scans": [upload([pages_b[1], pages_a[0], stray], "one.tif"), upload([*pages_a[1:], pages_b[0], *pages_b[2:]], "two.pdf")],
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    batch_url = response["Location"]
    jobs = PageJob.objects.all()
    assert jobs.count() == len(pages_a) + len(pages_b) + 1
    assert set(jobs.values_list("status", flat=True)) == {"done"}  # the test profile runs tasks at once
    assert ScanPage.objects.filter(state="unidentified").count() == 1
    page = client.get(batch_url).content.decode()
    assert "未識別のページ" in page
    applications = list(PaperApplication.objects.order_by("position"))
    assert {a.version_id for a in applications} == {version.pk, version_b.pk}
    for application in applications:
        expected = data if application.version_id == version.pk else data_b
        url = reverse("paper:application", kwargs={"application_id": application.pk})
        screen = client.get(url)
        assert screen.status_code == 200
        html = screen.content.decode()
        assert "image.png?part=" in html
        values = _form_values(html)
        response = client.post(url, {**values, "action": "confirm"})
        assert response.status_code == 302, response.content.decode()[:3000]
        application.refresh_from_db()
        submission = application.submission
        assert application.state == "filed" and submission.channel == Submission.Channel.PAPER
        assert submission.entered_by_id == kaigo_alice.pk
        assert submission.data == expected
        case = submission.cases.get()
        assert case.department.code == "kaigo-hoken" and case.channel == "paper"
        # the scans now follow the procedure's retention
        assert {p.retain_until for p in application.pages.all()} == {submission.retain_until}
    outcomes = ReadingOutcome.objects.all()
    assert outcomes.exists() and not outcomes.filter(corrected=True).exists()
    assert set(outcomes.values_list("engine", flat=True)) == {"qr"}
    # confirming twice files once
    again = client.post(reverse("paper:application", kwargs={"application_id": applications[0].pk}),
                        {"action": "confirm"})  # fmt: skip
    assert again.status_code == 302 and Submission.objects.filter(channel="paper").count() == 2
    # the stray page can be discarded by staff
    stray_page = ScanPage.objects.get(state="unidentified")
    assert client.get(reverse("paper:page", kwargs={"scan_id": stray_page.pk})).status_code == 200
    client.post(reverse("paper:page", kwargs={"scan_id": stray_page.pk}), {"action": "discard"})
    stray_page.refresh_from_db()
    assert stray_page.state == "discarded"


@pytest.mark.django_db(transaction=True)
def test_corrections_are_counted_and_invalid_values_are_refused(paper_settings, as_user, kaigo_alice, city):
    ensure_procedures()
    version, data = _file_prefilled("kaigo_hihokenshasho_saikofu", None)
    client = as_user(kaigo_alice)
    pages = scan(render_form_pdf(version.definition, version.number, data), rotate=1.0, seed=7)
    client.post(reverse("paper:home"), {"department": "kaigo-hoken", "scans": [upload(pages, "s.pdf")]})
    application = PaperApplication.objects.get()
    url = reverse("paper:application", kwargs={"application_id": application.pk})
    values = _form_values(client.get(url).content.decode())
    postal = next(k for k in values if k.endswith("postal_code"))
    response = client.post(url, {**values, postal: "12", "action": "confirm"})
    assert response.status_code == 400
    assert "郵便番号は7桁" in response.content.decode()
    assert not Submission.objects.exists()
    phone = next(k for k in values if k.endswith("_phone"))
    response = client.post(url, {**values, phone: "0225000000", "action": "confirm"})
    assert response.status_code == 302
    submission = Submission.objects.get()
    assert submission.data[phone[2:]] == "0225000000" != data[phone[2:]]
    corrected = ReadingOutcome.objects.filter(corrected=True)
    assert list(corrected.values_list("engine", "field_type")) == [("qr", "phone")]


@pytest.mark.django_db(transaction=True)
def test_other_departments_see_nothing_of_a_batch(
    paper_settings, as_user, kaigo_alice, kosodate_charlie, city
):
    ensure_procedures()
    version, data = _file_prefilled("kaigo_hihokenshasho_saikofu", None)
    pages = scan(render_form_pdf(version.definition, version.number, data), seed=8)
    client = as_user(kaigo_alice)
    response = client.post(
        reverse("paper:home"), {"department": "kaigo-hoken", "scans": [upload(pages, "s.tif")]}
    )
    batch_url = response["Location"]
    application = PaperApplication.objects.get()
    from django.test import Client

    from tests.conftest import login_verified

    other = Client()
    login_verified(other, kosodate_charlie)
    assert other.get(batch_url).status_code == 404
    assert (
        other.get(reverse("paper:application", kwargs={"application_id": application.pk})).status_code == 404
    )
    # and a kosodate member cannot upload into kaigo-hoken
    refused = other.post(
        reverse("paper:home"), {"department": "kaigo-hoken", "scans": [upload(pages, "s.tif")]}
    )
    assert refused.status_code == 400


def _form_values(html: str) -> dict:
    """The values a browser would post for the verification form (inputs, checked radios/boxes)."""
    import re
    from html import unescape

    form = html[html.index('class="form paper-check"') :]
    form = form[: form.index("</form>")]
    values: dict = {}
    for tag in re.findall(r"<input[^>]*>", form):
        attrs = dict((k, unescape(v)) for k, v in re.findall(r'(\w[\w-]*)="([^"]*)"', tag))
        name = attrs.get("name")
        if not name:
            continue
        if attrs.get("type") in ("radio", "checkbox"):
            if " checked" in tag:
                values.setdefault(name, []).append(attrs.get("value", ""))
        else:
            values.setdefault(name, []).append(attrs.get("value", ""))
    return values


@pytest.mark.django_db(transaction=True)
def test_a_hand_filled_form_is_flagged_then_typed_in_by_staff(paper_settings, as_user, kaigo_alice, city):
    """A blank form (no data codes) read by an engine that reads nothing: every required field is
    flagged and refused; staff type what the boxes say, and the values go through the field types."""
    ensure_procedures()
    version = Procedure.objects.get(slug="kaigo_hihokenshasho_saikofu").current_version
    definition = version.definition
    client = as_user(kaigo_alice)
    pages = scan(render_form_pdf(definition, version.number), rotate=-1.0, seed=12)
    client.post(reverse("paper:home"), {"department": "kaigo-hoken", "scans": [upload(pages, "s.pdf")]})
    application = PaperApplication.objects.get()
    url = reverse("paper:application", kwargs={"application_id": application.pk})
    html = client.get(url).content.decode()
    assert "入力の誤り" in html
    refused = client.post(url, {**_form_values(html), "action": "confirm"})
    assert refused.status_code == 400 and not Submission.objects.exists()
    answers = sample_answers(definition)
    typed: dict = {}
    for page_layout in L.page_layouts(definition):
        for fl in page_layout.fields:
            value = answers.get(fl.field["id"]) if fl.index is None else None
            for key, text in L.part_texts(fl, value).items():
                part = next(p for p in fl.parts if p.key == key)
                typed[f"p-{key}"] = text.split(",") if part.kind == "tick" and part.multiple else text
    response = client.post(url, {**typed, "action": "confirm"})
    assert response.status_code == 302, response.content.decode()[:3000]
    from madoguchi.forms.engine import prune

    submission = Submission.objects.get()
    expected = prune(definition, answers)
    for page in definition["form"]["pages"]:  # phone boxes hold the digits only
        for f in page["fields"]:
            if f["type"] == "phone" and f["id"] in expected:
                expected[f["id"]] = expected[f["id"]].replace("-", "")
    assert submission.data == expected
    engines = set(ReadingOutcome.objects.filter(corrected=True).values_list("engine", flat=True))
    assert engines == {"blank", "tick"}  # empty boxes (no OCR needed) and empty tick boxes, typed in by staff


@pytest.mark.django_db(transaction=True)
def test_scans_never_filed_are_erased_after_their_retention(paper_settings, kaigo_alice, city):
    from datetime import timedelta

    from django.utils import timezone

    from madoguchi.paper.models import ScanBatch
    from madoguchi.paper.services import batch_create
    from madoguchi.privacy.models import ErasureRecord, StoredFile
    from madoguchi.privacy.services import retention_purge
    from tests.conftest import department

    ensure_procedures()
    version = Procedure.objects.get(slug="kaigo_hihokenshasho_saikofu").current_version
    pages = scan(render_form_pdf(version.definition, version.number), seed=13)
    batch = batch_create(
        user=kaigo_alice, department=department("kaigo-hoken"), uploads=[upload(pages, "s.pdf")]
    )
    files = {batch.sources.get().stored_file_id, *ScanPage.objects.values_list("image_id", flat=True)}
    assert len(files) == len(pages) + 1
    retention_purge(now=timezone.now() + timedelta(days=60))
    assert ScanBatch.objects.exists() and StoredFile.objects.filter(pk__in=files).count() == len(files)
    later = timezone.now() + timedelta(days=91)
    retention_purge(now=later)
    assert not ScanBatch.objects.exists() and not ScanPage.objects.exists() and not PageJob.objects.exists()
    assert not StoredFile.objects.filter(pk__in=files).exists()
    assert ErasureRecord.objects.filter(object_type="paper.scanbatch").exists()
