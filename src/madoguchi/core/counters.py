# ruff: noqa: S608, S311 — the table name is the model's own, quoted; the sweep's dice need no secrecy.
"""A cache backend for counters only, in one database table: what the rate limits need, and no more.

The rate limits (core/ratelimit.py) count with ``hit(key, timeout)``: one ``INSERT … ON CONFLICT DO
UPDATE … RETURNING`` (SQLite 3.35+ and PostgreSQL) that creates the counter at 1 or adds 1 to it,
atomic across processes and hosts. On Django's ``DatabaseCache`` the same count was about a dozen
statements per limited request (a ``COUNT(*)`` of the whole table for culling on every write, a
pickled value read and written back in its own transaction), and under a surge the limiter cost more
than the submission it guards. Expired rows are swept now and then by the same process that writes
(no culling on every write). The rest of Django's cache interface (``add``, ``incr``, ``get``, …)
works too, on integers.

Values must be integers. Written by hand because Django offers only the general cache backends
(Redis would do it, but Madoguchi needs nothing but PostgreSQL).
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.db import connections, router
from django.utils import timezone

SWEEP_ONE_IN = 1000  # one write in this many also deletes the expired counters


class CounterCache(BaseCache):
    def __init__(self, location, params):
        super().__init__(params)

    def _model(self):
        from .models import RateCounter

        return RateCounter

    def _connection(self, write: bool):
        model = self._model()
        alias = router.db_for_write(model) if write else router.db_for_read(model)
        return connections[alias]

    def _expiry(self, timeout):
        if timeout is DEFAULT_TIMEOUT:
            timeout = self.default_timeout
        if timeout is None:
            timeout = 10 * 365 * 24 * 3600
        return timezone.now() + timedelta(seconds=timeout)

    def _table(self, connection) -> str:
        return connection.ops.quote_name(self._model()._meta.db_table)

    def _sweep(self, connection) -> None:
        if random.randrange(SWEEP_ONE_IN) == 0:
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {self._table(connection)} WHERE expires < %s", [timezone.now()])

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        connection = self._connection(write=True)
        table = self._table(connection)
        with connection.cursor() as cursor:
            # A row that expired but was not swept yet is taken over, as if absent.
            cursor.execute(
                f"INSERT INTO {table} (key, value, expires) VALUES (%s, %s, %s) "
                f"ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires = excluded.expires "
                f"WHERE {table}.expires < %s",
                [key, int(value), self._expiry(timeout), timezone.now()],
            )
            added = cursor.rowcount == 1
        self._sweep(connection)
        return added

    def hit(self, key, timeout=DEFAULT_TIMEOUT, version=None) -> int:
        """Count one more on ``key`` (created at 1, or taken over at 1 if it expired): the new count."""
        key = self.make_and_validate_key(key, version=version)
        connection = self._connection(write=True)
        table = self._table(connection)
        now = timezone.now()
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (key, value, expires) VALUES (%s, 1, %s) "
                f"ON CONFLICT (key) DO UPDATE SET "
                f"value = CASE WHEN {table}.expires < %s THEN 1 ELSE {table}.value + 1 END, "
                f"expires = CASE WHEN {table}.expires < %s THEN excluded.expires ELSE {table}.expires END "
                f"RETURNING value",
                [key, self._expiry(timeout), now, now],
            )
            count = cursor.fetchone()[0]
        self._sweep(connection)
        return count

    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        connection = self._connection(write=True)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {self._table(connection)} SET value = value + %s WHERE key = %s AND expires >= %s "
                f"RETURNING value",
                [int(delta), key, timezone.now()],
            )
            row = cursor.fetchone()
        if row is None:
            raise ValueError(f"Key '{key}' not found")
        return row[0]

    def get(self, key, default=None, version=None):
        key = self.make_and_validate_key(key, version=version)
        connection = self._connection(write=False)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT value FROM {self._table(connection)} WHERE key = %s AND expires >= %s",
                [key, timezone.now()],
            )
            row = cursor.fetchone()
        return default if row is None else row[0]

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        connection = self._connection(write=True)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {self._table(connection)} (key, value, expires) VALUES (%s, %s, %s) "
                f"ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires = excluded.expires",
                [key, int(value), self._expiry(timeout)],
            )
        self._sweep(connection)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        connection = self._connection(write=True)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {self._table(connection)} SET expires = %s WHERE key = %s AND expires >= %s",
                [self._expiry(timeout), key, timezone.now()],
            )
            return cursor.rowcount == 1

    def delete(self, key, version=None):
        key = self.make_and_validate_key(key, version=version)
        connection = self._connection(write=True)
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {self._table(connection)} WHERE key = %s", [key])
            return cursor.rowcount == 1

    def has_key(self, key, version=None):
        return self.get(key, version=version) is not None

    def clear(self):
        connection = self._connection(write=True)
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {self._table(connection)}")
