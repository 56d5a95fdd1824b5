"""Safe uploads: what comes in is identified by its content, re-encoded or rewritten, and
stored under a random name outside the web root.

* Size: refused above ``MADOGUCHI_UPLOAD_MAX_BYTES`` whatever the declared size says
  (we read at most one byte more than the cap).
* Type: by magic bytes at offset 0, never by name: PDF, JPEG, PNG, and HEIC/HEIF
  (converted to JPEG through pillow-heif). Anything else is refused.
* Images are decoded with a pixel cap checked from the header before decoding
  (decompression bombs), turned upright from their EXIF orientation, and re-encoded:
  EXIF (GPS included), XMP, comments and anything appended after the image are gone.
* PDFs are parsed with pypdf; encrypted ones and ones with active content
  (JavaScript, launch actions, embedded files, XFA, rich media) are refused; the rest
  are rewritten page by page without annotations, document actions or trailing data.
* The name the user gave is kept for display only, cleaned of paths, control and
  bidirectional-override characters, with the extension of the detected type.

Magic-byte sniffing is written by hand (a dozen lines, strict offset-0 signatures for
four formats); the real validation is the full decode by Pillow and pypdf.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core.files.storage import storages
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps

PDF, JPEG, PNG, HEIC = "application/pdf", "image/jpeg", "image/png", "image/heic"
EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png"}
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_ACTIVE_PDF_NAMES = {
    "/JavaScript", "/JS", "/Launch", "/EmbeddedFile", "/EmbeddedFiles", "/RichMedia", "/XFA",
    "/SubmitForm", "/ImportData", "/GoToE", "/Sound", "/Movie",
}  # fmt: skip
MAX_PDF_PAGES = 100
MAX_PDF_OBJECTS = 200_000


class UploadRejected(Exception):
    def __init__(self, message, code: str):
        super().__init__(str(message))
        self.message = message
        self.code = code


@dataclass(frozen=True)
class CleanFile:
    content: bytes
    content_type: str
    display_name: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def sniff(head: bytes) -> str | None:
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return HEIC
    return None


_UNSAFE_CHARS = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_BIDI_AND_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def display_name_for(original: str, content_type: str) -> str:
    """A harmless name for showing and for downloads: no path, no control or bidi characters."""
    name = unicodedata.normalize("NFKC", original or "")
    name = re.split(r"[/\\]", name)[-1]
    name = _BIDI_AND_INVISIBLE.sub("", name)
    name = _UNSAFE_CHARS.sub("_", name).strip(" .")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = stem.strip(" .")[:80] or "file"
    return stem + EXTENSIONS[JPEG if content_type == HEIC else content_type]


def _read_capped(uploaded, limit: int) -> bytes:
    declared = getattr(uploaded, "size", None)
    if declared is not None and declared > limit:
        raise UploadRejected(_too_large(limit), "too_large")
    uploaded.seek(0)
    content = uploaded.read(limit + 1)
    if len(content) > limit:
        raise UploadRejected(_too_large(limit), "too_large")
    if not content:
        raise UploadRejected(_("ファイルが空です。"), "empty")
    return content


def _too_large(limit: int):
    return _("ファイルが大きすぎます。%(mb)d MB以下にしてください。") % {"mb": limit // (1024 * 1024)}


def _pixel_guard() -> None:
    """Pillow refuses images over twice MAX_IMAGE_PIXELS while opening; keep that in line with our cap."""
    Image.MAX_IMAGE_PIXELS = settings.MADOGUCHI_UPLOAD_MAX_PIXELS


def _clean_image(content: bytes, kind: str) -> tuple[bytes, str]:
    _pixel_guard()
    if kind == HEIC:
        import pillow_heif

        pillow_heif.register_heif_opener()
    max_pixels = settings.MADOGUCHI_UPLOAD_MAX_PIXELS
    try:
        with Image.open(io.BytesIO(content)) as probe:
            width, height = probe.size
            if width * height > max_pixels or width <= 0 or height <= 0:
                raise UploadRejected(
                    _("画像の画素数が多すぎます。%(mp)d百万画素以下にしてください。")
                    % {"mp": max_pixels // 1_000_000},
                    "too_many_pixels",
                )
            if probe.format not in {"JPEG", "PNG", "HEIF"}:
                raise UploadRejected(_("この形式のファイルは受け付けていません。"), "type")
            probe.load()
            image = ImageOps.exif_transpose(probe)
    except UploadRejected:
        raise
    except Image.DecompressionBombError as exc:
        raise UploadRejected(
            _("画像の画素数が多すぎます。%(mp)d百万画素以下にしてください。")
            % {"mp": max_pixels // 1_000_000},
            "too_many_pixels",
        ) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise UploadRejected(
            _("画像を読み取れませんでした。ファイルが壊れていないか確かめてください。"), "corrupt"
        ) from exc

    out = io.BytesIO()
    if kind in (JPEG, HEIC):
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(out, format="JPEG", quality=90, optimize=True)  # no exif=, no icc: metadata dropped
        return out.getvalue(), JPEG
    if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        image = image.convert("RGBA")
    image.save(out, format="PNG", optimize=True)
    return out.getvalue(), PNG


def _walk_pdf_names(root, limit: int = MAX_PDF_OBJECTS) -> set[str]:
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    names: set[str] = set()
    seen: set[tuple[int, int]] = set()
    stack = [root]
    visited = 0
    while stack:
        obj = stack.pop()
        visited += 1
        if visited > limit:
            raise UploadRejected(_("PDFの構造が複雑すぎて確認できません。"), "pdf_complex")
        if isinstance(obj, IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in seen:
                continue
            seen.add(key)
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):
            for k, v in obj.items():
                names.add(str(k))
                stack.append(v)
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)
        elif isinstance(obj, NameObject):
            names.add(str(obj))
    return names


def _clean_pdf(content: bytes) -> bytes:
    from pypdf import PdfReader, PdfWriter
    from pypdf.errors import PdfReadError
    from pypdf.generic import NameObject

    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted:
            raise UploadRejected(
                _("パスワードのかかったPDFは受け付けていません。パスワードを外してから送ってください。"),
                "pdf_encrypted",
            )
        if len(reader.pages) == 0:
            raise UploadRejected(_("PDFにページがありません。"), "pdf_empty")
        if len(reader.pages) > MAX_PDF_PAGES:
            raise UploadRejected(
                _("PDFのページが多すぎます。%(n)dページ以下にしてください。") % {"n": MAX_PDF_PAGES},
                "pdf_pages",
            )
        active = _walk_pdf_names(reader.trailer) & _ACTIVE_PDF_NAMES
        if active:
            raise UploadRejected(
                _("スクリプトや埋め込みファイルを含むPDFは受け付けていません。"), "pdf_active"
            )
        writer = PdfWriter()
        for page in reader.pages:
            for key in ("/Annots", "/AA"):
                if key in page:
                    del page[NameObject(key)]
            writer.add_page(page)
        out = io.BytesIO()
        writer.write(out)
    except UploadRejected:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, RecursionError, OSError) as exc:
        raise UploadRejected(
            _("PDFを読み取れませんでした。ファイルが壊れていないか確かめてください。"), "corrupt"
        ) from exc
    return out.getvalue()


def inspect_upload(uploaded, *, original_name: str | None = None) -> CleanFile:
    """Validate and neutralise an upload; raise UploadRejected with a message for the user."""
    content = _read_capped(uploaded, settings.MADOGUCHI_UPLOAD_MAX_BYTES)
    kind = sniff(content[:16])
    if kind is None:
        raise UploadRejected(_("PDF、JPEG、PNG、HEIC のファイルを選んでください。"), "type")
    if kind == PDF:
        cleaned, content_type = _clean_pdf(content), PDF
    else:
        cleaned, content_type = _clean_image(content, kind)
    name = original_name if original_name is not None else getattr(uploaded, "name", "")
    return CleanFile(cleaned, content_type, display_name_for(name or "", content_type))


def file_storage():
    return storages["default"]
