"""Helpers for the paper channel's tests: a test-only OCR engine, and "scanning" a printed form
(rendering its PDF to images and degrading them a little, as a scanner does)."""

from __future__ import annotations

import io

import numpy as np
import pypdfium2 as pdfium
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from madoguchi.paper.ocr.base import Reading


class BlankEngine:
    """A test-only OCR engine that reads nothing (the real engines are slow to load and tested by
    bench/ocr): every handwritten box then goes to staff, and pre-filled forms are read exactly
    from their data QR codes."""

    name = "test-blank"

    def recognise(self, image, spec) -> Reading:
        return Reading(text="", score=0.0, alternatives=[], engine=self.name)


ENGINE = "tests.support.paper.BlankEngine"


def scan(
    pdf: bytes, *, dpi: int = 200, rotate: float = 1.5, noise: float = 10.0, seed: int = 1
) -> list[Image.Image]:
    """The pages of a PDF as a scanner would give them: greyscale, turned a little, shifted, with noise."""
    rng = np.random.default_rng(seed)
    document = pdfium.PdfDocument(pdf)
    pages = []
    try:
        for page in document:
            image = page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
            page.close()
            if rotate:
                image = image.rotate(rotate, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
            if noise:
                pixels = np.asarray(image, dtype=np.int16) + rng.normal(0, noise, (image.height, image.width))
                image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
            pages.append(image)
    finally:
        document.close()
    return pages


def upload(images: list[Image.Image], name: str = "scan.tif") -> SimpleUploadedFile:
    out = io.BytesIO()
    kind = {"tif": "TIFF", "pdf": "PDF", "png": "PNG", "jpg": "JPEG"}[name.rsplit(".", 1)[-1]]
    if kind in ("TIFF", "PDF"):
        images[0].save(out, kind, save_all=True, append_images=images[1:], resolution=150.0,
                       **({"compression": "tiff_deflate"} if kind == "TIFF" else {}))  # fmt: skip
    else:
        images[0].save(out, kind)
    return SimpleUploadedFile(name, out.getvalue(), content_type="application/octet-stream")
