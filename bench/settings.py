"""Settings for the benchmarks: the development profile with DEBUG off, no rate limits (the load comes
from one address), quiet logs, and a bare insert view to compare with."""

import os

os.environ.setdefault("MADOGUCHI_PROFILE", "development")
os.environ["MADOGUCHI_DEBUG"] = "false"

from madoguchi.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "bench.benchapp"]  # noqa: F405
ROOT_URLCONF = "bench.urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
MADOGUCHI_RATE_LIMITS = dict.fromkeys(MADOGUCHI_RATE_LIMITS, "100000000/s")  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
LOGGING["loggers"]["django"]["level"] = "WARNING"  # noqa: F405
MADOGUCHI_KEY_FILE = str(BASE_DIR / "var" / "bench" / "keys.txt")  # noqa: F405
MADOGUCHI_CREATE_KEY_FILE = True
