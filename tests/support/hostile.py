"""A corpus of hostile uploads, built in memory: each case names what must happen to it."""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass

from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject


@dataclass(frozen=True)
class Case:
    id: str
    name: str
    content: bytes
    outcome: str  # "refused:<code>" or "neutralised"
    declared_size: int | None = None


def png(width=40, height=30, color=(200, 30, 30), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="PNG", **save)
    return out.getvalue()


def jpeg(width=40, height=30, mode="RGB", exif: bytes | None = None) -> bytes:
    out = io.BytesIO()
    image = Image.new(
        mode, (width, height), 100 if mode == "L" else (10, 120, 200) if mode == "RGB" else (1, 2, 3, 4)
    )
    kwargs = {"exif": exif} if exif else {}
    image.save(out, format="JPEG", **kwargs)
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    gps = {1: "N", 2: (38.0, 26.0, 3.0), 3: "E", 4: (141.0, 18.0, 9.0)}
    exif[0x8825] = gps
    return jpeg(exif=exif.tobytes())


def pdf(pages=1, *, extra=None, page_extra=None) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        page = writer.add_blank_page(width=200, height=200)
        if page_extra:
            page_extra(writer, page)
    if extra:
        extra(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _js_open_action(writer):
    action = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")}
    )
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)


def _launch_action(writer):
    action = DictionaryObject(
        {NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("calc.exe")}
    )
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)


def _embedded_file(writer):
    writer.add_attachment("payload.exe", b"MZ\x90\x00 not really")


def _uri_annotation(writer, page):
    from pypdf.annotations import Link

    writer.add_annotation(
        page_number=len(writer.pages) - 1, annotation=Link(rect=(10, 10, 50, 50), url="https://evil.example/")
    )


def _encrypted(writer):
    writer.encrypt("secret")


def obfuscated_js_pdf() -> bytes:
    # The name /JavaScript written with a #-escape, as malware does to dodge naive scanners.
    return pdf(extra=_js_open_action).replace(b"/JavaScript", b"/J#61vaScript")


def png_bomb() -> bytes:
    """A 30000 x 30000 (900 megapixel) 1-bit PNG that compresses to a few hundred kilobytes."""
    width = height = 30000
    raw_row = b"\x00" + b"\x00" * (width // 8)
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(raw_row) for _ in range(height)) + compressor.flush()

    def chunk(kind, body):
        return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")

    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([1, 0, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def png_text_bomb() -> bytes:
    """A PNG whose compressed text chunk expands to 100 MB."""
    base = png()
    body = b"Comment\x00\x00" + zlib.compress(b"A" * 100_000_000, 9)
    chunk = len(body).to_bytes(4, "big") + b"zTXt" + body + zlib.crc32(b"zTXt" + body).to_bytes(4, "big")
    return base[:33] + chunk + base[33:]


def jpeg_huge_header() -> bytes:
    data = bytearray(jpeg(8, 8))
    sof = data.find(b"\xff\xc0")
    data[sof + 5 : sof + 9] = (65000).to_bytes(2, "big") + (65000).to_bytes(2, "big")
    return bytes(data)


ZIP = b"PK\x03\x04" + b"\x14\x00" + b"\x00" * 24 + b"evil.html<script>alert(1)</script>"
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
EICAR_FREE_EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def corpus() -> list[Case]:
    small_png = png()
    return [
        # Not one of our types, whatever the name says.
        Case("exe-named-pdf", "invoice.pdf", EICAR_FREE_EXE, "refused:type"),
        Case("html-named-jpg", "photo.jpg", HTML, "refused:type"),
        Case(
            "svg-with-script",
            "image.png",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "refused:type",
        ),
        Case("zip-named-pdf", "document.pdf", ZIP, "refused:type"),
        Case("gif", "anim.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "refused:type"),
        Case("text", "notes.txt", "申請書です".encode(), "refused:type"),
        Case("pdf-header-late", "late.pdf", b"junk" * 10 + pdf(), "refused:type"),
        Case("empty", "empty.pdf", b"", "refused:empty"),
        Case("jpeg-magic-only", "fake.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 100, "refused:corrupt"),
        Case("truncated-png", "cut.png", small_png[: len(small_png) // 2], "refused:corrupt"),
        # Active or hidden PDF content.
        Case("pdf-javascript", "form.pdf", pdf(extra=_js_open_action), "refused:pdf_active"),
        Case("pdf-javascript-obfuscated", "form2.pdf", obfuscated_js_pdf(), "refused:pdf_active"),
        Case("pdf-launch", "open-me.pdf", pdf(extra=_launch_action), "refused:pdf_active"),
        Case("pdf-embedded-file", "attached.pdf", pdf(extra=_embedded_file), "refused:pdf_active"),
        Case("pdf-encrypted", "locked.pdf", pdf(extra=_encrypted), "refused:pdf_encrypted"),
        Case("pdf-corrupt", "broken.pdf", b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF", "refused:corrupt"),
        Case("pdf-too-many-pages", "long.pdf", pdf(pages=120), "refused:pdf_pages"),
        # Decompression bombs and absurd sizes.
        Case("png-pixel-bomb", "bomb.png", png_bomb(), "refused:too_many_pixels"),
        Case("png-text-bomb", "textbomb.png", png_text_bomb(), "refused:corrupt"),
        Case("jpeg-huge-header", "huge.jpg", jpeg_huge_header(), "refused:too_many_pixels"),
        Case("declared-1gb", "big.pdf", pdf(), "refused:too_large", declared_size=1024**3),
        Case(
            "size-understated",
            "under.pdf",
            b"%PDF-1.4\n" + b"0" * (11 * 1024 * 1024),
            "refused:too_large",
            declared_size=100,
        ),
        # Polyglots and hidden payloads: accepted only after rewriting.
        Case("pdf-zip-polyglot", "poly.pdf", pdf() + ZIP, "neutralised"),
        Case("pdf-html-tail", "tail.pdf", pdf() + HTML, "neutralised"),
        Case("pdf-uri-annotation", "link.pdf", pdf(page_extra=_uri_annotation), "neutralised"),
        Case("jpeg-zip-polyglot", "poly.jpg", jpeg() + ZIP, "neutralised"),
        Case("jpeg-gps", "house.jpg", jpeg_with_gps(), "neutralised"),
        Case("jpeg-cmyk", "print.jpg", jpeg(mode="CMYK"), "neutralised"),
        Case("png-html-text-chunk", "chunk.png", png(pnginfo=_pnginfo_with_script()), "neutralised"),
        # Names that try to escape, hide or mislead.
        Case("dot-dot-name", "../../../../etc/passwd.png", small_png, "neutralised"),
        Case("windows-path", "C:\\Users\\taro\\Desktop\\住民票.pdf", pdf(), "neutralised"),
        Case("rtl-override", "photo\u202egpj.exe", small_png, "neutralised"),
        Case("null-byte", "scan.pdf\x00.exe", pdf(), "neutralised"),
        Case("false-extension", "actually-png.jpg", small_png, "neutralised"),
        Case("dotfile", ".htaccess", small_png, "neutralised"),
        Case("long-name", "長" * 300 + ".pdf", pdf(), "neutralised"),
    ]


def _pnginfo_with_script():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    return info
