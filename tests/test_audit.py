"""The audit trail: one row per read, a hash chain that exposes tampering, append-only on PostgreSQL,
and a row that survives a failed business transaction."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.urls import reverse

from madoguchi.accounts import services as account_services
from madoguchi.privacy.audit import audit_record, audit_verify
from madoguchi.privacy.models import AuditEvent, AuditHead

pytestmark = pytest.mark.django_db


def _rows(n=5):
    return [
        audit_record(action="read", object_type="test.thing", object_id=i, fields=["name"]) for i in range(n)
    ]


def _raw(sql, params=()):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "ALTER TABLE privacy_auditevent DISABLE TRIGGER USER"
            )  # as a database superuser could
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE privacy_auditevent ENABLE TRIGGER USER")


def test_an_intact_trail_verifies():
    _rows()
    result = audit_verify()
    assert result.ok and result.checked == 5
    call_command("audit_verify", stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_a_changed_row_is_named():
    rows = _rows()
    _raw("UPDATE privacy_auditevent SET purpose = %s WHERE id = %s", ["書き換え", rows[2].pk])
    result = audit_verify()
    assert not result.ok
    assert any(f"seq={rows[2].seq} id={rows[2].pk}: contents changed" in p for p in result.problems)
    with pytest.raises(CommandError, match="audit trail damaged"):
        call_command("audit_verify", stdout=open("/dev/null", "w"), stderr=open("/dev/null", "w"))  # noqa: SIM115


def test_a_deleted_row_is_found():
    rows = _rows()
    _raw("DELETE FROM privacy_auditevent WHERE id = %s", [rows[1].pk])
    problems = audit_verify().problems
    assert any(f"seq={rows[1].seq}..{rows[1].seq} missing" in p for p in problems)


def test_deleting_the_newest_rows_is_found():
    rows = _rows()
    _raw("DELETE FROM privacy_auditevent WHERE seq >= %s", [rows[3].seq])
    assert any("newest rows are missing" in p for p in audit_verify().problems)


def test_an_inserted_row_is_found():
    rows = _rows()
    _raw("UPDATE privacy_auditevent SET seq = seq + 1000 WHERE seq > %s", [rows[2].seq])
    forged = AuditEvent(
        **{f.name: getattr(rows[2], f.name) for f in AuditEvent._meta.fields if f.name != "id"}
    )
    forged.seq = rows[2].seq + 1
    forged.hash = "f" * 64
    forged.purpose = "forged"
    forged.save()
    problems = audit_verify().problems
    assert any(f"seq={forged.seq}" in p for p in problems)


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the trigger is PostgreSQL's")
def test_postgresql_refuses_update_and_delete_by_the_application():
    (row,) = _rows(1)
    for sql in (
        "UPDATE privacy_auditevent SET purpose = 'x' WHERE id = %s",
        "DELETE FROM privacy_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [row.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=row.pk).update(purpose="x")


def test_a_failed_business_transaction_leaves_its_audit_row(kaigo_admin):
    from madoguchi.organisations.models import Department

    dept = Department.objects.get(code="kaigo-hoken")
    with pytest.raises(ValidationError):
        account_services.staff_roles_set(by=kaigo_admin, department=dept, user=kaigo_admin, roles=["handler"])
    event = AuditEvent.objects.get(object_id=str(kaigo_admin.pk), action="change")
    assert event.result == "failure" and event.detail == "ValidationError"
    assert event.actor_id == kaigo_admin.pk and "kaigo-hoken:dept_admin" in event.actor_roles
    assert kaigo_admin.staff_roles.filter(role="dept_admin").exists()  # the change itself rolled back
    assert audit_verify().ok


def test_a_successful_change_commits_with_its_row(kaigo_admin, kaigo_alice):
    from madoguchi.organisations.models import Department

    dept = Department.objects.get(code="kaigo-hoken")
    account_services.staff_roles_set(by=kaigo_admin, department=dept, user=kaigo_alice, roles=["approver"])
    event = AuditEvent.objects.get(object_id=str(kaigo_alice.pk))
    assert (event.action, event.result, event.fields, event.department_code) == (
        "change",
        "success",
        ["roles"],
        "kaigo-hoken",
    )


def test_reading_a_member_page_writes_one_row_with_the_client_address(as_user, kaigo_admin, kaigo_alice):
    client = as_user(kaigo_admin)
    before = AuditEvent.objects.count()
    client.get(reverse("accounts:member_detail", kwargs={"code": "kaigo-hoken", "user_id": kaigo_alice.pk}),
               REMOTE_ADDR="192.0.2.10")  # fmt: skip
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.object_id, event.client_ip) == ("read", str(kaigo_alice.pk), "192.0.2.10")
    assert set(event.fields) == {"email", "display_name", "roles"}


def test_times_are_utc_and_the_head_follows():
    rows = _rows(2)
    assert rows[1].occurred_at.utcoffset().total_seconds() == 0
    head = AuditHead.objects.get()
    assert (head.seq, head.hash) == (rows[1].seq, rows[1].hash)


def test_managers_see_their_department_trail_and_auditors_see_all(
    as_user, city, kaigo_admin, kosodate_admin, client
):
    from tests.conftest import make_staff

    audit_record(action="read", object_type="x", department_code="kaigo-hoken", purpose="介護の記録")
    audit_record(action="read", object_type="x", department_code="kosodate-shien", purpose="子育ての記録")
    url = reverse("privacy:audit_list")
    body = as_user(kaigo_admin).get(url).content.decode()
    assert "介護の記録" in body and "子育ての記録" not in body
    auditor = make_staff("audit@ict.test", "監査 担当", ("ict", "auditor"))
    body = as_user(auditor).get(url).content.decode()
    assert "介護の記録" in body and "子育ての記録" in body
    filtered = as_user(auditor).get(url, {"object_type": "x", "action": "read"}).content.decode()
    assert "介護の記録" in filtered


def test_handlers_cannot_open_the_trail(as_user, kaigo_alice):
    assert as_user(kaigo_alice).get(reverse("privacy:audit_list")).status_code == 404


def test_admin_reads_and_changes_are_audited(as_user, sysadmin, citizen_erin):
    client = as_user(sysadmin)
    url = reverse("admin:accounts_user_change", args=[citizen_erin.pk])
    assert client.get(url).status_code == 200
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.object_type, event.object_id, event.actor_id) == (
        "read",
        "accounts.user",
        str(citizen_erin.pk),
        sysadmin.pk,
    )
    assert client.get(reverse("admin:privacy_auditevent_changelist")).status_code == 200
    assert client.post(reverse("admin:privacy_auditevent_delete", args=[event.pk])).status_code == 403


# --- several chains side by side ---------------------------------------------------------------------


def test_threads_write_to_chains_of_their_own_and_each_chain_verifies(monkeypatch, settings):
    """Writers spread over chains (each thread always the same one, so a transaction holds one head);
    each chain is numbered and linked on its own, and tampering is named with its chain."""
    import threading

    from madoguchi.privacy import audit

    settings.MADOGUCHI_AUDIT_CHAINS = 4
    assert 1 <= audit.current_chain() <= 4
    assert audit.current_chain() == audit.current_chain()
    seen = []
    thread = threading.Thread(target=lambda: seen.append(audit.current_chain()))
    thread.start()
    thread.join()
    assert 1 <= seen[0] <= 4

    for chain in (1, 2, 3):
        monkeypatch.setattr(audit, "current_chain", lambda chain=chain: chain)
        _rows(3)
    assert sorted(AuditEvent.objects.values_list("chain", "seq")) == [
        (c, s) for c in (1, 2, 3) for s in (1, 2, 3)
    ]
    assert set(AuditHead.objects.values_list("pk", "seq")) == {(1, 3), (2, 3), (3, 3)}
    result = audit_verify()
    assert result.ok and result.checked == 9

    victim = AuditEvent.objects.get(chain=2, seq=2)
    _raw("UPDATE privacy_auditevent SET purpose = %s WHERE id = %s", ["書き換え", victim.pk])
    _raw("DELETE FROM privacy_auditevent WHERE chain = 3 AND seq = 3")
    problems = audit_verify().problems
    assert any(p.startswith("chain 2 ") and f"id={victim.pk}: contents changed" in p for p in problems)
    assert any(p.startswith("chain 3 ") and "newest rows are missing" in p for p in problems)
    assert not any(p.startswith("chain 1 ") for p in problems)


def test_a_row_moved_to_another_chain_is_detected(monkeypatch):
    from madoguchi.privacy import audit

    for chain in (1, 2):
        monkeypatch.setattr(audit, "current_chain", lambda chain=chain: chain)
        _rows(3)
    moved = AuditEvent.objects.get(chain=1, seq=2)
    _raw("UPDATE privacy_auditevent SET chain = 5 WHERE id = %s", [moved.pk])
    problems = audit_verify().problems
    assert any("chain 1 " in p and "missing (deleted)" in p for p in problems)
    assert any("chain 5 " in p for p in problems)
