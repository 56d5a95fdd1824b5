"""Issue 3 check: a HEIC photo (as iPhones send) is accepted, re-encoded as JPEG and stripped of its EXIF and
GPS data; its stored name is random. tests/test_uploads.py covers PDF, JPEG and PNG."""

import io

import pillow_heif
import pytest
from PIL import Image

from madoguchi.privacy.services import file_store
from madoguchi.privacy.uploads import file_storage
from tests.conftest import department
from tests.test_uploads import Upload

pytestmark = pytest.mark.django_db


def _heic_with_gps() -> bytes:
    pillow_heif.register_heif_opener()
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # camera maker
    exif[0x8825] = {1: "N", 2: (38.0, 25.0, 0.0)}  # GPS
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, format="HEIF", exif=exif.tobytes())
    return out.getvalue()


def test_a_heic_photo_becomes_a_clean_jpeg(city, citizen_erin):
    content = _heic_with_gps()
    assert content[4:12] == b"ftypheic" and b"SecretCam" in content
    stored = file_store(
        uploaded=Upload(content, "IMG_0001.HEIC"),
        department=department("kaigo-hoken"),
        uploaded_by=citizen_erin,
    )
    data = file_storage().open(stored.storage_name, "rb").read()
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and stored.content_type == "image/jpeg"
    assert stored.display_name.endswith(".jpg") and "IMG_0001" not in stored.storage_name
    assert b"SecretCam" not in data
    exif = image.getexif()
    assert 0x8825 not in exif and 0x010F not in exif
    assert image.size == (64, 48)
