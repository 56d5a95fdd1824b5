"""The session store (core/sessions.py): Django's database sessions, an existing one saved in one
statement; a session deleted meanwhile is not brought back."""

import pytest
from django.contrib.sessions.backends.base import UpdateError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from madoguchi.core.models import Session
from madoguchi.core.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_a_new_session_is_created_and_an_existing_one_saved_in_one_statement():
    store = SessionStore()
    store["a"] = 1
    store.save()
    key = store.session_key
    assert Session.objects.filter(session_key=key).exists()

    again = SessionStore(session_key=key)
    again["b"] = 2
    with CaptureQueriesContext(connection) as queries:
        again.save()
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    assert statements == ["UPDATE"]  # Django's own store: BEGIN, UPDATE, COMMIT
    loaded = SessionStore(session_key=key)
    assert loaded["a"] == 1 and loaded["b"] == 2


def test_saving_a_session_deleted_meanwhile_raises_update_error_and_stores_nothing():
    store = SessionStore()
    store["a"] = 1
    store.save()
    key = store.session_key
    loaded = SessionStore(session_key=key)
    loaded["b"] = 2
    Session.objects.filter(session_key=key).delete()  # logged out in another tab
    with pytest.raises(UpdateError):
        loaded.save()
    assert not Session.objects.filter(session_key=key).exists()


def test_the_save_moves_the_expiry_ahead(settings):
    from datetime import timedelta

    from django.utils import timezone

    store = SessionStore()
    store["a"] = 1
    store.save()
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() + timedelta(minutes=5)
    )
    loaded = SessionStore(session_key=store.session_key)
    loaded["a"] = 2
    loaded.save()
    left = Session.objects.get(session_key=store.session_key).expire_date - timezone.now()
    assert left > timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)


# --- the account read with the session --------------------------------------------------------------


def _user_queries(queries) -> list[str]:
    """The statements that read the account table on its own (not joined to the session)."""
    return [
        q["sql"] for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith("SELECT") and 'FROM "accounts_user"' in q["sql"]
    ]  # fmt: skip


def test_the_session_row_carries_its_account_and_one_query_reads_both(client, citizen_erin):
    client.force_login(citizen_erin)
    row = Session.objects.get(session_key=client.session.session_key)
    assert row.user_id == citizen_erin.pk
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/account/")
    assert response.status_code == 200
    assert response.wsgi_request.user == citizen_erin
    session_reads = [q["sql"] for q in queries.captured_queries if 'FROM "core_session"' in q["sql"]]
    assert len(session_reads) == 1 and 'JOIN "accounts_user"' in session_reads[0]
    assert _user_queries(queries) == []  # Django's middleware would read the account a second time


def test_a_deactivated_account_is_logged_out_though_read_with_the_session(client, citizen_erin):
    client.force_login(citizen_erin)
    type(citizen_erin).objects.filter(pk=citizen_erin.pk).update(is_active=False)
    response = client.get("/account/")
    assert response.status_code == 302 and "/login" in response["Location"]


def test_a_changed_password_ends_the_session_though_the_account_was_read_with_it(client, citizen_erin):
    client.force_login(citizen_erin)
    citizen_erin.set_password("a whole new passphrase 2026")
    type(citizen_erin).objects.filter(pk=citizen_erin.pk).update(password=citizen_erin.password)
    response = client.get("/account/")
    assert (
        response.status_code == 302 and "/login" in response["Location"]
    )  # the session's hash no longer matches


def test_a_session_without_its_account_column_still_authenticates_by_a_second_read(client, citizen_erin):
    client.force_login(citizen_erin)
    Session.objects.filter(session_key=client.session.session_key).update(
        user=None
    )  # as a row from before the column
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/account/")
    assert response.status_code == 200 and response.wsgi_request.user == citizen_erin
    assert len(_user_queries(queries)) == 1


def test_log_out_and_log_in_keep_the_column_true(client, citizen_erin, citizen_frank):
    client.force_login(citizen_erin)
    first = client.session.session_key
    client.logout()
    assert not Session.objects.filter(session_key=first).exists()
    client.force_login(citizen_frank)
    assert Session.objects.get(session_key=client.session.session_key).user_id == citizen_frank.pk


def test_deleting_an_account_deletes_its_sessions(client, citizen_erin):
    client.force_login(citizen_erin)
    key = client.session.session_key
    type(citizen_erin).objects.filter(pk=citizen_erin.pk).delete()
    assert not Session.objects.filter(session_key=key).exists()


def test_the_account_read_with_the_session_equals_the_one_the_orm_reads(citizen_erin):
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    citizen_erin.last_login = citizen_erin.date_joined
    citizen_erin.save()
    store = SessionStore()
    store[SESSION_KEY] = str(citizen_erin.pk)
    store[BACKEND_SESSION_KEY] = "madoguchi.accounts.backends.EmailBackend"
    store[HASH_SESSION_KEY] = citizen_erin.get_session_auth_hash()
    store.save()
    loaded = SessionStore(session_key=store.session_key)
    assert loaded[SESSION_KEY] == str(citizen_erin.pk)
    user = loaded.prefetched_user
    fresh = type(citizen_erin).objects.get(pk=citizen_erin.pk)
    for field in fresh._meta.concrete_fields:  # converted as the ORM converts (dates, encrypted text)
        assert getattr(user, field.attname) == getattr(fresh, field.attname), field.name
    assert user.last_login.tzinfo is not None and not user._state.adding


def test_an_expired_or_unknown_session_reads_as_empty():
    from datetime import timedelta

    from django.utils import timezone

    store = SessionStore()
    store["a"] = 1
    store.save()
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    assert SessionStore(session_key=store.session_key).get("a") is None
    assert SessionStore(session_key="x" * 32).get("a") is None


def test_the_migration_moves_the_valid_sessions_from_djangos_table_with_their_account(citizen_erin):
    """core migration 0004: a deployment's sessions survive the move to core.Session."""
    import importlib
    from datetime import timedelta
    from types import SimpleNamespace

    from django.apps import apps
    from django.contrib.sessions.backends.db import SessionStore as DjangoStore
    from django.utils import timezone

    migration = importlib.import_module("madoguchi.core.migrations.0004_session")
    now = timezone.now()
    rows = [
        (
            "a" * 32,
            DjangoStore().encode({"_auth_user_id": str(citizen_erin.pk), "x": 1}),
            now + timedelta(hours=1),
        ),
        ("b" * 32, DjangoStore().encode({"y": 2}), now + timedelta(hours=1)),  # no account
        (
            "c" * 32,
            DjangoStore().encode({"_auth_user_id": "999999"}),
            now + timedelta(hours=1),
        ),  # account gone
        ("d" * 32, DjangoStore().encode({"_auth_user_id": str(citizen_erin.pk)}), now - timedelta(hours=1)),
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE django_session (session_key varchar(40) PRIMARY KEY, session_data text NOT NULL, "
            "expire_date timestamp with time zone NOT NULL)"
            if connection.vendor == "postgresql"
            else "CREATE TABLE django_session (session_key varchar(40) PRIMARY KEY, session_data text NOT NULL, "
            "expire_date datetime NOT NULL)"
        )
        for key, data, expires in rows:
            cursor.execute("INSERT INTO django_session VALUES (%s, %s, %s)", [key, data, expires])
    migration.copy_sessions(apps, SimpleNamespace(connection=connection))
    moved = dict(Session.objects.values_list("session_key", "user_id"))
    assert moved == {
        "a" * 32: citizen_erin.pk,
        "b" * 32: None,
        "c" * 32: None,
    }  # the expired one stays behind
    assert SessionStore(session_key="a" * 32)["x"] == 1
