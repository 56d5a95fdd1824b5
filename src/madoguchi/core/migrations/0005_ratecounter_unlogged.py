"""The rate limits' counters in an unlogged table, without the index for LIKE (PostgreSQL only).

Every limited request (an online filing, a log-in, an API call) writes its counter. The counters
are worth nothing after a crash, so they need no write-ahead log: an unlogged table's writes skip
it, and a transaction that wrote only them does not wait for the log to reach the disk. After a
crash PostgreSQL empties the table (every client starts a fresh window), and a standby server does
not receive it (after a fail-over the same). Django's index for ``LIKE`` on the key is never used
(the counters are only read by key) and only slowed each new counter. docs/operations.md
("Shared state"), docs/performance.md ("Surge").
"""

from django.db import migrations

TABLE = "core_ratecounter"


def unlogged(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} SET UNLOGGED")
        schema_editor.execute("DROP INDEX IF EXISTS core_ratecounter_key_7b3d8ac4_like")


def logged(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} SET LOGGED")
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS core_ratecounter_key_7b3d8ac4_like ON core_ratecounter (key varchar_pattern_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [("core", "0004_session")]

    operations = [migrations.RunPython(unlogged, logged, elidable=False)]
