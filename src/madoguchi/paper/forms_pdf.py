"""Printable A4 paper forms made to be read (AI-OCR): drawn exactly from ``layout.py``."""

from __future__ import annotations

import io
from typing import Any

import segno
from reportlab.lib.colors import Color, black, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from madoguchi.submissions.pdf import japanese_font, wrap

from . import layout as L
from .codes import PageId, data_texts, new_form_id, page_id_text

BOX = Color(*L.BOX_RGB)


def _label(text: Any) -> str:
    return L._label(text)


class _Page:
    def __init__(self, pdf: canvas.Canvas, font: str):
        self.pdf, self.font = pdf, font

    def Y(self, y: float) -> float:
        return (L.PAGE_H - y) * mm

    def text(self, x: float, y: float, text: str, size: float = 9, colour=black) -> None:
        """``y`` is the baseline, in mm from the top."""
        self.pdf.setFillColor(colour)
        self.pdf.setFont(self.font, size)
        self.pdf.drawString(x * mm, self.Y(y), text)

    def rect(self, box: L.Box, *, stroke=BOX, fill=None, width: float = 0.8) -> None:
        if stroke is not None:
            self.pdf.setStrokeColor(stroke)
        self.pdf.setLineWidth(width)
        if fill is not None:
            self.pdf.setFillColor(fill)
        self.pdf.rect(box.x * mm, self.Y(box.y + box.h), box.w * mm, box.h * mm,
                      stroke=1 if stroke is not None else 0, fill=1 if fill is not None else 0)  # fmt: skip

    def qr(self, box: L.Box, text: str) -> None:
        code = segno.make(text, error="m", micro=False, boost_error=False)
        matrix = [list(row) for row in code.matrix]
        n = len(matrix)
        module = box.w / n
        self.pdf.setFillColor(white)
        self.pdf.rect((box.x - 4 * module) * mm, self.Y(box.y + box.h + 4 * module), (box.w + 8 * module) * mm,
                      (box.h + 8 * module) * mm, stroke=0, fill=1)  # fmt: skip
        self.pdf.setFillColor(black)
        for r, row in enumerate(matrix):
            for c, dark in enumerate(row):
                if dark:
                    self.pdf.rect((box.x + c * module) * mm, self.Y(box.y + (r + 1) * module),
                                  module * mm + 0.05, module * mm + 0.05, stroke=0, fill=1)  # fmt: skip


def _draw_part(page: _Page, part: L.Part, written: str | None) -> None:
    first = part.cells[0]
    if part.caption:
        page.text(first.x - L._text_width(part.caption) - 1.5, first.y + first.h * 0.7, part.caption, 8)
    if part.kind == "tick":
        chosen = set((written or "").split(",")) if written else set()
        for cell, value, label in zip(part.cells, part.options, part.option_labels, strict=True):
            page.rect(cell, width=1.0)
            page.text(cell.x + cell.w + 1.5, cell.y + cell.h - 0.9, label, 9)
            if value in chosen:  # a cross, as a person ticks
                page.pdf.setStrokeColor(black)
                page.pdf.setLineWidth(1.6)
                inset = 0.6
                page.pdf.line((cell.x + inset) * mm, page.Y(cell.y + inset), (cell.x + cell.w - inset) * mm,
                              page.Y(cell.y + cell.h - inset))  # fmt: skip
                page.pdf.line((cell.x + inset) * mm, page.Y(cell.y + cell.h - inset),
                              (cell.x + cell.w - inset) * mm, page.Y(cell.y + inset))  # fmt: skip
        return
    if part.kind == "chars":
        for cell in part.cells:
            page.rect(cell)
        for ch, cell in zip(written or "", part.cells, strict=False):
            size = 15
            width = L._text_width(ch) * size / 9
            page.text(cell.x + (cell.w - width) / 2, cell.y + cell.h - 1.8, ch, size)
        return
    box = part.cells[0]
    page.rect(box)
    if written:
        size = 13
        while size > 7 and L._text_width(written) * size / 9 > box.w - 3:
            size -= 0.5
        page.text(box.x + 1.5, box.y + box.h - 2.5, written, size)


def render_form_pdf(definition: dict, version: int, data: dict | None = None, *, form_id: str = "",
                    department: str = "", municipality: str = "", data_codes: bool = True) -> bytes:  # fmt: skip
    """The printable form of a procedure version; with ``data`` (the answers of a draft), the
    answers are written in the boxes and carried exactly in data QR codes on each page
    (``data_codes=False`` leaves the codes out: a form as if filled by hand, for the OCR benchmark)."""
    font = japanese_font()
    layouts = L.page_layouts(definition)
    if data is not None and not form_id:
        form_id = new_form_id()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    name = _label(definition["name"])
    pdf.setTitle(f"{name}（申請書）")
    pdf.setAuthor(municipality or "Madoguchi")
    for page_layout in layouts:
        page = _Page(pdf, font)
        for cx, cy in L.MARK_CENTRES:
            half = L.MARK_SIZE / 2
            page.rect(L.Box(cx - half, cy - half, L.MARK_SIZE, L.MARK_SIZE), stroke=None, fill=black)
        page_id = PageId(
            definition["id"], int(version), page_layout.number, len(layouts), form_id if data else ""
        )
        page.qr(L.ID_QR, page_id_text(page_id))
        title_lines = wrap(name, font, 15, 130 * mm)
        for i, line in enumerate(title_lines[:2]):
            page.text(L.LEFT + 12, 22 + i * 7, line, 15)
        page.text(L.LEFT + 12, 37, " ".join(filter(None, [municipality, department])), 9)
        page.text(
            L.LEFT + 12,
            42,
            f"様式 {definition['id']}　第{version}版　{page_layout.number}/{len(layouts)}ページ",
            8,
        )
        if page_layout.number == 1:
            y = 50
            for line in instructions(definition, prefilled=data is not None):
                for part in wrap(line, font, 8.5, L.WIDTH * mm):
                    page.text(L.LEFT, y, part, 8.5)
                    y += 4.2
        for y, heading in page_layout.headings:
            page.rect(
                L.Box(L.LEFT, y + 0.5, L.WIDTH, L.HEADING_H - 2), stroke=None, fill=Color(0.9, 0.9, 0.9)
            )
            page.text(L.LEFT + 2, y + L.HEADING_H - 3, heading, 10.5)
        values: dict[str, Any] = {}
        for fl in page_layout.fields:
            label = _label(fl.field.get("label"))
            if fl.note:
                label += fl.note
            page.text(L.LEFT, fl.label.y + 4, wrap(label, font, 9, L.WIDTH * mm)[0], 9)
            written: dict[str, str] = {}
            if data is not None:
                value = _value(data, fl)
                if value not in (None, "", [], {}):
                    values[fl.key] = value
                    written = L.part_texts(fl, value)
            if fl.field["type"] == "file":
                page.text(L.LEFT + 4, fl.label.y + 8.5, "書類は、この申請書と一緒に提出してください。", 8)
            for part in fl.parts:
                _draw_part(page, part, written.get(part.key))
        if data is not None and data_codes:
            for i, text in enumerate(data_texts(form_id, page_layout.number, values)):
                page.qr(L.data_qr_box(i), text)
            page.text(L.LEFT, L.DATA_QR_ZONE.y + L.DATA_QR_ZONE.h + 3,
                      "記入済みの内容はQRコードにも記録しています。内容を直した場合は、窓口でお申し出ください。", 7)  # fmt: skip
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _value(data: dict, fl: L.FieldLayout) -> Any:
    if fl.index is None:
        return data.get(fl.field["id"])
    items = data.get(fl.page_id) or []
    if fl.index < len(items) and isinstance(items[fl.index], dict):
        return items[fl.index].get(fl.field["id"])
    return None


def instructions(definition: dict, *, prefilled: bool) -> list[str]:
    lines = [
        "黒のボールペンで、枠の中にはっきり書いてください。数字とカタカナは1マスに1文字ずつ書きます。",
        "選ぶ項目は、□の中に×かレ点を書いてください。日付は西暦で書きます（例：2025年4月1日）。",
        "四隅の■とQRコードの上には書かないでください。折り曲げず、ホチキスで留めないでください。",
    ]
    attachments = [_label(a["label"]) for a in definition.get("attachments", [])]
    if attachments:
        lines.append("添付する書類（該当するもの）：" + "、".join(attachments))
    if prefilled:
        lines.append("この申請書は、入力された内容を印刷したものです。内容を確かめて、提出してください。")
    return lines
