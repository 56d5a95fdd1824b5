"""The production profile passes Django's deployment checks, and refuses to start half-configured."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent
MANAGE = ROOT / "src" / "manage.py"

PRODUCTION = {
    "MADOGUCHI_PROFILE": "production",
    "MADOGUCHI_SECRET_KEY": "k" * 20 + "-production-secret-for-the-check-" + "q" * 20,
    "MADOGUCHI_ALLOWED_HOSTS": "madoguchi.city.example",
    "DJANGO_SETTINGS_MODULE": "madoguchi.settings",
    "MADOGUCHI_FIELD_KEYS": "p1:" + "MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM=",
    "MADOGUCHI_INDEX_KEYS": "pi1:" + "NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ=",
}


def _manage(*args, env_extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MADOGUCHI_", "DJANGO_"))}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, str(MANAGE), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_profile_passes_check_deploy_with_no_warnings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env_extra=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("missing", ["MADOGUCHI_SECRET_KEY", "MADOGUCHI_ALLOWED_HOSTS"])
def test_production_refuses_to_start_without(missing):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = _manage("check", env_extra=env)
    assert result.returncode != 0
    assert f"{missing} is required in production" in result.stderr


def test_production_deploy_check_fails_without_encryption_keys():
    env = {k: v for k, v in PRODUCTION.items() if not k.endswith("_KEYS")}
    result = _manage("check", "--deploy", env_extra=env)
    assert result.returncode != 0
    assert "madoguchi.E001" in result.stderr and "No encryption keys" in result.stderr


def test_production_settings_are_https_only():
    code = (
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS >= 31536000, s.LOGGING['handlers']['console']['formatter'])"
    )
    result = _manage("shell", "--no-imports", "-v", "0", "-c", code, env_extra=PRODUCTION)
    assert result.stdout.split() == ["False", "True", "True", "True", "True", "json"], result.stderr


def test_an_unknown_profile_is_refused():
    result = _manage("check", env_extra={"MADOGUCHI_PROFILE": "staging"})
    assert result.returncode != 0 and "MADOGUCHI_PROFILE must be" in result.stderr


@pytest.mark.django_db
def test_no_model_change_lacks_a_migration():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_env_example_documents_every_setting_read():
    settings_text = (ROOT / "src" / "madoguchi" / "settings.py").read_text()
    import re

    read = set(re.findall(r'env(?:_bool|_list)?\(\s*"([A-Z_]+)"', settings_text))
    documented = set(re.findall(r"^#?\s*([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    assert read <= documented, f"undocumented in .env.example: {sorted(read - documented)}"
