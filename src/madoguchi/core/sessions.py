"""Database sessions that carry their account, read with it in one query and saved in one statement.

Django's database ``SessionStore`` reads the session in one query and, when the request needs the
user, ``AuthenticationMiddleware`` reads the account in a second; it saves an existing session as
``BEGIN``, ``UPDATE``, ``COMMIT`` (``Model.save`` inside ``transaction.atomic``). Here:

- the session table is ``core.Session``, Django's with the id of the account logged in to it
  (written on every save, from the session's ``_auth_user_id``);
- loading reads the session and its account in one query (a ``LEFT JOIN``); the account is kept on
  the store (``prefetched_user``), and the log-in backends' ``get_user`` take it from there
  (``madoguchi.accounts.backends``) instead of reading it again, after the same checks as Django's
  (the account is active; ``django.contrib.auth.get_user`` still compares the session's hash);
- an update of one row by its key is atomic by itself, so saving is a single ``UPDATE`` in
  autocommit: a third of the statements, and no model instance. An update that finds no row (the
  session was deleted meanwhile, say by a log-out elsewhere) raises ``UpdateError`` as Django's does,
  which ``SessionMiddleware`` answers as an interrupted session.

Everything else (creation, expiry, keys, signing) is Django's.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.db import DatabaseError, router
from django.utils import timezone

# Not read: the store has no account row for this request (``prefetched`` answers None).
NOT_READ = object()
# The session store of the request being authenticated (``authenticated_user``).
_store: ContextVar = ContextVar("madoguchi_session_store", default=None)


class SessionStore(DatabaseSessionStore):
    prefetched_user = NOT_READ  # the account read with the session: a user, None (no account), or NOT_READ

    @classmethod
    def get_model_class(cls):
        from .models import Session

        return Session

    def _get_session_from_db(self):
        self.prefetched_user = NOT_READ
        try:
            session = self.model.objects.select_related("user").get(
                session_key=self.session_key, expire_date__gt=timezone.now()
            )
        except (self.model.DoesNotExist, SuspiciousOperation) as e:
            if isinstance(e, SuspiciousOperation):  # as Django's
                logging.getLogger(f"django.security.{e.__class__.__name__}").warning(str(e))
            self._session_key = None
            return None
        self.prefetched_user = session.user
        return session

    def create_model_instance(self, data):
        instance = super().create_model_instance(data)
        instance.user_id = _user_id(data)
        return instance

    def save(self, must_create=False):
        if self.session_key is None or must_create:
            return super().save(must_create=must_create)
        data = self._get_session(no_load=False)
        using = router.db_for_write(self.model)
        try:
            updated = (
                self.model.objects.using(using)
                .filter(session_key=self.session_key)
                .update(
                    session_data=self.encode(data), expire_date=self.get_expiry_date(), user_id=_user_id(data)
                )
            )
        except DatabaseError:
            raise UpdateError from None
        if not updated:
            raise UpdateError

    def cycle_key(self):
        self.prefetched_user = NOT_READ
        super().cycle_key()

    def flush(self):
        self.prefetched_user = NOT_READ
        super().flush()


def _user_id(data: dict) -> int | None:
    """The account logged in to the session (its ``_auth_user_id``), or None."""
    from django.contrib.auth import get_user_model

    value = data.get(SESSION_KEY)
    if value is None:
        return None
    try:
        return get_user_model()._meta.pk.to_python(value)
    except ValidationError:
        return None


def authenticated_user(request):
    """``django.contrib.auth.get_user`` with the account read together with the session, if it was."""
    from django.contrib.auth import get_user

    token = _store.set(getattr(request, "session", None))
    try:
        return get_user(request)  # loads the session first (its _auth_user_id), then asks the backend
    finally:
        _store.reset(token)


def prefetched(user_id):
    """The account with this id if it was read with the request's session (else NOT_READ)."""
    user = getattr(_store.get(), "prefetched_user", NOT_READ)
    if user is NOT_READ or user is None or user.pk != user_id:
        return NOT_READ
    return user
