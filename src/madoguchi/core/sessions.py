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
from dataclasses import dataclass
from functools import lru_cache

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.db import DatabaseError, connections, router
from django.utils import timezone

# Not read: the store holds no account row for this request, and ``prefetched`` answers this too
# (the backend then reads the account itself).
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
            row = _read_with_account(self.model, self.session_key)
        except SuspiciousOperation as e:  # as Django's
            logging.getLogger(f"django.security.{e.__class__.__name__}").warning(str(e))
            row = None
        if row is None:
            self._session_key = None
            return None
        session, self.prefetched_user = row
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


@dataclass(frozen=True)
class _Statement:
    sql: str
    user_model: type
    attnames: list  # the account's concrete fields, in the statement's order
    converters: tuple  # (column, its converters) per value read, as Django's compiler applies them


def _converters(field, table: str, connection) -> tuple:
    column = field.get_col(table)
    return column, tuple(connection.ops.get_db_converters(column) + column.get_db_converters(connection))


@lru_cache(maxsize=64)
def _statement(model, connection) -> _Statement:
    """The statement that reads a session and its account, made once per connection object (each
    thread has its own) from the models: the converters are bound to that connection's operations.

    Written by hand rather than with ``select_related``: building that query through the ORM on
    every request cost a third of an online filing's time in the web process (docs/performance.md,
    "Surge"). The columns, table names and value converters are the models' own."""
    quote = connection.ops.quote_name
    user_field = model._meta.get_field("user")
    user_model = user_field.related_model
    fields = user_model._meta.concrete_fields
    table, users = model._meta.db_table, user_model._meta.db_table
    columns = ", ".join(f"{quote(users)}.{quote(f.column)}" for f in fields)
    sql = (
        f"SELECT {quote(table)}.session_data, {quote(table)}.expire_date, {columns} "  # noqa: S608
        f"FROM {quote(table)} LEFT OUTER JOIN {quote(users)} "
        f"ON {quote(users)}.{quote(user_model._meta.pk.column)} = {quote(table)}.{quote(user_field.column)} "
        f"WHERE {quote(table)}.session_key = %s AND {quote(table)}.expire_date > %s"
    )
    expires = _converters(model._meta.get_field("expire_date"), table, connection)
    converters = (expires, *(_converters(f, users, connection) for f in fields))
    return _Statement(sql, user_model, [f.attname for f in fields], converters)


def _read_with_account(model, session_key: str):
    """(the session, its account or None) for a key not expired, in one query; None if there is none."""
    alias = router.db_for_read(model)
    connection = connections[alias]
    statement = _statement(model, connection)
    now = model._meta.get_field("expire_date").get_db_prep_value(timezone.now(), connection)
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, [session_key, now])
        row = cursor.fetchone()
    if row is None:
        return None
    session_data, expires, *user_values = row
    column, converters = statement.converters[0]
    for converter in converters:
        expires = converter(expires, column, connection)
    session = model.from_db(
        alias, ["session_key", "session_data", "expire_date"], [session_key, session_data, expires]
    )
    user = None
    if user_values[0] is not None:  # the account's primary key: NULL when no account is joined
        for i, (column, converters) in enumerate(statement.converters[1:]):
            for converter in converters:
                user_values[i] = converter(user_values[i], column, connection)
        user = statement.user_model.from_db(alias, statement.attnames, user_values)
    return session, user


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
