"""Keep the planner's statistics of the task table fresh under a surge (PostgreSQL only).

During a surge the queue table grows by thousands of rows a minute. With PostgreSQL's default
autovacuum thresholds (10 % of the table changed) its statistics lag behind, the planner believes
the table is tiny, and each worker's claim (``SELECT … FOR UPDATE SKIP LOCKED … ORDER BY priority,
run_after, enqueued_at LIMIT 1``) sorts every waiting row instead of reading the first row of the
partial index: measured in ``make bench-surge`` at 48 ms per claim with 16,000 tasks waiting,
0.5 ms after ``ANALYZE``. Analyzing after 1,000 changed rows (and vacuuming after 5,000 or 2 %)
keeps it an index scan (docs/performance.md, "Surge").
"""

from django.db import migrations

TABLE = "django_tasks_database_dbtaskresult"
SETTINGS = (
    "autovacuum_analyze_threshold = 1000, autovacuum_analyze_scale_factor = 0, "
    "autovacuum_vacuum_threshold = 5000, autovacuum_vacuum_scale_factor = 0.02"
)


def tune(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} SET ({SETTINGS})")


def untune(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE {TABLE} RESET (autovacuum_analyze_threshold, autovacuum_analyze_scale_factor, "
            "autovacuum_vacuum_threshold, autovacuum_vacuum_scale_factor)"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_ratecounter"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(tune, untune, elidable=False)]
