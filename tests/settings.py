"""Settings for the test suite: the ``test`` profile of madoguchi.settings."""

import os
from pathlib import Path

os.environ["MADOGUCHI_PROFILE"] = "test"
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

from madoguchi.settings import *  # noqa: F403

# E-mail goes to a real SMTP server (aiosmtpd) started by the test suite; the port is set per worker.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
LOGGING["handlers"]["personal_data_guard"] = {"class": "tests.support.logguard.PersonalDataGuardHandler"}  # noqa: F405
LOGGING["root"]["handlers"].append("personal_data_guard")  # noqa: F405
for _name in ("django", "axes"):
    LOGGING["loggers"][_name]["handlers"].append("personal_data_guard")  # noqa: F405
LOGGING["loggers"]["axes"]["level"] = "WARNING"  # noqa: F405

# Fixed test keys (never used anywhere else).
MADOGUCHI_FIELD_KEYS = "test1:" + "MTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTE="
MADOGUCHI_INDEX_KEYS = "itest1:" + "MjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjI="
MADOGUCHI_KEY_FILE = ""
INSTALLED_APPS = [*INSTALLED_APPS, "tests.privacy_testapp"]  # noqa: F405

# On SQLite, tests use a database file (one per test worker; pytest-django adds the suffix)
# rather than shared-cache memory, so that concurrent writers wait for the lock as they do
# in production instead of failing with "database table is locked".
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # MADOGUCHI_TEST_DB_DIR lets two test runs on one checkout keep out of each other's files.
    _test_db_dir = Path(os.environ.get("MADOGUCHI_TEST_DB_DIR") or BASE_DIR / "var" / "test-db")  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(_test_db_dir / "test.sqlite3")}  # noqa: F405
    _test_db_dir.mkdir(parents=True, exist_ok=True)
