"""Issue 5 gap A: the correction history (before/after values of corrected answers) is stored
encrypted, still shown on the case page (an audited read), and the migration encrypts old rows."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.http import QueryDict
from django.urls import reverse

from madoguchi.cases import services
from madoguchi.cases.models import CaseEvent
from madoguchi.privacy.models import AuditEvent
from tests.support.cases import file_case

NEW_ADDRESS = "宮城県石巻市穀町9-87"
NEW_PHONE = "0225-98-7654"


def _raw_changes(event_id) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT changes FROM cases_caseevent WHERE id = %s", [event_id])
        return cursor.fetchone()[0]


def _correct(citizen, handler):
    """A correction round trip on a 要介護認定 case: the handler asks, the citizen answers."""
    case = file_case(citizen)
    definition = case.submission.version.definition
    fields = {f["id"]: f for p in definition["form"]["pages"] if not p.get("repeat") for f in p["fields"]}
    field = next(
        fid for fid, f in fields.items() if f["type"] in ("phone", "address") and fid in case.submission.data
    )
    services.case_transition(by=handler, case=case, to_status="reviewing")
    services.correction_request(by=handler, case=case, fields=[field], reason="ご確認ください")
    case.refresh_from_db()
    post = QueryDict(mutable=True)
    post[f"f-{field}"] = NEW_PHONE if fields[field]["type"] == "phone" else NEW_ADDRESS
    result = services.correction_submit(user=citizen, case=case, post=post)
    assert result["errors"] == {}
    return case, field, result["changes"][field]


def test_the_raw_row_holds_no_plaintext_and_the_case_page_still_shows_what_changed(
    as_user, citizen_erin, kaigo_alice
):
    case, field, change = _correct(citizen_erin, kaigo_alice)
    before, after = change["before"], change["after"]
    assert before and after and before != after
    event = case.events.get(kind=CaseEvent.Kind.RESUBMITTED)

    raw = _raw_changes(event.pk)
    assert raw and before not in raw and after not in raw and change["label"] not in raw
    assert "label" not in raw and "{" not in raw  # not JSON at all: a ciphertext
    # Read back through the model: decrypted.
    assert CaseEvent.objects.get(pk=event.pk).changes[field] == change
    # The correction request's own event (the fields asked for) is encrypted too.
    asked = case.events.get(kind=CaseEvent.Kind.CORRECTION)
    assert field not in _raw_changes(asked.pk) and asked.changes == {"fields": [field]}
    # Events that change nothing store NULL: nothing is encrypted on the submit path.
    assert _raw_changes(case.events.filter(kind=CaseEvent.Kind.STATUS).first().pk) is None

    reads = AuditEvent.objects.filter(action="read", object_type="cases.case", object_id=str(case.pk)).count()
    body = as_user(kaigo_alice).get(reverse("cases:detail", kwargs={"case_id": case.pk})).content.decode()
    assert f"<del>{before}</del> → <ins>{after}</ins>" in body
    assert (
        AuditEvent.objects.filter(action="read", object_type="cases.case", object_id=str(case.pk)).count()
        == reads + 1
    )


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_rows_written_before_it_and_reverses(citizen_erin, kaigo_alice):
    from django.db.migrations.executor import MigrationExecutor

    case, field, change = _correct(citizen_erin, kaigo_alice)
    event = case.events.get(kind=CaseEvent.Kind.RESUBMITTED)
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes("cases")

    # Back to the plain JSON column: the rows are decrypted into it (the state before the fix).
    executor = MigrationExecutor(connection)
    executor.migrate([("cases", "0003_case_case_queue_open_due")])
    raw = _raw_changes(event.pk)
    assert (json.loads(raw) if isinstance(raw, str) else raw)[field] == change  # plain JSON again

    # Forward again: the same rows come out encrypted and read back unchanged.
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(latest)
    raw = _raw_changes(event.pk)
    assert change["after"] not in raw and change["before"] not in raw
    assert CaseEvent.objects.get(pk=event.pk).changes[field] == change
    assert CaseEvent.objects.get(kind=CaseEvent.Kind.CORRECTION, case=case).changes == {"fields": [field]}
    assert _raw_changes(case.events.filter(kind=CaseEvent.Kind.STATUS).first().pk) is None


def test_a_key_rotation_re_encrypts_the_history_which_stays_append_only(citizen_erin, kaigo_alice, settings):
    import base64
    import os

    from django.core.management import call_command

    from madoguchi.privacy.crypto import reset_keyring

    def key(c):
        return base64.b64encode(c.encode() * 32).decode()

    settings.MADOGUCHI_FIELD_KEYS = f"old:{key('a')}"
    settings.MADOGUCHI_INDEX_KEYS = f"iold:{key('b')}"
    reset_keyring()
    try:
        case, field, change = _correct(citizen_erin, kaigo_alice)
        event = case.events.get(kind=CaseEvent.Kind.RESUBMITTED)
        assert _raw_changes(event.pk).startswith("enc1$old$")
        settings.MADOGUCHI_FIELD_KEYS = f"new:{key('c')},old:{key('a')}"
        settings.MADOGUCHI_INDEX_KEYS = f"inew:{key('d')},iold:{key('b')}"
        reset_keyring()
        call_command("rotate_keys", stdout=open(os.devnull, "w"))  # noqa: SIM115
        assert _raw_changes(event.pk).startswith("enc1$new$")
        settings.MADOGUCHI_FIELD_KEYS = f"new:{key('c')}"
        settings.MADOGUCHI_INDEX_KEYS = f"inew:{key('d')}"
        reset_keyring()
        assert CaseEvent.objects.get(pk=event.pk).changes[field] == change

        # Writing a different value, or another column, is still refused.
        event = CaseEvent.objects.get(pk=event.pk)
        event.changes = {field: {**change, "after": "書き換え"}}
        with pytest.raises(ValueError, match="append-only"):
            event.save(update_fields=["changes"])
        event = CaseEvent.objects.get(pk=event.pk)
        event.comment = "書き換え"
        with pytest.raises(ValueError, match="append-only"):
            event.save(update_fields=["changes", "comment"])
    finally:
        reset_keyring()
