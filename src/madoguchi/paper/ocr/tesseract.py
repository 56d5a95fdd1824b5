"""The second engine: Tesseract 5 with Debian's Japanese data (tesseract-ocr-jpn), through tesserocr.

tesserocr's wheel carries its own libtesseract, so nothing is compiled; the trained data
comes from Debian's package (scripts/ensure-ocr.sh installs it) and is found in
``MADOGUCHI_TESSDATA``, ``TESSDATA_PREFIX`` or Debian's directories. Each field is read as
one line (page segmentation mode 7) with a character whitelist from the field's spec. When
tesserocr is missing, the ``tesseract`` command is called instead (slower: one process per field).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from pathlib import Path

from PIL import Image

from .base import EngineUnavailable, FieldSpec, Reading
from .normalise import normalise
from .preprocess import prepare

_TESSDATA_DIRS = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
)


def tessdata_dir() -> str | None:
    for candidate in (
        os.environ.get("MADOGUCHI_TESSDATA"),
        os.environ.get("TESSDATA_PREFIX"),
        *_TESSDATA_DIRS,
    ):
        if candidate and (Path(candidate) / "jpn.traineddata").exists():
            return candidate
    return None


def whitelist(spec: FieldSpec) -> str:
    if spec.allowed_chars is None:
        return ""
    chars = spec.allowed_chars
    if spec.is_katakana:
        # Hiragana too: people write furigana in hiragana, and normalise() makes it katakana.
        chars = chars.replace(" ", "") + "".join(chr(c) for c in range(0x3041, 0x3097))
    return chars


class TesseractEngine:
    name = "tesseract"

    def __init__(self, *, lang: str = "jpn", height: int = 48):
        self.lang = lang
        self.height = height
        self._lock = threading.Lock()
        self._api = None
        self._tessdata = None

    def _load(self):
        if self._api is None and self._tessdata is None:
            data = tessdata_dir()
            if data is None:
                raise EngineUnavailable("Tesseract's jpn.traineddata not found (install tesseract-ocr-jpn)")
            self._tessdata = data
            try:
                import tesserocr
            except ImportError:
                if not shutil.which("tesseract"):
                    raise EngineUnavailable(
                        "neither tesserocr nor the tesseract command is installed"
                    ) from None
                return
            self._api = tesserocr.PyTessBaseAPI(path=data, lang=self.lang, psm=tesserocr.PSM.SINGLE_LINE)

    def recognise(self, image: Image.Image, spec: FieldSpec) -> Reading:
        grey = prepare(image, boxed=spec.boxed, target_height=self.height, squeeze=True)
        picture = Image.fromarray(grey)
        chars = whitelist(spec)
        with self._lock:
            self._load()
            if self._api is not None:
                api = self._api
                api.SetVariable("tessedit_char_whitelist", chars)
                # Japanese text has no spaces between words; keep them only where the field may have them.
                api.SetVariable("preserve_interword_spaces", "1")
                api.SetImage(picture)
                raw = api.GetUTF8Text()
                score = max(0.0, api.MeanTextConf() / 100.0)
            else:
                raw, score = self._cli(picture, chars)
        text = normalise(raw.strip(), spec)
        return Reading(text=text, score=round(score, 4), alternatives=[], engine=self.name)

    def _cli(self, picture: Image.Image, chars: str) -> tuple[str, float]:
        import tempfile

        with tempfile.NamedTemporaryFile(suffix=".png") as handle:
            picture.save(handle.name)
            command = [
                "tesseract",
                handle.name,
                "stdout",
                "-l",
                self.lang,
                "--psm",
                "7",
                "--tessdata-dir",
                self._tessdata,
            ]
            if chars:
                command += ["-c", f"tessedit_char_whitelist={chars}"]
            result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)  # noqa: S603
        return result.stdout, 0.5
