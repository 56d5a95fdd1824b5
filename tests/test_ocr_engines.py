"""OCR engines (docs/ocr.md): the interface, constraints, normalisation, the registry, review order,
and a small slice of the benchmark (bench/ocr/): rendered, scan-degraded fields read by each engine."""

from __future__ import annotations

import socket

import pytest
from bench.ocr import synth
from PIL import Image, ImageDraw, ImageFont

from madoguchi.paper import ocr
from madoguchi.paper.ocr import FieldSpec, Reading, registry, review_priority
from madoguchi.paper.ocr.base import DIGITS, KATAKANA
from madoguchi.paper.ocr.normalise import normalise

FONT = synth.font_path("IPAexGothic")
needs_font = pytest.mark.skipif(FONT is None, reason="fonts-ipaexfont-gothic is not installed")


@pytest.fixture(scope="module")
def degraded_fields():
    """20 filled fields across the field types and fonts, degraded like a scan (fixed seed)."""
    try:
        return synth.samples(20, seed=20)
    except RuntimeError as exc:  # no Japanese font (scripts/ensure-ocr.sh, ensure-fonts.sh)
        pytest.skip(str(exc))


def _engine(name):
    if not registry.available(name):
        pytest.skip(f"OCR engine {name} is not installed here (scripts/ensure-ocr.sh)")
    return registry.get(name)


def _text_image(text: str, size: int = 56) -> Image.Image:
    font = ImageFont.truetype(FONT, size)
    img = Image.new("RGB", (int(size * 1.1 * len(text)) + 60, size + 40), "white")
    ImageDraw.Draw(img).text((30, 20), text, font=font, fill="black")
    return img


# -- specs and normalisation --------------------------------------------------


def test_every_ocr_field_in_the_procedures_has_a_spec():
    fields = synth.procedure_fields()
    assert fields
    for field in fields:
        parts = ("family", "given") if field["type"] in ("name", "furigana") else (None,)
        for part in parts:
            spec = FieldSpec.for_field(field, part)
            assert spec.max_length
            if field["type"] in ("postal_code", "my_number", "kaigo_insured_number"):
                assert spec.allowed_chars == DIGITS and spec.boxed
    assert FieldSpec.for_type("postal_code").max_length == 7
    assert FieldSpec.for_type("my_number").max_length == 12
    assert FieldSpec.for_field({"type": "furigana"}, "family").is_katakana
    assert FieldSpec.for_field({"type": "bank_account"}, "number").is_digits


def test_normalisation_per_field_type():
    name, kana = FieldSpec.for_type("name"), FieldSpec.for_type("furigana")
    digits, address = FieldSpec.for_type("my_number"), FieldSpec.for_type("address")
    # Chinese forms PP-OCR likes become Japanese; traditional forms real names use stay.
    assert normalise("石卷市榖町", address) == "石巻市穀町"
    assert normalise("齋藤", name) == "齋藤"
    assert normalise("髙橋", name) == "髙橋"
    # Katakana fields: hiragana, half-width kana and kanji look-alikes become katakana.
    assert normalise("さとう", kana) == "サトウ"
    assert normalise("ｻﾄｳ", kana) == "サトウ"
    assert normalise("ユ一キ", kana) == "ユーキ"
    assert normalise("力卜ウ", kana) == "カトウ"
    # Digit fields: look-alike letters become digits, anything else goes, the length is cut.
    assert normalise("I2O4-5678 9O12 34", digits) == "120456789012"
    assert normalise("１２３", FieldSpec.for_type("postal_code")) == "123"
    assert normalise("石巻市中央1ー2ー3", address) == "石巻市中央1-2-3"


# -- the registry and review order ----------------------------------------------


class FakeEngine:
    name = "fake"

    def recognise(self, image, spec):
        return Reading(text="1234567", score=0.99, engine=self.name)


def test_registry_follows_the_setting(settings):
    ocr.register(FakeEngine())
    try:
        settings.MADOGUCHI_OCR_ENGINES = "fake,no-such-engine"
        assert [e.name for e in ocr.engines()] == ["fake"]
        assert ocr.default().name == "fake"
        assert isinstance(ocr.default(), ocr.Engine)
        readings = ocr.recognise_all(Image.new("RGB", (10, 10), "white"), FieldSpec.for_type("postal_code"))
        assert readings["fake"].text == "1234567"
        # An engine class given by its dotted path is imported and registered.
        settings.MADOGUCHI_OCR_ENGINES = "tests.test_ocr_engines.FakeEngine"
        assert ocr.default().name == "fake"
        settings.MADOGUCHI_OCR_ENGINES = "no-such-engine"
        with pytest.raises(ocr.EngineUnavailable):
            ocr.default()
    finally:
        ocr.unregister("fake")
        ocr.unregister("tests.test_ocr_engines.FakeEngine")


def test_review_priority_puts_invalid_disagreeing_and_names_first():
    digits, name = FieldSpec.for_type("postal_code"), FieldSpec.for_type("name")
    sure = Reading("9868501", 0.99)
    agree = review_priority({"rapidocr": sure, "tesseract": Reading("9868501", 0.9)}, digits, valid=True)
    disagree = review_priority({"rapidocr": sure, "tesseract": Reading("9868507", 0.9)}, digits, valid=True)
    invalid = review_priority({"rapidocr": sure, "tesseract": Reading("9868501", 0.9)}, digits, valid=False)
    a_name = review_priority(
        {"rapidocr": Reading("高橋", 0.99), "tesseract": Reading("高橋", 0.9)}, name, True
    )
    unsure = review_priority({"rapidocr": Reading("9868501", 0.6)}, digits, valid=True)
    assert agree == 0
    assert invalid > disagree > a_name > unsure > agree


# -- the engines on rendered, degraded fields -------------------------------------


def _check_constraints(readings, fields):
    for reading, sample in zip(readings, fields, strict=True):
        if sample.spec.is_digits:
            assert set(reading.text) <= set(sample.spec.allowed_chars), (sample.type, reading.text)
        if sample.spec.is_katakana:
            assert set(reading.text) <= set(KATAKANA + " "), (sample.type, reading.text)
        if sample.spec.max_length:
            assert len(reading.text) <= sample.spec.max_length


@needs_font
@pytest.mark.parametrize(("engine_name", "floor"), [("rapidocr", 0.85), ("tesseract", 0.2)])
def test_engine_reads_degraded_fields(engine_name, floor, degraded_fields):
    engine = _engine(engine_name)
    readings = [engine.recognise(s.image, s.spec) for s in degraded_fields]
    _check_constraints(readings, degraded_fields)
    exact = sum(r.text == synth.expected(s) for r, s in zip(readings, degraded_fields, strict=True))
    assert exact / len(degraded_fields) >= floor, [
        (s.type, synth.expected(s), r.text) for r, s in zip(readings, degraded_fields, strict=True)
    ]
    assert all(0.0 <= r.score <= 1.0 and r.engine == engine_name for r in readings)


@needs_font
@pytest.mark.parametrize("engine_name", ["rapidocr", "tesseract"])
def test_constraints_hold_on_text_that_breaks_them(engine_name):
    engine = _engine(engine_name)
    # Letters in a digits-only field: never letters out.
    for spec in (FieldSpec.for_type("postal_code"), FieldSpec.for_type("phone"), FieldSpec.for_type("money")):
        reading = engine.recognise(_text_image("ABCXYZ"), spec)
        assert set(reading.text) <= set(spec.allowed_chars)
    # Hiragana and kanji in a katakana field: katakana out.
    kana = FieldSpec.for_field({"type": "furigana"}, "family")
    reading = engine.recognise(_text_image("さとう"), kana)
    assert reading.text and set(reading.text) <= set(KATAKANA + " ")
    reading = engine.recognise(_text_image("佐藤"), kana)
    assert set(reading.text) <= set(KATAKANA + " ")


@needs_font
def test_rapidocr_uses_the_per_character_probabilities_for_alternatives():
    engine = _engine("rapidocr")
    reading = engine.recognise(_text_image("イシノマキ"), FieldSpec.for_type("furigana"))
    assert reading.text == "イシノマキ"
    assert reading.score > 0.8
    assert all(isinstance(a, str) and a != reading.text for a in reading.alternatives)


def test_rapidocr_runs_offline(monkeypatch):
    """The PP-OCR models come in the wheel: loading and reading open no connection."""
    from madoguchi.paper.ocr.rapid import RapidOCREngine

    def refuse(*args, **kwargs):
        raise OSError("no network in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    engine = RapidOCREngine()
    reading = engine.recognise(Image.new("RGB", (200, 60), "white"), FieldSpec.for_type("postal_code"))
    assert reading.text == ""
    assert len(engine.characters) > 10000  # the multilingual dictionary: kanji and both kana
    assert "ア" in engine.characters and "あ" in engine.characters
