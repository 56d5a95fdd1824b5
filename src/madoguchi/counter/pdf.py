"""The counter's confirmation sheet (申請内容の確認票): one A4 page the visitor checks and signs.

The answers are laid out in one column at the largest size that fits between the heading and the
signature box, then in two columns; only a form too long even for two columns at the smallest size
runs onto a second page (the signature box stays on the last one). ReportLab, with the project's
embedded Japanese font (``submissions.pdf.japanese_font``).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.utils import timezone, translation
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

from madoguchi.forms.engine import answers_summary
from madoguchi.forms.wareki import to_wareki
from madoguchi.organisations.selectors import municipality_get_current
from madoguchi.submissions.pdf import japanese_font

SIZES = (10.5, 9.5, 8.5, 7.5, 6.5)
LEFT, RIGHT, TOP, BOTTOM = 18 * mm, A4[0] - 18 * mm, A4[1] - 16 * mm, 14 * mm
SIGNATURE_BOX = 46 * mm
GUTTER = 6 * mm


@dataclass
class _Line:
    text: str
    size: float
    indent: float = 0.0
    bold: bool = False  # section titles: drawn with a rule under them


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Lines of at most ``width``: Japanese has no spaces to break at, so break between any characters
    (keeping a closing bracket or a 、。 with the character before it)."""
    lines, current = [], ""
    for char in text:
        if current and stringWidth(current + char, font, size) > width and char not in "、。，．）」』】":
            lines.append(current)
            current = char.lstrip()
        else:
            current += char
    lines.append(current)
    return lines


def _lines(sections, size: float, width: float, font: str) -> list[_Line]:
    out: list[_Line] = []
    for section in sections:
        out.append(_Line(section.title, size + 1, bold=True))
        groups = [rows for rows in section.items] if section.items is not None else [section.rows]
        for number, rows in enumerate(groups, 1):
            if section.items is not None:
                out.append(_Line(f"{section.item_label} {number}", size, indent=3 * mm))
            indent = 6 * mm if section.items is not None else 3 * mm
            for row in rows:
                text = f"{row.label}：{row.value or '—'}"
                for part in _wrap(text.replace("\n", " "), font, size, width - indent):
                    out.append(_Line(part, size, indent=indent))
    return out


def _height(lines: list[_Line]) -> float:
    return sum(line.size * (1.75 if line.bold else 1.35) for line in lines)


def _columns(lines: list[_Line], count: int, height: float) -> list[list[_Line]] | None:
    """Split the lines into ``count`` columns of at most ``height``; None when they do not fit."""
    columns: list[list[_Line]] = [[]]
    used = 0.0
    for line in lines:
        step = line.size * (1.75 if line.bold else 1.35)
        if used + step > height:
            if len(columns) == count:
                return None
            columns.append([])
            used = 0.0
        columns[-1].append(line)
        used += step
    return columns


def _layout(sections, font: str, height: float) -> tuple[list[list[_Line]], int]:
    full = RIGHT - LEFT
    half = (full - GUTTER) / 2
    for size in SIZES:
        columns = _columns(_lines(sections, size, full, font), 1, height)
        if columns is not None:
            return columns, 1
    for size in SIZES:
        columns = _columns(_lines(sections, size, half, font), 2, height)
        if columns is not None:
            return columns, 2
    # Too long even so: two columns per page, on as many pages as it takes.
    lines = _lines(sections, SIZES[-1], half, font)
    columns, used = [[]], 0.0
    for line in lines:
        step = line.size * (1.75 if line.bold else 1.35)
        if used + step > height:
            columns.append([])
            used = 0.0
        columns[-1].append(line)
        used += step
    return columns, 2


def render_confirmation_sheet(draft, session, *, language: str = "ja") -> bytes:
    font = japanese_font()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    definition = draft.version.definition
    en = language == "en"
    with translation.override(language):
        city = municipality_get_current()
        department = draft.version.procedure.department
        title = "Confirmation of your application" if en else "申請内容の確認票"
        pdf.setTitle(title)
        pdf.setAuthor(city.display_name if city else "Madoguchi")
        today = timezone.localdate()
        y = TOP
        pdf.setFont(font, 17)
        pdf.drawString(LEFT, y - 17, title)
        pdf.setFont(font, 9)
        pdf.drawRightString(RIGHT, y - 6, (today.isoformat() if en else to_wareki(today)))
        y -= 26
        pdf.setFont(font, 12.5)
        pdf.drawString(LEFT, y - 12, definition["name"]["en" if en else "ja"])
        y -= 18
        pdf.setFont(font, 9)
        to = f"{city.display_name} " if city else ""
        staff = session.staff.display_name or ""
        pdf.drawString(LEFT, y - 9, ("To: " if en else "提出先：") + to + department.display_name
                       + ("  /  Entered at the counter by: " if en else "　窓口で入力：") + staff)  # fmt: skip
        y -= 13
        identity = session.get_identity_document_display() or ("(not yet recorded)" if en else "（未記録）")
        if session.identity_secondary:
            from .models import SecondaryDocument

            names = dict(SecondaryDocument.choices)
            identity += "（" + "、".join(str(names.get(d, d)) for d in session.identity_secondary) + "）"
        pdf.drawString(LEFT, y - 9, ("Identity checked with: " if en else "本人確認書類：") + identity)
        y -= 13
        pdf.drawString(LEFT, y - 9, "Please check the answers below. Tell us if anything is wrong." if en
                       else "下の内容をご確認ください。違うところがあれば、職員にお申し出ください。")  # fmt: skip
        y -= 14
        pdf.setLineWidth(0.6)
        pdf.line(LEFT, y, RIGHT, y)
        y -= 4

        sections = answers_summary(definition, draft.data, language)
        columns, count = _layout(sections, font, y - BOTTOM - SIGNATURE_BOX)
        width = (RIGHT - LEFT) if count == 1 else (RIGHT - LEFT - GUTTER) / 2
        pages = [columns[i : i + count] for i in range(0, len(columns), count)]
        for number, page_columns in enumerate(pages):
            top = y if number == 0 else TOP
            for index, column in enumerate(page_columns):
                x, cy = LEFT + index * (width + GUTTER), top
                for line in column:
                    step = line.size * (1.75 if line.bold else 1.35)
                    cy -= step
                    pdf.setFont(font, line.size)
                    pdf.drawString(x + line.indent, cy + (line.size * 0.45 if line.bold else 0), line.text)
                    if line.bold:
                        pdf.setLineWidth(0.3)
                        pdf.line(x, cy - 1, x + width, cy - 1)
            if number < len(pages) - 1:
                pdf.setFont(font, 8)
                pdf.drawRightString(
                    RIGHT, BOTTOM - 6, "(continued)" if en else "（裏面・次のページに続きます）"
                )
                pdf.showPage()
        _signature_box(pdf, font, en)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _signature_box(pdf, font: str, en: bool) -> None:
    top = BOTTOM + SIGNATURE_BOX - 4 * mm
    pdf.setLineWidth(0.8)
    pdf.rect(LEFT, BOTTOM, RIGHT - LEFT, top - BOTTOM)
    pdf.setFont(font, 10)
    pdf.drawString(LEFT + 4 * mm, top - 7 * mm, "I have checked the answers above and apply with them." if en
                   else "上記の内容を確認し、この内容で申請します。")  # fmt: skip
    pdf.setFont(font, 9.5)
    pdf.drawString(LEFT + 4 * mm, top - 16 * mm, "Date:" if en else "記入日：　　　　年　　　月　　　日")
    pdf.drawString(LEFT + 4 * mm, top - 26 * mm, "Signature of the applicant:" if en else "申請者の署名：")
    pdf.line(LEFT + 32 * mm, top - 27 * mm, RIGHT - 6 * mm, top - 27 * mm)
    pdf.drawString(LEFT + 4 * mm, top - 36 * mm,
                   "If a proxy applies, the proxy's signature:" if en else "代理人が申請する場合は代理人の署名：")  # fmt: skip
    pdf.line(LEFT + 58 * mm, top - 37 * mm, RIGHT - 6 * mm, top - 37 * mm)
