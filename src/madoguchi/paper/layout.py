"""The geometry of the paper forms (紙の申請書): one source for printing and for reading scans.

Everything here is in millimetres from the **top-left corner** of the page, y downwards. The
printer (``forms_pdf.render_form_pdf``) draws exactly these boxes; the scanning intake and the
OCR benchmark (``bench/ocr/``) cut exactly these boxes out of a registered scan.

Page
    A4 portrait, 210 × 297 mm. Scans are read at **300 dpi** (2480 × 3508 px; ``DPI``,
    ``mm_to_px``); other resolutions are scaled to it by the registration.

Registration marks
    Four solid black squares of ``MARK_SIZE`` (6 mm), centred at ``MARK_CENTRES``:
    (12, 12), (198, 12), (12, 285), (198, 285). Nothing solid is printed within
    ``MARK_CLEAR`` (26 mm) of a page corner (only thin text), so a mark is the only solid blob
    there (found as the pixels whose surrounding 4 mm square is almost all dark). The four
    centres found in a scan give the perspective transform (skew, scale, shift) to the page.

Colours
    Marks, QR codes, labels and pre-filled answers are black. Every box (character cells,
    free-text boxes, tick boxes) is drawn in a **dropout colour**, light red ``BOX_RGB``
    (0.94, 0.55, 0.55; about 67 % grey), so a threshold at 50 % grey removes the boxes and
    leaves only what was written. Ticks are read by ink density (dark pixels inside the box,
    inset by 0.8 mm): ticked above ``TICK_INK`` (8 %).

Identification QR code
    Top right, ``ID_QR`` = 22 × 22 mm at (160, 20), error correction M. Its text is
    ``MDG1:<procedure slug>:<version number>:<page>:<pages>`` and, on a pre-filled form,
    ``:<form id>`` (12 hex characters, the same on every page of one printed copy).

Pre-filled data QR codes
    Only on a pre-filled form: the answers printed on that page, as compact JSON
    ``{"<part key>": "<text>"}`` (the same part keys and texts as the boxes), zlib-compressed and
    base64url-encoded, split over up to ``DATA_QR_MAX`` codes of ``DATA_QR_SIZE`` (28 mm) in
    the zone ``DATA_QR_ZONE`` (y 242–270 mm) at the page foot. Each code's text is
    ``MDGD1:<form id>:<page>:<i>/<n>:<chunk>``. The JSON maps each field key on the page
    (``FieldLayout.key``) to its stored value, exactly as the forms engine stores it.
    Blank forms leave the zone empty.

Content
    Between ``CONTENT_TOP`` (46 mm; 70 mm on page 1, under the instructions) and
    ``CONTENT_BOTTOM`` (238 mm), from ``LEFT`` (18 mm) to ``RIGHT`` (192 mm). Fields flow
    down the page in the definition's order; a field that does not fit starts the next
    page. Each field has a label line (``LABEL_H``, 5 mm) then its boxes.

Box layout per field type (``Part.kind``: ``chars`` one box per character, ``text`` a free
box, ``tick`` tick boxes; ``Part.charset``: ``digits``, ``katakana`` or ``text``)

=====================  =========================================================================
type                   parts (key suffix: kind, charset, cells)
=====================  =========================================================================
postal_code            ``<id>``: chars digits 7 (a hyphen printed between 3rd and 4th)
phone                  ``<id>``: chars digits 11 (10-digit numbers leave the last box empty)
my_number              ``<id>``: chars digits 12
kaigo_insured_number   ``<id>``: chars digits 10
number / money         ``<id>``: chars digits, len(str(max)) boxes (money without max: 9),
                       written from the left
date                   ``<id>.year`` chars digits 4, ``.month`` 2, ``.day`` 2 (西暦)
furigana               ``<id>.family``, ``<id>.given``: chars katakana 12 each
bank_account           ``.bank_code`` digits 4, ``.branch_code`` digits 3, ``.account_type``
                       tick (futsu, toza, chochiku), ``.number`` digits 7, ``.holder`` katakana 24
name                   ``<id>.family``, ``<id>.given``: text, 76 × 10 mm each
text / email           ``<id>``: text, 174 × 10 mm
address                ``<id>.line1``, ``<id>.line2``: text, 174 × 10 mm each (joined)
textarea               ``<id>.line1`` … ``.lineN``: text lines of 174 × 9 mm,
                       N = max_length / 100 between 2 and 6 (joined)
choice / multi_choice  ``<id>``: tick, one ``TICK`` (5 mm) box per choice, labels beside,
                       flowing in rows of 7 mm
yes_no                 ``<id>``: tick, options ``yes`` (はい) and ``no`` (いいえ)
consent                ``<id>``: tick, one option ``yes``
file                   nothing (a printed note: hand the documents in with the form)
=====================  =========================================================================

Character cells are ``CELL_W`` × ``CELL_H`` (6 × 8 mm) with no gap. A repeating page
(children, household members) is printed ``min(max, 3)`` times, its part keys prefixed with
``<page id>.<index>.``. A field shown only on a condition is printed with the condition as a
note; the answers read are pruned by the forms engine as online.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PAGE_W, PAGE_H = 210.0, 297.0
DPI = 300

MARK_SIZE = 6.0
MARK_CENTRES = ((12.0, 12.0), (198.0, 12.0), (12.0, 285.0), (198.0, 285.0))
MARK_CLEAR = 26.0
MARK_SOLID = 4.0  # side of the square that must be almost all dark around a mark pixel
BOX_RGB = (0.94, 0.55, 0.55)
TICK_INK = 0.08
TICK_INSET = 0.8

LEFT, RIGHT = 18.0, 192.0
WIDTH = RIGHT - LEFT
CONTENT_TOP, FIRST_CONTENT_TOP, CONTENT_BOTTOM = 46.0, 70.0, 238.0

CELL_W, CELL_H = 6.0, 8.0
TICK = 5.0
TICK_ROW = 7.0
TEXT_H = 10.0
LINE_H = 9.0
LABEL_H = 5.0
FIELD_GAP = 3.0
HEADING_H = 8.0
REPEAT_PRINTED = 3

ID_QR_PREFIX = "MDG1"
DATA_QR_PREFIX = "MDGD1"
DATA_QR_SIZE = 28.0
DATA_QR_MAX = 5
DATA_QR_CHUNK = 200  # characters of payload per data QR code (version 9-10, ~0.5 mm modules)


def mm_to_px(value: float, dpi: int = DPI) -> float:
    return value * dpi / 25.4


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    def px(self, dpi: int = DPI) -> tuple[int, int, int, int]:
        """(left, top, right, bottom) in pixels of a registered page at ``dpi``."""
        return (round(mm_to_px(self.x, dpi)), round(mm_to_px(self.y, dpi)),
                round(mm_to_px(self.x + self.w, dpi)), round(mm_to_px(self.y + self.h, dpi)))  # fmt: skip


ID_QR = Box(160.0, 20.0, 22.0, 22.0)
DATA_QR_ZONE = Box(LEFT, 241.0, WIDTH, 30.0)


def data_qr_box(index: int) -> Box:
    step = (WIDTH - DATA_QR_SIZE) / max(DATA_QR_MAX - 1, 1)
    return Box(LEFT + index * step, DATA_QR_ZONE.y + 1, DATA_QR_SIZE, DATA_QR_SIZE)


@dataclass(frozen=True)
class Part:
    """One group of boxes that yields one string (or one set of ticked options)."""

    key: str  # e.g. "applicant_name.family", "copies", "children.0.child_name.family"
    kind: str  # "chars" | "text" | "tick"
    charset: str  # "digits" | "katakana" | "text" | "" (ticks)
    cells: tuple[Box, ...]
    options: tuple[str, ...] = ()  # tick: the value of each cell
    option_labels: tuple[str, ...] = ()
    multiple: bool = False  # tick: several may be ticked (multi_choice)
    caption: str = ""  # printed before the boxes (姓, セイ, 年…)

    @property
    def max_length(self) -> int:
        return len(self.cells) if self.kind == "chars" else 0


@dataclass
class FieldLayout:
    field: dict
    page_id: str
    index: int | None  # the item of a repeating page
    label: Box
    parts: list[Part]
    note: str = ""  # condition note

    @property
    def key(self) -> str:
        return self.field["id"] if self.index is None else f"{self.page_id}.{self.index}.{self.field['id']}"


@dataclass
class PageLayout:
    number: int  # 1-based
    fields: list[FieldLayout] = field(default_factory=list)
    headings: list[tuple[float, str]] = field(default_factory=list)  # (y, definition page title)

    def parts(self) -> list[Part]:
        return [p for f in self.fields for p in f.parts]


# --- building ---------------------------------------------------------------------------------

DIGIT_LENGTHS = {"postal_code": 7, "phone": 11, "my_number": 12, "kaigo_insured_number": 10}
BANK_TYPES = (("futsu", "普通"), ("toza", "当座"), ("chochiku", "貯蓄"))


def _label(text: Any) -> str:
    if isinstance(text, dict):
        return text.get("ja") or text.get("en") or ""
    return "" if text is None else str(text)


def _text_width(text: str) -> float:
    """Approximate width at 9 pt (full-width ≈ 3.2 mm, half-width ≈ 1.8 mm); deterministic."""
    return sum(3.2 if ord(ch) > 0x2E7F else 1.8 for ch in text)


def _chars(key, charset, n, x, y, caption="") -> Part:
    return Part(key, "chars", charset, tuple(Box(x + i * CELL_W, y, CELL_W, CELL_H) for i in range(n)),
                caption=caption)  # fmt: skip


def _number_length(f: dict) -> int:
    if "max" in f:
        return max(1, len(str(int(f["max"]))))
    return 9 if f["type"] == "money" else 6


def _ticks(key, options, labels, y, multiple=False, x0=LEFT) -> tuple[Part, float]:
    """Tick boxes flowing in rows; returns the part and the height used."""
    cells, x, row_y = [], x0, y
    for label in labels:
        width = TICK + 2 + _text_width(label) + 6
        if x + width > RIGHT and x > x0:
            x, row_y = x0, row_y + TICK_ROW
        cells.append(Box(x, row_y + 1, TICK, TICK))
        x += width
    part = Part(key, "tick", "", tuple(cells), tuple(options), tuple(labels), multiple)
    return part, row_y + TICK_ROW - y


def field_parts(f: dict, key: str, y: float) -> tuple[list[Part], float]:
    """The parts of one field whose boxes start at ``y``; and the height they take."""
    kind = f["type"]
    if kind in DIGIT_LENGTHS or kind in ("number", "money"):
        n = DIGIT_LENGTHS.get(kind) or _number_length(f)
        return [_chars(key, "digits", n, LEFT, y)], CELL_H
    if kind == "date":
        x = LEFT + 10
        year = _chars(f"{key}.year", "digits", 4, x, y, "西暦")
        month = _chars(f"{key}.month", "digits", 2, x + 4 * CELL_W + 7, y, "年")
        day = _chars(f"{key}.day", "digits", 2, x + 6 * CELL_W + 14, y, "月")
        return [year, month, day], CELL_H
    if kind == "furigana":
        family = _chars(f"{key}.family", "katakana", 12, LEFT + 9, y, "セイ")
        given = _chars(f"{key}.given", "katakana", 12, LEFT + 9 + 12 * CELL_W + 12, y, "メイ")
        return [family, given], CELL_H
    if kind == "bank_account":
        bank = _chars(f"{key}.bank_code", "digits", 4, LEFT + 22, y, "金融機関コード")
        branch = _chars(f"{key}.branch_code", "digits", 3, LEFT + 22 + 4 * CELL_W + 22, y, "支店コード")
        types, _h = _ticks(f"{key}.account_type", [v for v, _ in BANK_TYPES], [lab for _, lab in BANK_TYPES],
                           y + 1, x0=LEFT + 22 + 7 * CELL_W + 30)  # fmt: skip
        y2 = y + CELL_H + 3
        number = _chars(f"{key}.number", "digits", 7, LEFT + 22, y2, "口座番号")
        y3 = y2 + CELL_H + 3
        holder = _chars(f"{key}.holder", "katakana", 24, LEFT + 22, y3, "口座名義（カナ）")
        return [bank, branch, types, number, holder], 3 * CELL_H + 6
    if kind == "name":
        half = (WIDTH - 18) / 2
        family = Part(f"{key}.family", "text", "text", (Box(LEFT + 7, y, half, TEXT_H),), caption="姓")
        given = Part(f"{key}.given", "text", "text", (Box(LEFT + 18 + half, y, half, TEXT_H),), caption="名")
        return [family, given], TEXT_H
    if kind in ("text", "email"):
        return [Part(key, "text", "text", (Box(LEFT, y, WIDTH, TEXT_H),))], TEXT_H
    if kind == "address":
        lines = [Part(f"{key}.line{i + 1}", "text", "text", (Box(LEFT, y + i * TEXT_H, WIDTH, TEXT_H),))
                 for i in range(2)]  # fmt: skip
        return lines, 2 * TEXT_H
    if kind == "textarea":
        n = min(6, max(2, int(f.get("max_length", 2000)) // 100))
        lines = [Part(f"{key}.line{i + 1}", "text", "text", (Box(LEFT, y + i * LINE_H, WIDTH, LINE_H),))
                 for i in range(n)]  # fmt: skip
        return lines, n * LINE_H
    if kind in ("choice", "multi_choice"):
        part, height = _ticks(key, [c["value"] for c in f["choices"]], [_label(c["label"]) for c in f["choices"]],
                              y, multiple=kind == "multi_choice")  # fmt: skip
        return [part], height
    if kind == "yes_no":
        part, height = _ticks(key, ["yes", "no"], ["はい", "いいえ"], y)
        return [part], height
    if kind == "consent":
        part, height = _ticks(key, ["yes"], ["同意します"], y)
        return [part], height
    return [], 0.0  # file: a note only


def _condition_note(f: dict) -> str:
    condition = f.get("show_if")
    if not condition:
        return ""
    return "（該当する場合のみ記入）"


def page_layouts(definition: dict) -> list[PageLayout]:
    """The printed pages of a procedure definition, with every field's boxes."""
    pages: list[PageLayout] = [PageLayout(1)]
    y = FIRST_CONTENT_TOP

    def room(height: float) -> None:
        nonlocal y
        if y + height > CONTENT_BOTTOM:
            pages.append(PageLayout(len(pages) + 1))
            y = CONTENT_TOP

    for page in definition["form"]["pages"]:
        items = (
            [None]
            if not page.get("repeat")
            else list(range(min(page["repeat"].get("max", 3), REPEAT_PRINTED)))
        )
        for index in items:
            title = _label(page.get("title"))
            if index is not None:
                title = f"{title}（{index + 1}）"
            room(HEADING_H + LABEL_H + TEXT_H)
            pages[-1].headings.append((y, title))
            y += HEADING_H
            for f in page["fields"]:
                key = f["id"] if index is None else f"{page['id']}.{index}.{f['id']}"
                _probe, height = field_parts(f, key, 0.0)
                room(LABEL_H + height + FIELD_GAP)
                parts, height = field_parts(f, key, y + LABEL_H)
                label = Box(LEFT, y, WIDTH, LABEL_H)
                pages[-1].fields.append(FieldLayout(f, page["id"], index, label, parts, _condition_note(f)))
                y += LABEL_H + height + FIELD_GAP
    return pages


def part_texts(layout: FieldLayout, value: Any) -> dict[str, str]:
    """What a person would write in each part for a stored value (used to print pre-filled
    forms, to fill test forms, and for the benchmark). Ticks: the ticked option values joined by
    ","."""
    f = layout.field
    kind, key = f["type"], layout.key
    if value in (None, "", [], {}):
        return {}
    if kind in DIGIT_LENGTHS:
        return {key: "".join(ch for ch in str(value) if ch.isdigit())}
    if kind in ("number", "money"):
        return {key: str(int(value))}
    if kind == "date":
        year, month, day = str(value).split("-")
        return {f"{key}.year": year, f"{key}.month": month, f"{key}.day": day}
    if kind in ("furigana", "name"):
        return {f"{key}.family": value.get("family", ""), f"{key}.given": value.get("given", "")}
    if kind == "bank_account":
        return {f"{key}.{part}": str(value.get(part, "")) for part in
                ("bank_code", "branch_code", "account_type", "number", "holder")}  # fmt: skip
    if kind in ("text", "email"):
        return {key: str(value)}
    if kind in ("address", "textarea"):
        lines = layout.parts
        text, out = str(value).replace("\n", ""), {}
        per_line = max(1, -(-len(text) // len(lines)))
        for i, part in enumerate(lines):
            chunk = text[i * per_line : (i + 1) * per_line]
            if chunk:
                out[part.key] = chunk
        return out
    if kind == "choice":
        return {key: str(value)}
    if kind == "multi_choice":
        return {key: ",".join(value)}
    if kind == "yes_no":
        return {key: "yes" if value else "no"}
    if kind == "consent":
        return {key: "yes" if value else ""}
    return {}


def raw_from_parts(layout: FieldLayout, texts: dict[str, str]) -> Any:
    """The raw input for the field type's ``clean`` from the texts read in each part (the
    inverse of ``part_texts``)."""
    f, key = layout.field, layout.key
    kind = f["type"]
    get = lambda suffix="": (texts.get(f"{key}.{suffix}" if suffix else key) or "").strip()  # noqa: E731
    if kind == "date":
        year, month, day = get("year"), get("month"), get("day")
        return f"{year}-{month.zfill(2)}-{day.zfill(2)}" if year or month or day else ""
    if kind in ("furigana", "name"):
        return {"family": get("family"), "given": get("given")}
    if kind == "bank_account":
        return {part: get(part) for part in ("bank_code", "branch_code", "account_type", "number", "holder")}
    if kind in ("address", "textarea"):
        return "".join(texts.get(p.key, "") or "" for p in layout.parts).strip()
    if kind == "multi_choice":
        return [v for v in get().split(",") if v]
    if kind == "consent":
        return get() == "yes"
    return get()
