"""Issuing documents: a PDF with a visible seal block, a QR code and a short code that open the public
verification page, sealed with the city's electronic seal (PAdES), stored for the citizen."""

from __future__ import annotations

import hashlib
import io
import logging
import secrets

import segno
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from madoguchi.forms.wareki import to_wareki
from madoguchi.organisations.selectors import municipality_get_current
from madoguchi.privacy.audit import audit_record
from madoguchi.privacy.models import AuditEvent
from madoguchi.privacy.services import file_store_generated
from madoguchi.submissions.pdf import _Writer, japanese_font

from .models import IssuedDocument
from .seal import sign_pdf

logger = logging.getLogger(__name__)

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U


def new_short_code() -> str:
    """12 characters (60 bits), grouped for reading: 7KQ2-M9XD-4TZP."""
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    return f"{raw[0:4]}-{raw[4:8]}-{raw[8:12]}"


def normalise_code(text: str) -> str:
    import unicodedata

    cleaned = (
        unicodedata.normalize("NFKC", text or "")
        .upper()
        .replace("O", "0")
        .replace("I", "1")
        .replace("L", "1")
    )
    raw = "".join(c for c in cleaned if c in _ALPHABET)
    return f"{raw[0:4]}-{raw[4:8]}-{raw[8:12]}" if len(raw) == 12 else ""


def verification_url(code: str) -> str:
    return settings.MADOGUCHI_SITE_URL.rstrip("/") + reverse("documents:verify", kwargs={"code": code})


def render_document(*, title: str, addressee: str, lines: list[str], printed: list[list[str]], code: str,
                    department_name: str, issued_on) -> bytes:  # fmt: skip
    font = japanese_font()
    city = municipality_get_current()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle(f"{title} {code}")
    w = _Writer(pdf, font)
    w.line(to_wareki(issued_on), size=10.5)
    if addressee:
        w.line(f"{addressee} 様", size=12, gap=2)
    w.line(title, size=20, gap=2.2)
    for text in lines:
        w.line(text, gap=1.8)
    w.rule()
    for label, value in printed:
        w.line(f"{label}：{value}")
    w.rule()
    # The seal block: who issued it, and how anyone can check it.
    top = w.y - 4 * mm
    pdf.setLineWidth(1)
    pdf.rect(w.left, top - 42 * mm, w.right - w.left, 42 * mm)
    qr = segno.make(verification_url(code).encode("utf-8"), error="m")
    png = io.BytesIO()
    qr.save(png, kind="png", scale=4, border=2)
    pdf.drawImage(ImageReader(io.BytesIO(png.getvalue())), w.right - 40 * mm, top - 40 * mm, 38 * mm, 38 * mm)
    pdf.setFont(font, 12)
    issuer = f"{city.name}長" if city else "市長"
    pdf.drawString(w.left + 4 * mm, top - 9 * mm, f"{issuer}（電子公印）")
    pdf.setFont(font, 10)
    pdf.drawString(w.left + 4 * mm, top - 16 * mm, f"担当：{department_name}")
    pdf.drawString(w.left + 4 * mm, top - 24 * mm, f"確認コード：{code}")
    pdf.setFont(font, 8)
    pdf.drawString(
        w.left + 4 * mm, top - 31 * mm, "この文書は電子署名されています。QRコードか確認コードで、本物で"
    )
    pdf.drawString(
        w.left + 4 * mm,
        top - 36 * mm,
        f"改ざんされていないことを確かめられます：{verification_url(code)[:60]}",
    )
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


@transaction.atomic
def document_issue(*, case, kind: str, title: str, addressee: str, lines: list[str],
                   printed: list[list[str]]) -> IssuedDocument:  # fmt: skip
    """Render, seal and store a document for the case's applicant, with its verification record."""
    for _attempt in range(5):
        code = new_short_code()
        if not IssuedDocument.objects.filter(short_code=code).exists():
            break
    city = municipality_get_current()
    unsigned = render_document(title=title, addressee=addressee, lines=lines, printed=printed, code=code,
                               department_name=case.department.name, issued_on=timezone.localdate())  # fmt: skip
    signed = sign_pdf(unsigned, reason=title, location=city.name if city else "")
    stored = file_store_generated(
        content=signed, display_name=f"{title}-{case.receipt_number}.pdf", content_type="application/pdf",
        department=case.department, owner=case.submission.user, retain_until=case.submission.retain_until,
    )  # fmt: skip
    document = IssuedDocument.objects.create(
        short_code=code, kind=kind, title=title, case=case, file=stored,
        sha256=hashlib.sha256(signed).hexdigest(), printed=printed,
    )  # fmt: skip
    logger.info("document issued kind=%s case_id=%s", kind, case.pk)
    return document


@transaction.atomic
def document_revoke(*, by, document: IssuedDocument, reason: str) -> None:
    if not by.has_role("approver", document.case.department_id) and not by.has_role(
        "dept_admin", document.case.department_id
    ):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    if not reason.strip():
        raise ValidationError("取り消す理由を書いてください。")
    document.revoked_at = timezone.now()
    document.revoked_reason = reason.strip()[:200]
    document.save(update_fields=["revoked_at", "revoked_reason"])
    audit_record(action=AuditEvent.Action.CHANGE, object_type="documents.issueddocument", object_id=document.pk,
                 department_code=document.case.department.code, fields=["revoked_at"], purpose=reason, actor=by)  # fmt: skip


def document_check(*, code: str, content: bytes | None) -> dict:
    """What the public verification page says: does the code exist, is it revoked, does the file match."""
    document = (
        IssuedDocument.objects.select_related("case__department")
        .filter(short_code=normalise_code(code))
        .first()
    )
    if document is None:
        return {"found": False}
    result = {"found": True, "document": document, "revoked": document.revoked_at is not None}
    if content is not None:
        result["matches"] = hashlib.sha256(content).hexdigest() == document.sha256
    return result
