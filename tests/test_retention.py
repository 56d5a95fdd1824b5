"""Retention: with the clock moved past each period, the purge leaves nothing expired and writes
one erasure record per item; the 個人情報ファイル簿 is generated from the models' metadata."""

import csv
import io
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from madoguchi.accounts.models import User
from madoguchi.core.models import Session
from madoguchi.privacy import registry
from madoguchi.privacy.fields import encrypted_fields
from madoguchi.privacy.models import ErasureRecord, StoredFile
from madoguchi.privacy.services import file_store, retention_purge
from madoguchi.privacy.uploads import file_storage
from tests.conftest import department, make_citizen
from tests.privacy_testapp.models import Resident
from tests.support.hostile import png
from tests.test_uploads import Upload

pytestmark = pytest.mark.django_db


def test_every_model_is_classified():
    missing = registry.unclassified(apps.get_models())
    assert not missing, f"models with no personal-data metadata (privacy.registry): {missing}"


def test_every_model_with_encrypted_fields_is_a_personal_data_file():
    for model in apps.get_models():
        if encrypted_fields(model):
            assert registry.files_for(model._meta.label_lower), model._meta.label_lower


def test_every_personal_data_file_declares_a_retention_and_its_items():
    for entry in registry.files():
        assert entry.retention.period and entry.items and entry.purpose, entry.name
        assert entry.retention.expired is not None or entry.retention.manual, entry.name
        assert entry.in_register or entry.excluded_reason, entry.name


def _expired_set(now, citizen_erin):
    """One expired record of each kind, and one fresh record of each kind that must survive."""
    old = now - timedelta(days=400)
    stale = make_citizen("stale@example.test", verified=False)
    User.objects.filter(pk=stale.pk).update(date_joined=now - timedelta(days=8))
    make_citizen("fresh@example.test", verified=False)  # registered today: kept
    gone_staff = User.objects.create_user("gone@ict.test", None, kind=User.Kind.STAFF, is_active=False,
                                          deactivated_at=now - timedelta(days=5 * 365 + 1))  # fmt: skip
    old_file = file_store(uploaded=Upload(png(), "old.png"), uploaded_by=citizen_erin,
                          department=department("kaigo-hoken"), retain_until=now - timedelta(seconds=1))  # fmt: skip
    kept_file = file_store(uploaded=Upload(png(), "kept.png"), uploaded_by=citizen_erin,
                           retain_until=now + timedelta(days=30))  # fmt: skip
    Session.objects.create(session_key="x" * 32, session_data="e30:", expire_date=now - timedelta(minutes=1))
    Session.objects.create(session_key="y" * 32, session_data="e30:", expire_date=now + timedelta(minutes=30))
    attempt = AccessAttempt.objects.create(username="someone@example.test", ip_address="192.0.2.1",
                                           user_agent="x", failures_since_start=1, attempt_time=now)  # fmt: skip
    AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=old)
    resident = Resident.objects.create(department=department("kaigo-hoken"), name="x", my_number="123456789018",
                                       affair="x")  # fmt: skip
    Resident.objects.filter(pk=resident.pk).update(created_at=now - timedelta(days=31))
    return {
        "stale": stale,
        "staff": gone_staff,
        "file": old_file,
        "kept_file": kept_file,
        "resident": resident,
    }


def test_purge_leaves_no_expired_rows_or_files_and_records_each_erasure(
    citizen_erin, django_capture_on_commit_callbacks
):
    now = timezone.now()
    made = _expired_set(now, citizen_erin)
    dry = retention_purge(now=now, dry_run=True)
    assert dry.total == 6 and not ErasureRecord.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):  # file contents go once the row's deletion commits
        report = retention_purge(now=now)
    assert report.total == 6 and not report.failed
    assert not User.objects.filter(pk__in=[made["stale"].pk, made["staff"].pk]).exists()
    assert User.objects.filter(email="fresh@example.test").exists()
    assert not StoredFile.objects.filter(pk=made["file"].pk).exists()
    assert not file_storage().exists(made["file"].storage_name)
    assert file_storage().exists(made["kept_file"].storage_name)
    assert list(Session.objects.values_list("session_key", flat=True)) == ["y" * 32]
    assert not AccessAttempt.objects.exists()
    assert not Resident.objects.exists()

    records = ErasureRecord.objects.filter(run_id=report.run_id)
    assert records.count() == 6
    assert sorted(records.values_list("object_type", flat=True)) == sorted([
        "accounts.user", "accounts.user", "privacy.storedfile", "core.session", "axes.accessattempt",
        "privacy_testapp.resident",
    ])  # fmt: skip
    assert all(r.method == "deleted" and r.retention and r.expired_at for r in records)
    # Nothing personal in the erasure records themselves.
    assert "stale@example.test" not in str(list(records.values()))

    # A second run finds nothing more.
    assert retention_purge(now=now).total == 0


def test_the_purge_command_and_its_dry_run(citizen_erin):
    stale = make_citizen("stale2@example.test", verified=False)
    User.objects.filter(pk=stale.pk).update(date_joined=timezone.now() - timedelta(days=9))
    out = io.StringIO()
    call_command("purge_expired", "--dry-run", stdout=out)
    assert "would erase 1 in all" in out.getvalue()
    assert User.objects.filter(pk=stale.pk).exists()
    call_command("purge_expired", stdout=out)
    assert not User.objects.filter(pk=stale.pk).exists()


def test_the_daily_purge_is_scheduled_once(settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    call_command("schedule_periodic", stdout=io.StringIO())
    call_command("schedule_periodic", stdout=io.StringIO())
    (task,) = DBTaskResult.objects.filter(
        task_path__endswith="purge_expired_daily"
    )  # notices' work beside it
    local = timezone.localtime(task.run_after)
    assert (local.hour, local.minute) == (3, 0) and task.run_after > timezone.now()


def test_file_register_page_and_csv(client, city, citizen_erin):
    page = client.get(reverse("privacy:file_register")).content.decode()
    assert "オンライン窓口利用者アカウント" in page and "提出書類ファイル" in page
    assert "職員アカウント" not in page  # personnel files are not listed
    response = client.get(reverse("privacy:file_register_csv"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0][0] == "個人情報ファイルの名称" and len(rows[0]) == 9
    by_name = {row[0]: row for row in rows[1:]}
    accounts = by_name["オンライン窓口利用者アカウント"]
    assert accounts[1] == "ICT総合推進課" and accounts[8] == "非該当"
    assert by_name["提出書類ファイル"][6] == "含む"


def test_the_thousand_person_threshold(city):
    User.objects.bulk_create([User(email=f"p{i}@example.test", kind="citizen") for i in range(1000)])
    entry = next(e for e in registry.files() if e.name == "オンライン窓口利用者アカウント")
    assert entry.persons() == 1000
    from madoguchi.privacy.selectors import file_register_rows

    row = next(r for r in file_register_rows() if r.name == entry.name)
    assert row.over_threshold


def test_each_published_procedure_has_its_register_entry(client, city):
    from madoguchi.procedures.services import procedures_load_from_files

    procedures_load_from_files()
    response = client.get(reverse("privacy:file_register_csv"))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8")[1:])))
    names = {row[0]: row for row in rows[1:]}
    risai = names["罹災証明書交付申請ファイル"]
    assert risai[1] == "資産税課" and "被災日" in risai[3] and risai[7] == "10年"
    assert len(rows) - 1 >= 28 + 2
