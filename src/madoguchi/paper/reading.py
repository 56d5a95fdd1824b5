"""Reading one scanned page: find its QR codes, straighten it with the registration marks, cut it
into the boxes of ``layout.py``, read ticks by ink density and text with the OCR engines.

Pure functions on images (numpy and Pillow); nothing here touches the database.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from . import layout as L
from .codes import PageId, parse_data_texts, parse_page_id

logger = logging.getLogger(__name__)

MAX_PAGE_PIXELS = 40_000_000


# --- loading ---------------------------------------------------------------------------------


def page_count(content: bytes, content_type: str) -> int:
    if content_type == "application/pdf":
        import pypdfium2 as pdfium

        document = pdfium.PdfDocument(content)
        try:
            return len(document)
        finally:
            document.close()
    with Image.open(io.BytesIO(content)) as image:
        return getattr(image, "n_frames", 1)


def load_page(content: bytes, content_type: str, index: int, dpi: int = L.DPI) -> Image.Image:
    """One page of a stored scan as a greyscale image (PDF pages rendered at ``dpi``)."""
    if content_type == "application/pdf":
        import pypdfium2 as pdfium

        document = pdfium.PdfDocument(content)
        try:
            page = document[index]
            width, height = page.get_size()
            scale = dpi / 72
            if width * height * scale * scale > MAX_PAGE_PIXELS:
                scale = (MAX_PAGE_PIXELS / (width * height)) ** 0.5
            image = page.render(scale=scale, grayscale=True).to_pil().convert("L")
            page.close()
            return image
        finally:
            document.close()
    image = Image.open(io.BytesIO(content))
    image.seek(index)
    image = ImageOps.exif_transpose(image) if index == 0 else image
    return image.convert("L")


# --- QR codes --------------------------------------------------------------------------------


@dataclass
class Codes:
    page_id: PageId | None
    data: dict | None  # field key -> stored value, from the pre-filled data codes
    id_position: tuple[float, float] | None  # the ID code's centre in the image, pixels


def read_codes(image: Image.Image) -> Codes:
    import zxingcpp

    results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    page_id, position, data_texts = None, None, []
    for result in results:
        parsed = parse_page_id(result.text)
        if parsed is not None and page_id is None:
            page_id = parsed
            p = result.position
            position = (
                (p.top_left.x + p.top_right.x + p.bottom_left.x + p.bottom_right.x) / 4,
                (p.top_left.y + p.top_right.y + p.bottom_left.y + p.bottom_right.y) / 4,
            )
        elif result.text.startswith(L.DATA_QR_PREFIX + ":"):
            data_texts.append(result.text)
    data = None
    if page_id is not None and page_id.form_id and data_texts:
        parsed_data = parse_data_texts(data_texts)
        if parsed_data and parsed_data[0] == page_id.form_id and parsed_data[1] == page_id.page:
            data = parsed_data[2]
    return Codes(page_id, data, position)


# --- registration ----------------------------------------------------------------------------


def _box_mean(mask: np.ndarray, k: int) -> np.ndarray:
    """Mean of ``mask`` over k × k squares (valid positions only), by an integral image."""
    integral = np.pad(mask.astype(np.int32).cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    total = integral[k:, k:] - integral[:-k, k:] - integral[k:, :-k] + integral[:-k, :-k]
    return total / (k * k)


def find_marks(image: Image.Image) -> list[tuple[float, float]] | None:
    """The centres (pixels) of the four registration marks: top-left, top-right, bottom-left,
    bottom-right; None when one is missing."""
    width = image.width
    dpi = width / (L.PAGE_W / 25.4)  # the scan's resolution, from its width
    # Work at about 100 dpi: fast, and a 6 mm mark is still 24 px.
    factor = max(1, int(dpi // 100))
    small = image.reduce(factor) if factor > 1 else image
    pixels = np.asarray(small, dtype=np.uint8)
    sdpi = dpi / factor
    window = int(L.MARK_CLEAR * sdpi / 25.4)
    k = max(3, int(L.MARK_SOLID * sdpi / 25.4))
    h, w = pixels.shape
    corners = [(0, 0), (w - window, 0), (0, h - window), (w - window, h - window)]
    centres = []
    for x0, y0 in corners:
        x0, y0 = max(0, x0), max(0, y0)
        tile = pixels[y0 : y0 + window, x0 : x0 + window] < 128
        if tile.shape[0] <= k or tile.shape[1] <= k:
            return None
        solid = _box_mean(tile, k) > 0.9
        ys, xs = np.nonzero(solid)
        if len(xs) == 0:
            return None
        # keep the solid pixels near the strongest cluster (the mark), not a stray blob
        cy, cx = np.median(ys), np.median(xs)
        near = (abs(ys - cy) < 2 * k) & (abs(xs - cx) < 2 * k)
        cy, cx = ys[near].mean() + k / 2, xs[near].mean() + k / 2
        centres.append(((x0 + cx) * factor, (y0 + cy) * factor))
    return centres


def _perspective_coefficients(
    source: list[tuple[float, float]], target: list[tuple[float, float]]
) -> list[float]:
    """Coefficients for PIL's PERSPECTIVE transform mapping output (target) points to input (source)."""
    rows, rhs = [], []
    for (sx, sy), (tx, ty) in zip(source, target, strict=True):
        rows.append([tx, ty, 1, 0, 0, 0, -sx * tx, -sx * ty])
        rows.append([0, 0, 0, tx, ty, 1, -sy * tx, -sy * ty])
        rhs.extend([sx, sy])
    solution, *_ = np.linalg.lstsq(np.array(rows, dtype=float), np.array(rhs, dtype=float), rcond=None)
    return solution.tolist()


def register(image: Image.Image, dpi: int = L.DPI) -> Image.Image | None:
    """The page straightened onto the layout at ``dpi`` (deskew, scale, shift), or None when the
    marks are not all found."""
    marks = find_marks(image)
    if marks is None:
        return None
    target = [(L.mm_to_px(x, dpi), L.mm_to_px(y, dpi)) for x, y in L.MARK_CENTRES]
    size = (round(L.mm_to_px(L.PAGE_W, dpi)), round(L.mm_to_px(L.PAGE_H, dpi)))
    coefficients = _perspective_coefficients(marks, target)
    return image.transform(
        size, Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BILINEAR, fillcolor=255
    )


# --- cutting and reading ---------------------------------------------------------------------


def page_dpi(page: Image.Image) -> int:
    """The resolution of a registered page, from its width."""
    return round(page.width / (L.PAGE_W / 25.4))


def crop(page: Image.Image, box: L.Box, margin: float = 0.0) -> Image.Image:
    grown = L.Box(box.x - margin, box.y - margin, box.w + 2 * margin, box.h + 2 * margin)
    return page.crop(grown.px(page_dpi(page)))


def part_crop(page: Image.Image, part: L.Part, margin: float = 1.0) -> Image.Image:
    xs = [c.x for c in part.cells] + [c.x + c.w for c in part.cells]
    ys = [c.y for c in part.cells] + [c.y + c.h for c in part.cells]
    return crop(page, L.Box(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)), margin)


def ink(page: Image.Image, box: L.Box) -> float:
    """The share of dark pixels inside a box (inset so that its dropout-colour border is left out)."""
    inner = L.Box(
        box.x + L.TICK_INSET, box.y + L.TICK_INSET, box.w - 2 * L.TICK_INSET, box.h - 2 * L.TICK_INSET
    )
    pixels = np.asarray(page.crop(inner.px(page_dpi(page))), dtype=np.uint8)
    return float((pixels < 128).mean()) if pixels.size else 0.0


def read_ticks(page: Image.Image, part: L.Part) -> dict:
    densities = [ink(page, cell) for cell in part.cells]
    ticked = [v for v, d in zip(part.options, densities, strict=True) if d > L.TICK_INK]
    if not part.multiple and len(ticked) > 1:  # two ticked where one is allowed: keep the darker, flag it
        best = max(range(len(densities)), key=densities.__getitem__)
        return {"text": part.options[best], "score": 0.3, "engine": "tick", "alternatives": ticked}
    margin = min((abs(d - L.TICK_INK) for d in densities), default=1.0)
    return {
        "text": ",".join(ticked),
        "score": min(1.0, 0.5 + margin * 5),
        "engine": "tick",
        "alternatives": [],
    }


def ocr_engines() -> list:
    """The OCR engines configured (``madoguchi.paper.ocr.registry``); none when it is not there."""
    try:
        from madoguchi.paper.ocr import registry

        return list(registry.engines())
    except Exception:  # no engine can run here: every text box goes to staff
        logger.warning("OCR engines unavailable", exc_info=True)
        return []


def part_spec(layout: L.FieldLayout, part: L.Part):
    from dataclasses import replace

    from madoguchi.paper.ocr.base import DIGITS, KATAKANA, FieldSpec

    suffix = part.key[len(layout.key) + 1 :] if part.key != layout.key else None
    spec_part = (
        suffix if suffix and not suffix.startswith("line") and layout.field["type"] != "date" else None
    )
    spec = FieldSpec.for_field(layout.field, spec_part)
    if part.kind == "chars":
        chars = DIGITS if part.charset == "digits" else KATAKANA + " "
        spec = replace(spec, allowed_chars=chars, max_length=len(part.cells), boxed=True)
    return spec


def is_blank(page: Image.Image, part: L.Part) -> bool:
    """Nothing written in any box of the part (the boxes' dropout colour does not count)."""
    return all(ink(page, cell) < 0.004 for cell in part.cells)


def read_text(page: Image.Image, layout: L.FieldLayout, part: L.Part, engines: list) -> dict:
    if is_blank(page, part):
        return {"text": "", "score": 1.0, "engine": "blank", "alternatives": []}
    if not engines:
        return {"text": "", "score": 0.0, "engine": "none", "alternatives": []}
    image = part_crop(page, part, margin=0.5)
    spec = part_spec(layout, part)
    readings = []
    for engine in engines:
        try:
            reading = engine.recognise(image, spec)
        except Exception:
            logger.warning("OCR engine %s failed on a field", getattr(engine, "name", "?"), exc_info=True)
            continue
        readings.append((getattr(engine, "name", "ocr"), reading))
    if not readings:
        return {"text": "", "score": 0.0, "engine": "none", "alternatives": []}
    # The first engine configured (the default) gives the value: engines' scores are not comparable
    # (Tesseract can be confident and wrong). The others only say where they disagree.
    name, best = readings[0]
    others = [r.text for n, r in readings if r.text != best.text]
    return {"text": best.text, "score": float(best.score), "engine": name,
            "alternatives": list(dict.fromkeys([*others, *best.alternatives]))[:5],
            "disagree": bool(others)}  # fmt: skip


@dataclass
class PageReading:
    page_id: PageId | None
    registered: Image.Image | None
    image: Image.Image  # what to keep: the registered page, else the page as scanned
    readings: dict[str, Any] = field(default_factory=dict)


def read_page(image: Image.Image, definition_for, dpi: int = L.DPI) -> PageReading:
    """Everything read from one page. ``definition_for(page_id)`` gives the procedure definition
    (or None when the version is unknown)."""
    codes = read_codes(image)
    if codes.page_id is None:
        return PageReading(None, None, image)
    definition = definition_for(codes.page_id)
    if definition is None:
        return PageReading(None, None, image)
    layouts = L.page_layouts(definition)
    if codes.page_id.pages != len(layouts) or codes.page_id.page > len(layouts):
        return PageReading(None, None, image)
    registered = register(image, dpi)
    result = PageReading(codes.page_id, registered, registered if registered is not None else image)
    page_layout = layouts[codes.page_id.page - 1]
    engines = ocr_engines() if registered is not None else []
    for fl in page_layout.fields:
        from_qr = L.part_texts(fl, codes.data[fl.key]) if codes.data and fl.key in codes.data else None
        for part in fl.parts:
            if registered is None:
                reading = {"text": "", "score": 0.0, "engine": "none", "alternatives": []}
            elif part.kind == "tick":
                reading = read_ticks(registered, part)
            else:
                reading = read_text(registered, fl, part, engines)
            if from_qr is not None or codes.data is not None:
                qr_text = (from_qr or {}).get(part.key, "")
                reading = {**reading, "ocr": reading["text"], "text": qr_text, "qr": True,
                           "disagree": bool(reading["engine"] != "none" and reading["text"] != qr_text),
                           "score": 1.0}  # fmt: skip
            result.readings[part.key] = reading
        if codes.data is not None and fl.key in codes.data:
            result.readings[f"={fl.key}"] = {"value": codes.data[fl.key]}  # the exact stored value
    return result
