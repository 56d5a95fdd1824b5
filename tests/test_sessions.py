"""The session store (core/sessions.py): Django's database sessions, an existing one saved in one
statement; a session deleted meanwhile is not brought back."""

import pytest
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext

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
