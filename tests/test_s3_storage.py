"""Files on S3-compatible storage (MADOGUCHI_STORAGE=s3), against a real local S3 server.

moto's server (``moto_server``, from the dev dependencies) runs as a separate process on a free
port and speaks the S3 HTTP API; the app reaches it through django-storages and boto3 exactly as
it would reach a city's object store. What is checked: an upload is stored as a private object
under the key prefix, is served only through the access-checked view (streamed by the app: the
storage gives no URL), and is erased from the bucket by the retention purge; open-data resources
are uploaded through the staff pages and downloaded through the public view, and a second upload
of the same file name never overwrites the first.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from madoguchi.privacy.models import StoredFile
from madoguchi.privacy.services import file_store, retention_purge
from madoguchi.privacy.uploads import file_storage
from tests.conftest import department
from tests.support.hostile import png
from tests.test_uploads import Upload

boto3 = pytest.importorskip("boto3")
pytest.importorskip("storages.backends.s3")
MOTO_SERVER = Path(sys.executable).with_name("moto_server")
if not MOTO_SERVER.exists() and not shutil.which("moto_server"):
    pytest.skip("moto[server] is not installed (make setup installs it)", allow_module_level=True)

pytestmark = pytest.mark.django_db

BUCKET = "madoguchi-test"
KEYS = {"access_key": "testing-key-id", "secret_key": "testing-secret-key"}  # moto accepts any


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint():
    port = _free_port()
    command = [str(MOTO_SERVER) if MOTO_SERVER.exists() else shutil.which("moto_server"), "-H", "127.0.0.1",
               "-p", str(port)]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("moto_server did not start")
            time.sleep(0.1)
    client = _client(endpoint)
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"})
    yield endpoint
    process.terminate()
    process.wait(timeout=10)


def _client(endpoint: str):
    return boto3.client(
        "s3", endpoint_url=endpoint, region_name="ap-northeast-1",
        aws_access_key_id=KEYS["access_key"], aws_secret_access_key=KEYS["secret_key"],
    )  # fmt: skip


@pytest.fixture
def s3(settings, s3_endpoint):
    """The default storage on the bucket, under a key prefix of this test's own."""
    prefix = f"t-{uuid.uuid4().hex[:8]}"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "madoguchi.privacy.storage.PrivateS3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET, "endpoint_url": s3_endpoint, "region_name": "ap-northeast-1",
                "addressing_style": "path", "location": prefix, "signature_version": "s3v4", **KEYS,
            },
        },
    }  # fmt: skip
    client = _client(s3_endpoint)

    def objects() -> set[str]:
        listing = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix + "/")
        return {o["Key"] for o in listing.get("Contents", [])}

    client.objects, client.prefix = objects, prefix
    return client


def test_the_storage_is_the_bucket(s3):
    assert type(file_storage()).__name__ == "PrivateS3Storage"
    assert s3.objects() == set()


def test_upload_is_a_private_object_served_only_through_the_access_checked_view(
    s3, as_user, citizen_erin, citizen_frank, kaigo_alice, kosodate_charlie
):
    content = png()
    stored = file_store(uploaded=Upload(content, "罹災写真.png"), department=department("kaigo-hoken"),
                        uploaded_by=citizen_erin)  # fmt: skip
    key = f"{s3.prefix}/{stored.storage_name}"
    assert s3.objects() == {key}
    obj = s3.get_object(Bucket=BUCKET, Key=key)
    assert obj["Body"].read()[:8] == b"\x89PNG\r\n\x1a\n" and obj["ContentLength"] == stored.size
    grants = s3.get_object_acl(Bucket=BUCKET, Key=key)["Grants"]
    assert all("URI" not in g["Grantee"] for g in grants), grants  # no AllUsers / AuthenticatedUsers grant

    url = reverse("privacy:file_download", kwargs={"file_id": stored.pk})
    for user in (citizen_erin, kaigo_alice):
        response = as_user(user).get(url)
        assert response.status_code == 200
        body = b"".join(response.streaming_content)
        assert body == obj_bytes(s3, key) and body.startswith(b"\x89PNG")
        assert response["Cache-Control"] == "no-store"
        assert "amazonaws" not in str(response.headers) and "127.0.0.1:" not in str(response.headers)
    for user in (citizen_frank, kosodate_charlie):
        assert as_user(user).get(url).status_code == 404
    with pytest.raises(NotImplementedError):  # no object URL, presigned or not, can leak out
        file_storage().url(stored.storage_name)


def obj_bytes(client, key: str) -> bytes:
    return client.get_object(Bucket=BUCKET, Key=key)["Body"].read()


def test_a_failed_database_write_leaves_no_object_behind(s3, citizen_erin, monkeypatch):
    def refuse(*args, **kwargs):
        raise RuntimeError("database refused the row")

    monkeypatch.setattr(StoredFile.objects, "create", refuse)
    with pytest.raises(RuntimeError):
        file_store(uploaded=Upload(png(), "a.png"), uploaded_by=citizen_erin)
    assert s3.objects() == set()


def test_the_retention_purge_erases_the_object(s3, citizen_erin, django_capture_on_commit_callbacks):
    now = timezone.now()
    old = file_store(uploaded=Upload(png(), "old.png"), uploaded_by=citizen_erin,
                     retain_until=now - timedelta(seconds=1))  # fmt: skip
    kept = file_store(uploaded=Upload(png(), "kept.png"), uploaded_by=citizen_erin,
                      retain_until=now + timedelta(days=30))  # fmt: skip
    assert len(s3.objects()) == 2
    with django_capture_on_commit_callbacks(execute=True):
        report = retention_purge(now=now)
    assert not report.failed
    assert not StoredFile.objects.filter(pk=old.pk).exists()
    assert s3.objects() == {f"{s3.prefix}/{kept.storage_name}"}


def test_open_data_resource_upload_and_public_download(s3, kaigo_alice, kaigo_admin, as_user, client):
    from madoguchi.opendata.models import Dataset, ResourceVersion

    staff = as_user(kaigo_alice)
    response = staff.post(reverse("opendata:staff_create"), {
        "department": kaigo_alice.staff_roles.first().department_id, "name": "s3-aed", "title": "AED（S3）",
        "theme": "SOCI", "license_id": "pdl-1.0", "frequency": "monthly", "conforms_to": "",
    })  # fmt: skip
    assert response.status_code == 302
    data = "名称,所在地,緯度,経度\r\n石巻市役所,宮城県石巻市穀町14-1,38.4343,141.3029\r\n".encode()
    upload_url = reverse("opendata:staff_upload", kwargs={"name": "s3-aed"})
    for _ in range(2):  # the same file name twice: both versions are kept, neither overwritten
        response = staff.post(upload_url, {"file": SimpleUploadedFile("aed.csv", data), "name": "AED"})
        assert response.status_code == 302
    originals = [
        v.original_file.name for v in ResourceVersion.objects.filter(resource__dataset__name="s3-aed")
    ]
    assert len(set(originals)) == 2
    assert {f"{s3.prefix}/{name}" for name in originals} <= s3.objects()

    for version in ResourceVersion.objects.filter(resource__dataset__name="s3-aed"):
        fixes = [f["id"] for f in version.fix_report.get("fixes", []) if f["id"] != "hidden"]
        response = staff.post(reverse("opendata:staff_version", kwargs={"name": "s3-aed", "version_id": version.pk}),
                              {"fix": fixes, "action": "apply"})  # fmt: skip
        assert response.status_code == 302
    staff.post(reverse("opendata:staff_action", kwargs={"name": "s3-aed"}), {"action": "submit"})
    as_user(kaigo_admin).post(
        reverse("opendata:staff_action", kwargs={"name": "s3-aed"}), {"action": "approve"}
    )
    dataset = Dataset.objects.get(name="s3-aed")
    assert dataset.is_public
    resource = dataset.resources.filter(format="CSV").first()
    assert f"{s3.prefix}/{resource.current_version.file.name}" in s3.objects()

    page = client.get(reverse("opendata:dataset", kwargs={"name": "s3-aed"})).content.decode()
    assert "石巻市役所" in page  # the preview is read from the bucket
    response = client.get(reverse("opendata:download", kwargs={"name": "s3-aed", "resource_id": resource.pk}))
    assert response.status_code == 200
    assert "石巻市役所" in b"".join(response.streaming_content).decode("utf-8-sig")
    assert response["Content-Disposition"].startswith("attachment;")
    original = staff.get(reverse("opendata:staff_version_original",
                                 kwargs={"name": "s3-aed", "version_id": version.pk}))  # fmt: skip
    assert original.status_code == 200 and b"".join(original.streaming_content) == data


def test_settings_from_the_environment(tmp_path):
    """MADOGUCHI_STORAGE=s3 and its variables become the storage's options; a missing bucket is refused."""
    code = (
        "import json, madoguchi.settings as s; "
        "print(json.dumps([s.STORAGES['default'], s.CACHES['default']['BACKEND']]))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MADOGUCHI_")}
    env.update(PYTHONPATH="src", MADOGUCHI_STORAGE="s3", MADOGUCHI_S3_BUCKET="city-files",
               MADOGUCHI_S3_ENDPOINT_URL="https://s3.city.example", MADOGUCHI_S3_REGION="ap-northeast-1",
               MADOGUCHI_S3_ACCESS_KEY_ID="id", MADOGUCHI_S3_SECRET_ACCESS_KEY="secret",
               MADOGUCHI_S3_ADDRESSING_STYLE="virtual", MADOGUCHI_S3_PREFIX="madoguchi")  # fmt: skip
    root = Path(__file__).resolve().parent.parent
    run = subprocess.run([sys.executable, "-c", code], env=env, cwd=root, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    import json

    storage, cache = json.loads(run.stdout)
    assert storage["BACKEND"] == "madoguchi.privacy.storage.PrivateS3Storage"
    assert {k: storage["OPTIONS"][k] for k in ("bucket_name", "endpoint_url", "region_name", "access_key",
                                               "secret_key", "addressing_style", "location")} == {
        "bucket_name": "city-files", "endpoint_url": "https://s3.city.example", "region_name": "ap-northeast-1",
        "access_key": "id", "secret_key": "secret", "addressing_style": "virtual", "location": "madoguchi",
    }  # fmt: skip
    assert cache == "django.core.cache.backends.db.DatabaseCache"  # shared by every process
    del env["MADOGUCHI_S3_BUCKET"]
    run = subprocess.run([sys.executable, "-c", code], env=env, cwd=root, capture_output=True, text=True)
    assert run.returncode != 0 and "MADOGUCHI_S3_BUCKET is required" in run.stderr
