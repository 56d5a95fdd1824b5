"""Whole filled forms for the OCR benchmark: the printable form of a procedure (paper app's
``render_form_pdf``, geometry from ``layout.py``), filled in by "hand" (handwriting-like fonts
written into its boxes, ticks as crosses), scanned (``synth.degrade`` on the page), then read
back as the intake reads it: QR code, registration on the corner marks, crops per part."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from . import synth


def _paper():
    from madoguchi.paper import layout as L
    from madoguchi.paper import reading
    from madoguchi.paper.forms_pdf import render_form_pdf

    return L, reading, render_form_pdf


def value_for_field(f: dict, rng: random.Random) -> Any:
    """An answer in the stored form (what ``clean`` returns) for a field of the definition."""
    kind = f["type"]
    if kind in ("name", "furigana"):
        family, given = rng.choice(synth.FAMILY), rng.choice(synth.GIVEN)
        i = 0 if kind == "name" else 1
        return {"family": family[i], "given": given[i]}
    if kind == "date":
        return f"{rng.randint(1935, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    if kind == "postal_code":
        code = rng.choice(synth.POSTAL_CODES)
        return f"{code[:3]}-{code[3:]}"
    if kind == "phone":
        return synth.value_for("phone", None, rng)
    if kind in ("my_number", "kaigo_insured_number", "address"):
        return synth.value_for(kind, None, rng)
    if kind in ("money", "number"):
        top = int(f.get("max", 999999 if kind == "money" else 99))
        return rng.randint(int(f.get("min", 0)), max(int(f.get("min", 0)), min(top, 9_999_999)))
    if kind == "bank_account":
        holder = rng.choice(synth.FAMILY)[1] + " " + rng.choice(synth.GIVEN)[1]
        return {"bank_code": f"{rng.randint(0, 9999):04d}", "branch_code": f"{rng.randint(0, 999):03d}",
                "account_type": rng.choice(["futsu", "toza"]), "number": f"{rng.randint(0, 9999999):07d}",
                "holder": holder}  # fmt: skip
    if kind == "choice":
        return rng.choice(f["choices"])["value"]
    if kind == "multi_choice":
        values = [c["value"] for c in f["choices"]]
        return rng.sample(values, rng.randint(1, min(2, len(values))))
    if kind == "yes_no":
        return rng.random() < 0.5
    if kind == "consent":
        return True
    return None  # text, email, textarea, file: left blank here (free text is covered by address and names)


@dataclass
class FilledPage:
    procedure: str
    number: int
    image: Image.Image  # as scanned
    truth: dict[str, str]  # part key -> what was written (ticks: chosen option values joined by ",")
    layout: Any
    font: str
    handwriting: bool
    meta: dict = field(default_factory=dict)


def _write_part(draw_img: Image.Image, part, text: str, font_file: str, hand: bool, rng, L) -> None:
    px = L.mm_to_px
    ink = synth._pen(rng)
    jitter = 1.0 if hand else 0.0
    if part.kind == "tick":
        chosen = set(text.split(",")) if text else set()
        draw = ImageDraw.Draw(draw_img)
        for cell, value in zip(part.cells, part.options, strict=True):
            if value not in chosen:
                continue
            x0, y0, x1, y1 = (px(v) for v in (cell.x, cell.y, cell.x + cell.w, cell.y + cell.h))
            j = lambda: rng.uniform(-5, 5)  # noqa: E731
            if rng.random() < 0.5:  # a cross
                draw.line([x0 + 10 + j(), y0 + 10 + j(), x1 - 10 + j(), y1 - 10 + j()], fill=ink, width=6)
                draw.line([x0 + 10 + j(), y1 - 10 + j(), x1 - 10 + j(), y0 + 10 + j()], fill=ink, width=6)
            else:  # a check mark
                mid = (x0 + x1) / 2
                draw.line([x0 + 12 + j(), (y0 + y1) / 2 + j(), mid + j(), y1 - 10 + j(), x1 + 4 + j(), y0 - 4 + j()],
                          fill=ink, width=6, joint="curve")  # fmt: skip
        return
    if part.kind == "chars":
        cell = part.cells[0]
        font = ImageFont.truetype(font_file, int(px(cell.w) * rng.uniform(0.62, 0.78)))
        for ch, cell in zip(text, part.cells, strict=False):
            cx, cy = px(cell.x + cell.w / 2), px(cell.y + cell.h / 2)
            synth._draw_char(draw_img, ch, font, cx, cy, rng, jitter, ink)
        return
    box = part.cells[0]
    size = int(px(box.h) * rng.uniform(0.5, 0.62))
    step = size * rng.uniform(1.0, 1.1)
    while len(text) * step > px(box.w) - size and size > 20:
        size -= 2
        step = size * 1.02
    font = ImageFont.truetype(font_file, size)
    x = px(box.x) + size * rng.uniform(0.2, 0.6)
    for ch in text:
        adv = size * 0.62 if ord(ch) < 128 else step
        synth._draw_char(draw_img, ch, font, x + adv / 2, px(box.y + box.h / 2), rng, jitter, ink)
        x += adv


def filled_pages(definition: dict, *, rng: random.Random, font_key: str, font_file: str, hand: bool,
                 degraded: bool = True) -> list[FilledPage]:  # fmt: skip
    import pypdfium2 as pdfium

    L, _reading, render_form_pdf = _paper()
    layouts = L.page_layouts(definition)
    values: dict[str, Any] = {}
    for page in layouts:
        for fl in page.fields:
            value = value_for_field(fl.field, rng)
            if value is not None:
                values[fl.key] = value
    pdf = pdfium.PdfDocument(render_form_pdf(definition, 1, None))
    out = []
    for page_layout, pdf_page in zip(layouts, pdf, strict=True):
        image = pdf_page.render(scale=L.DPI / 72).to_pil().convert("RGB")
        truth: dict[str, str] = {}
        for fl in page_layout.fields:
            if fl.key not in values:
                continue
            texts = L.part_texts(fl, values[fl.key])
            for part in fl.parts:
                text = texts.get(part.key, "")
                if text:
                    _write_part(image, part, text, font_file, hand, rng, L)
                truth[part.key] = text
        scanned = synth.degrade(image, rng, page=True) if degraded else image
        out.append(
            FilledPage(definition["id"], page_layout.number, scanned, truth, page_layout, font_key, hand)
        )
    return out
