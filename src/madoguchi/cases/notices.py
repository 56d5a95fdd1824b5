"""The decision notice (決定通知書) as a PDF with the Japanese font embedded, stored through the
privacy core so that the citizen and the department download it through access-checked views."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from madoguchi.forms.wareki import to_wareki
from madoguchi.organisations.selectors import municipality_get_current
from madoguchi.submissions.pdf import _Writer, japanese_font

from .workflows import workflow


def render_decision_notice(decision) -> bytes:
    case = decision.case
    definition = case.submission.version.definition
    city = municipality_get_current()
    font = japanese_font()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle(f"決定通知書 {case.receipt_number}")
    w = _Writer(pdf, font)
    decided = timezone.localdate(decision.approved_at or timezone.now())
    w.line(to_wareki(decided), size=10.5)
    w.line(f"{case.applicant_name} 様" if case.applicant_name else "申請者 様", size=12, gap=2)
    if city:
        w.line(f"{city.name}長", size=12)
        w.line(case.department.name, size=10.5, gap=2.2)
    w.line("決定通知書", size=18, gap=2)
    outcome = workflow(case.workflow).status(decision.outcome).display("ja")
    w.line(f"{definition['name']['ja']}について、次のとおり決定しました。", gap=2)
    w.rule()
    w.line(f"受付番号：{case.receipt_number}")
    w.line(f"受付日：{to_wareki(case.received_on)}")
    w.line(f"決定：{outcome}")
    w.line(f"理由：{decision.reason}")
    w.rule()
    if decision.outcome == "rejected":
        w.line("この決定に不服がある場合は、この決定があったことを知った日の翌日から起算して3か月以内に、"
               "市長に対して審査請求をすることができます（行政不服審査法）。", size=9)  # fmt: skip
    if city:
        w.line(f"問い合わせ先：{city.name} {case.department.name} {city.phone}", size=9)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def store_decision_notice(decision):
    from madoguchi.privacy.services import file_store

    case = decision.case
    content = render_decision_notice(decision)
    upload = SimpleUploadedFile(
        f"決定通知書-{case.receipt_number}.pdf", content, content_type="application/pdf"
    )
    # The applicant owns their notice (and may download it); staff of the department may too.
    return file_store(uploaded=upload, department=case.department, uploaded_by=case.submission.user,
                      retain_until=case.submission.retain_until)  # fmt: skip
