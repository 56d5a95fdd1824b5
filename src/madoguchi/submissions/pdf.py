"""The receipt PDF (申請の控え), with an embedded Japanese font.

ReportLab embeds a TrueType font; we use IPAexGothic (Debian's fonts-ipaexfont-gothic,
installed by `make` when missing) or the file named by MADOGUCHI_PDF_FONT. Without it,
ReportLab's built-in HeiseiKakuGo-W5 CID font is used: it shows correctly in viewers
that have Japanese fonts, but is not embedded.
"""

from __future__ import annotations

import io
import logging
import os
from functools import lru_cache

from django.utils import timezone, translation
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from madoguchi.forms.engine import answers_summary
from madoguchi.forms.wareki import to_wareki
from madoguchi.organisations.selectors import municipality_get_current

logger = logging.getLogger(__name__)

FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/truetype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
)


@lru_cache(maxsize=1)
def japanese_font() -> str:
    for path in (os.environ.get("MADOGUCHI_PDF_FONT"), *FONT_CANDIDATES):
        if path and os.path.exists(path):
            pdfmetrics.registerFont(TTFont("MadoguchiGothic", path))
            return "MadoguchiGothic"
    logger.warning("no Japanese TrueType font found; receipts use the non-embedded HeiseiKakuGo-W5")
    pdfmetrics.registerFont(UnicodeCIDFont("HeiseiKakuGo-W5"))
    return "HeiseiKakuGo-W5"


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Lines that fit the width. Japanese has no spaces between words, so a line that is still too
    wide after ReportLab's split at spaces is broken between characters."""
    lines = []
    for part in simpleSplit(text, font, size, width) or [""]:
        while pdfmetrics.stringWidth(part, font, size) > width and len(part) > 1:
            cut = len(part)
            while cut > 1 and pdfmetrics.stringWidth(part[:cut], font, size) > width:
                cut -= 1
            lines.append(part[:cut])
            part = part[cut:]
        lines.append(part)
    return lines


class _Writer:
    def __init__(self, pdf: canvas.Canvas, font: str):
        self.pdf, self.font = pdf, font
        self.width, self.height = A4
        self.left, self.right = 20 * mm, self.width - 20 * mm
        self.y = self.height - 20 * mm

    def line(self, text: str, size: float = 10.5, indent: float = 0, gap: float = 1.5) -> None:
        for part in wrap(text, self.font, size, self.right - self.left - indent) or [""]:
            if self.y < 20 * mm:
                self.pdf.showPage()
                self.y = self.height - 20 * mm
            self.pdf.setFont(self.font, size)
            self.pdf.drawString(self.left + indent, self.y, part)
            self.y -= size * gap
        self.y -= 1

    def rule(self) -> None:
        self.pdf.setLineWidth(0.5)
        self.pdf.line(self.left, self.y + 4, self.right, self.y + 4)
        self.y -= 6


def render_receipt(submission, *, language: str = "ja") -> bytes:
    font = japanese_font()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    definition = submission.version.definition
    en = language == "en"
    with translation.override(language):
        city = municipality_get_current()
        pdf.setTitle(("Receipt " if en else "申請の控え ") + submission.receipt_number)
        pdf.setAuthor(city.display_name if city else "Madoguchi")
        w = _Writer(pdf, font)
        w.line("Copy of your application" if en else "申請の控え", size=18, gap=1.6)
        w.line(definition["name"]["en" if en else "ja"], size=13)
        w.rule()
        submitted = timezone.localtime(submission.submitted_at)
        when = (
            submitted.strftime("%Y-%m-%d %H:%M")
            if en
            else f"{to_wareki(submitted.date())} {submitted:%H時%M分}"
        )
        w.line(("Receipt number: " if en else "受付番号：") + submission.receipt_number, size=12)
        w.line(("Received: " if en else "受付日時：") + when)
        if city:
            w.line(
                ("To: " if en else "提出先：") + f"{city.display_name} {submission.department.display_name}"
            )
        w.rule()
        for section in answers_summary(definition, submission.data, language):
            w.line(section.title, size=12, gap=1.7)
            if section.items is not None:
                for number, rows in enumerate(section.items, 1):
                    w.line(f"{section.item_label} {number}", indent=4 * mm)
                    for row in rows:
                        w.line(f"{row.label}：{row.value}", indent=8 * mm)
            for row in section.rows:
                w.line(f"{row.label}：{row.value}", indent=4 * mm)
        w.rule()
        w.line("Keep this copy. Quote the receipt number when you contact us." if en
               else "この控えは大切に保管してください。お問い合わせには受付番号をお伝えください。", size=9)  # fmt: skip
        if city:
            w.line(f"{city.display_name}  {city.phone}", size=9)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
