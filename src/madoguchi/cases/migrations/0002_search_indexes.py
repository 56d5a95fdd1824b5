"""Trigram indexes so that searching applicant names (kanji or kana, any part) stays fast on
PostgreSQL with a million cases. SQLite has no equivalent and scans."""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX IF NOT EXISTS case_applicant_name_trgm ON cases_case USING gin (applicant_name gin_trgm_ops);
CREATE INDEX IF NOT EXISTS case_applicant_kana_trgm ON cases_case USING gin (applicant_kana gin_trgm_ops);
"""
DROP = "DROP INDEX IF EXISTS case_applicant_name_trgm; DROP INDEX IF EXISTS case_applicant_kana_trgm;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
