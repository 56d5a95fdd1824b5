"""Settings for the surge benchmark: the benchmark settings (DEBUG off, no rate limits, quiet logs,
the bare insert view), with the uploaded files in a directory of their own."""

from bench.settings import *  # noqa: F403
from bench.settings import BASE_DIR, STORAGES

STORAGES = {
    **STORAGES,
    "default": {
        **STORAGES["default"],
        "OPTIONS": {"location": str(BASE_DIR / "var" / "bench" / "surge-files")},
    },
}
