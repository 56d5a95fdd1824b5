"""Issue 11, faults: the disk of the uploads is full → a clear message on the field, nothing
half-stored (no file row, no partial file), the other answers kept; with space again the same upload
works. A real tmpfs of 1 MB is mounted as the file storage (root only; skipped where mount is refused)."""

from __future__ import annotations

import errno
import io
import os
import random
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from madoguchi.privacy.models import StoredFile
from madoguchi.submissions.models import Draft
from tests.support.cases import ensure_procedures
from tests.support.formfill import page_post, start

pytestmark = pytest.mark.django_db


@pytest.fixture
def tiny_disk(settings):
    where = Path(tempfile.mkdtemp(prefix="madoguchi-tiny-disk-"))
    mount = shutil.which("mount") or "/bin/mount"
    mounted = subprocess.run([mount, "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(where)], capture_output=True,
                             text=True, check=False)  # fmt: skip
    if mounted.returncode != 0:
        where.rmdir()
        pytest.skip(f"cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN): {mounted.stderr.strip()}")
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(where)}}}  # fmt: skip
    try:
        yield where
    finally:
        subprocess.run([shutil.which("umount") or "/bin/umount", str(where)], check=False)
        where.rmdir()


def fill(disk: Path, leave: int) -> Path:
    """Fill the disk, then give back ``leave`` bytes (so that an upload starts writing, then fails)."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    os.truncate(filler, max(0, filler.stat().st_size - leave))
    return filler


def noisy_photo() -> bytes:
    """A photo that does not compress: about 120 KB after the upload's re-encoding."""
    rng = random.Random(7)
    image = Image.frombytes("RGB", (200, 200), bytes(rng.getrandbits(8) for _ in range(200 * 200 * 3)))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def files_on(disk: Path) -> list[str]:
    return sorted(p.relative_to(disk).as_posix() for p in disk.rglob("*") if p.is_file())


def test_a_full_disk_gives_a_clear_message_and_stores_nothing_half(tiny_disk, client, citizen_erin):
    ensure_procedures()
    client.force_login(citizen_erin)
    url = start(client, "risai_shomei")
    while "/attachments/" not in url:
        page_id = url.rstrip("/").rsplit("/", 1)[1]
        draft = Draft.objects.get()
        page = next(p for p in draft.version.definition["form"]["pages"] if p["id"] == page_id)
        response = client.post(url, page_post(page))
        assert response.status_code == 302, url
        url = response["Location"]
    answers_before = Draft.objects.get().data
    assert answers_before.get("cause")

    filler = fill(tiny_disk, leave=16 * 1024)
    photo = noisy_photo()
    response = client.post(url, {"action": "continue",
                                 "f-damage_photos": SimpleUploadedFile("被害.png", photo, content_type="image/png")})  # fmt: skip
    assert response.status_code == 200
    body = response.content.decode()
    assert "保存する場所がいっぱいのため、ファイルを保存できませんでした" in body
    assert 'href="#f-damage_photos"' in body  # in the error summary, linked to the field
    assert not StoredFile.objects.exists()
    assert files_on(tiny_disk) == ["filler"]  # no partial file left behind
    draft = Draft.objects.get()
    assert draft.data == answers_before  # the other answers are kept
    assert not draft.data.get("damage_photos")

    filler.unlink()
    response = client.post(url, {"action": "continue",
                                 "f-damage_photos": SimpleUploadedFile("被害.png", photo, content_type="image/png")})  # fmt: skip
    assert response.status_code == 302
    stored = StoredFile.objects.get()
    assert files_on(tiny_disk) == [stored.storage_name]
    assert (tiny_disk / stored.storage_name).stat().st_size == stored.size
    assert [item["id"] for item in Draft.objects.get().data["damage_photos"]] == [str(stored.pk)]
