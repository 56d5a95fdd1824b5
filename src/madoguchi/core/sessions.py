"""Database sessions whose save is one statement.

Django's database ``SessionStore`` saves an existing session as ``BEGIN``, ``UPDATE``, ``COMMIT``
(``Model.save`` inside ``transaction.atomic``). An update of one row by its key is atomic by itself,
so here it is a single ``UPDATE`` in autocommit: a third of the statements, and no model instance.
Everything else (creation, loading, expiry, the table) is Django's. An update that finds no row (the
session was deleted meanwhile, say by a log-out elsewhere) raises ``UpdateError`` as Django's does,
which ``SessionMiddleware`` answers as an interrupted session.
"""

from __future__ import annotations

from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import DatabaseError, router


class SessionStore(DatabaseSessionStore):
    def save(self, must_create=False):
        if self.session_key is None or must_create:
            return super().save(must_create=must_create)
        data = self._get_session(no_load=False)
        using = router.db_for_write(self.model)
        try:
            updated = (
                self.model.objects.using(using)
                .filter(session_key=self.session_key)
                .update(session_data=self.encode(data), expire_date=self.get_expiry_date())
            )
        except DatabaseError:
            raise UpdateError from None
        if not updated:
            raise UpdateError
