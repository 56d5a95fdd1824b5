"""Settings for Madoguchi.

Every value comes from the environment (see ``.env.example``), with defaults
that are safe for development. ``MADOGUCHI_PROFILE`` picks one of three
profiles:

* ``development`` (default): ``make run`` on SQLite, e-mail to the console.
* ``test``: what ``make test`` uses; fast password hashing, tasks run at once.
* ``production``: refuses to start without a secret key and allowed hosts,
  turns on HTTPS-only cookies, HSTS and JSON logs; passes ``check --deploy``.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

SRC_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = SRC_DIR.parent


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value in (None, "") else value


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (env(name, default) or "").split(",") if item.strip()]


PROFILE = env("MADOGUCHI_PROFILE", "development")
if PROFILE not in {"development", "test", "production"}:
    raise ImproperlyConfigured(f"MADOGUCHI_PROFILE must be development, test or production, not {PROFILE!r}")
IS_PRODUCTION = PROFILE == "production"
IS_TEST = PROFILE == "test"

DEBUG = env_bool("MADOGUCHI_DEBUG", PROFILE == "development")

SECRET_KEY = env("MADOGUCHI_SECRET_KEY")
if not SECRET_KEY:
    if IS_PRODUCTION:
        raise ImproperlyConfigured("MADOGUCHI_SECRET_KEY is required in production.")
    SECRET_KEY = "development-only-key-not-for-production-" + "x" * 30

ALLOWED_HOSTS = env_list("MADOGUCHI_ALLOWED_HOSTS", "" if IS_PRODUCTION else "127.0.0.1,localhost,testserver")
if IS_PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("MADOGUCHI_ALLOWED_HOSTS is required in production.")
CSRF_TRUSTED_ORIGINS = env_list("MADOGUCHI_CSRF_TRUSTED_ORIGINS")

# The municipality this installation serves (全国地方公共団体コード, 6 digits).
MADOGUCHI_MUNICIPALITY_CODE = env("MADOGUCHI_MUNICIPALITY_CODE", "042021")
MADOGUCHI_SITE_URL = env("MADOGUCHI_SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "madoguchi.core",
    "madoguchi.organisations",
    "madoguchi.accounts",
    "madoguchi.privacy",
    "madoguchi.forms",
    "madoguchi.procedures",
    "madoguchi.submissions",
    "madoguchi.cases",
    "madoguchi.identity",
    "madoguchi.documents",
    "madoguchi.profiles",
    "madoguchi.lifeevents",
    "madoguchi.notifications",
    "madoguchi.opendata",
    "madoguchi.counter",
    "madoguchi.paper",
    "madoguchi.dx",
    "madoguchi.dashboards",
    "madoguchi.disaster",
]

MIDDLEWARE = [
    # First, so that shedding an overload costs almost nothing (docs/operations.md "Overload").
    "madoguchi.core.overload.AdmissionControlMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "madoguchi.core.middleware.SessionTouchMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, reading the account together with the session (madoguchi.core.sessions).
    "madoguchi.core.middleware.AuthenticationMiddleware",
    # django_otp's OTPMiddleware, also counting a second factor asserted by the single sign-on provider.
    "madoguchi.accounts.sso.OTPMiddleware",
    "madoguchi.core.context.RequestContextMiddleware",
    "madoguchi.core.middleware.StaffAreaMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "madoguchi.core.middleware.SecurityHeadersMiddleware",
    "axes.middleware.AxesMiddleware",
]

if IS_PRODUCTION:
    # Static files (after `manage.py collectstatic`) served by the application itself.
    MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
                      "whitenoise.middleware.WhiteNoiseMiddleware")  # fmt: skip

ROOT_URLCONF = "madoguchi.urls"
WSGI_APPLICATION = "madoguchi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "madoguchi.core.context_processors.site",
            ],
        },
    },
]

# Database: SQLite file by default, PostgreSQL (or any dj-database-url URL) from DATABASE_URL.
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'madoguchi.sqlite3'}"),
    )
}
# Persistent connections on PostgreSQL (a new connection costs more than a whole simple request),
# checked before reuse so that a restarted server is reconnected to transparently.
DATABASES["default"]["CONN_MAX_AGE"] = int(
    env("MADOGUCHI_DB_CONN_MAX_AGE", "60" if "postgres" in DATABASES["default"]["ENGINE"] else "0")
)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
            "transaction_mode": "IMMEDIATE",
        }
    )
    DATABASES["default"]["TEST"] = {"NAME": None}  # in memory for tests

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked account before any other backend runs.
    "axes.backends.AxesStandaloneBackend",
    "madoguchi.accounts.backends.EmailBackend",
    # Staff single sign-on; inert unless configured below (it answers only on its callback).
    "madoguchi.accounts.sso.StaffSingleSignOnBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "display_name")},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "madoguchi.accounts.password_validation.MaximumLengthValidator"},
    {"NAME": "madoguchi.accounts.password_validation.CityWordsValidator"},
]
if IS_TEST:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
STAFF_LOGIN_URL = "accounts:staff_login"

# Sessions live in the database so that logging out ends them on the server.
# A request extends the session; 60 minutes without one ends it (idle timeout).
SESSION_ENGINE = (
    "madoguchi.core.sessions"  # Django's database sessions, read with their account, saved in one statement
)
SESSION_COOKIE_AGE = int(env("MADOGUCHI_IDLE_TIMEOUT_SECONDS", "3600"))
# Extended by activity: saved when changed, or when its last save is this old (core/middleware.py): a
# session idle for 55 to 60 minutes ends (ASP.NET's sliding expiry renews after half the timeout).
SESSION_SAVE_EVERY_REQUEST = False
MADOGUCHI_SESSION_TOUCH_SECONDS = int(env("MADOGUCHI_SESSION_TOUCH_SECONDS", "300"))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_NAME = "madoguchi_session"
CSRF_COOKIE_NAME = "madoguchi_csrf"
# A shelter kiosk ends an applicant's session after this many seconds without a request (docs/counter.md).
MADOGUCHI_KIOSK_IDLE_SECONDS = int(env("MADOGUCHI_KIOSK_IDLE_SECONDS", "180"))
LANGUAGE_COOKIE_NAME = "madoguchi_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"

# Lock-out after repeated log-in failures (django-axes).
AXES_FAILURE_LIMIT = int(env("MADOGUCHI_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(env("MADOGUCHI_LOGIN_LOCKOUT_MINUTES", "15")))
# Locked per account, not per address: staff share the city hall's few NAT
# addresses, and one person's typos must not lock out a whole floor. Rotating
# the address does not help an attacker against a per-account lock, so axes'
# warning about it does not apply (docs/decisions/0004-authentication.md).
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "madoguchi.accounts.views.lockout_response"
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = int(env("MADOGUCHI_PROXY_COUNT", "0")) or None
AXES_SENSITIVE_PARAMETERS = ["username", "password", "otp_token"]

OTP_TOTP_ISSUER = env("MADOGUCHI_TOTP_ISSUER", "Madoguchi")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Staff single sign-on through the city's OpenID Connect provider (mozilla-django-oidc;
# docs/security.md). Off unless the client, the issuer and the four endpoints are all set.
# Only existing, active staff accounts log in this way (matched on the e-mail address);
# none is ever created. The provider's log-in counts as the second factor when the ID
# token's `amr` holds one of MADOGUCHI_OIDC_MFA_AMR (or its `acr` is one of
# MADOGUCHI_OIDC_MFA_ACR); otherwise the TOTP step follows, as after a password.
OIDC_RP_CLIENT_ID = env("MADOGUCHI_OIDC_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = env("MADOGUCHI_OIDC_CLIENT_SECRET", "")
OIDC_OP_ISSUER = env("MADOGUCHI_OIDC_ISSUER", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = env("MADOGUCHI_OIDC_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = env("MADOGUCHI_OIDC_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = env("MADOGUCHI_OIDC_USERINFO_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = env("MADOGUCHI_OIDC_JWKS_ENDPOINT", "")
OIDC_RP_SIGN_ALGO = env("MADOGUCHI_OIDC_SIGN_ALGO", "RS256")
# client_secret_post by default; client_secret_basic when true.
OIDC_TOKEN_USE_BASIC_AUTH = env_bool("MADOGUCHI_OIDC_CLIENT_SECRET_BASIC", False)
OIDC_RP_SCOPES = "openid email"
OIDC_USE_NONCE = True
OIDC_USE_PKCE = True
OIDC_CREATE_USER = False
OIDC_STORE_ACCESS_TOKEN = False
OIDC_STORE_ID_TOKEN = False
OIDC_TIMEOUT = 10
OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:staff_sso_callback"
MADOGUCHI_OIDC_PROVIDER_NAME = env("MADOGUCHI_OIDC_PROVIDER_NAME") or _("庁内アカウント")
MADOGUCHI_OIDC_MFA_AMR = env_list("MADOGUCHI_OIDC_MFA_AMR", "mfa,otp,hwk,swk,fido")
MADOGUCHI_OIDC_MFA_ACR = env_list("MADOGUCHI_OIDC_MFA_ACR", "")

# Caches: nothing a web process keeps in memory may matter to another one (docs/operations.md,
# "Several processes and hosts"). The rate-limit counters and anything put in the default cache
# live in the database, so every web process on every host sees the same values
# (`manage.py createcachetable` for the default cache; a migrated table for the counters).
# MADOGUCHI_CACHE=locmem keeps the default cache in each process's memory: only for one
# process, never behind a load balancer.
SHARED_CACHE = {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "madoguchi_cache"}
CACHES = {
    "default": {**SHARED_CACHE, "KEY_PREFIX": "c"}
    if env("MADOGUCHI_CACHE", "database") == "database"
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # Rate-limit counters: one row per key and window, counted with one statement (core/counters.py).
    "ratelimit": {"BACKEND": "madoguchi.core.counters.CounterCache"},
}
# Requests per client address: "count/period" (s, m, h, d; e.g. "30/10m").
MADOGUCHI_RATE_LIMITS = {
    "login": env("MADOGUCHI_RATE_LIMIT_LOGIN", "30/10m"),
    "signup": env("MADOGUCHI_RATE_LIMIT_SIGNUP", "10/h"),
    "email": env("MADOGUCHI_RATE_LIMIT_EMAIL", "10/h"),
    "submission": env("MADOGUCHI_RATE_LIMIT_SUBMISSION", "30/10m"),
    "lookup": env("MADOGUCHI_RATE_LIMIT_LOOKUP", "120/m"),
    "opendata_api": env("MADOGUCHI_RATE_LIMIT_OPENDATA_API", "600/m"),  # CKAN API, per address
}

# Overload (docs/operations.md "Overload"). Per web process: at most MAX_CONCURRENT requests are
# worked at once; one that waits longer than ADMISSION_WAIT_MS for a slot, or that waited longer than
# MAX_QUEUE_MS in front of the application (the proxy's X-Request-Start), gets 503 with Retry-After.
# The default leaves two of the server's threads (MADOGUCHI_WEB_THREADS) free to answer those quickly.
MADOGUCHI_WEB_THREADS = int(env("MADOGUCHI_WEB_THREADS", "8"))
MADOGUCHI_MAX_CONCURRENT = int(env("MADOGUCHI_MAX_CONCURRENT", str(max(1, MADOGUCHI_WEB_THREADS - 2))))
MADOGUCHI_ADMISSION_WAIT_MS = int(env("MADOGUCHI_ADMISSION_WAIT_MS", "500"))
MADOGUCHI_MAX_QUEUE_MS = int(env("MADOGUCHI_MAX_QUEUE_MS", "1000"))  # 0: ignore X-Request-Start
MADOGUCHI_OVERLOAD_RETRY_AFTER = int(env("MADOGUCHI_OVERLOAD_RETRY_AFTER", "30"))  # seconds
# Log-ins and sign-ups hash a password (about half a second of a core): at most COSTLY_AT_ONCE at
# once per process (0 = no limit), begun at most COSTLY_START_BY_MS after the request arrived;
# otherwise 503 before hashing (core.overload.costly_work).
MADOGUCHI_COSTLY_AT_ONCE = int(env("MADOGUCHI_COSTLY_AT_ONCE", "2"))
MADOGUCHI_COSTLY_START_BY_MS = int(env("MADOGUCHI_COSTLY_START_BY_MS", "800"))
# Web processes only (workers, migrations and commands have none): a statement running longer, or
# waiting for a lock longer, fails with a clear page instead of hanging. 0 = no limit. Off in the
# test profile by default (tests that need them set them), so a loaded CI machine fails no test.
MADOGUCHI_DB_STATEMENT_TIMEOUT_MS = int(env("MADOGUCHI_DB_STATEMENT_TIMEOUT_MS", "0" if IS_TEST else "5000"))
MADOGUCHI_DB_LOCK_TIMEOUT_MS = int(env("MADOGUCHI_DB_LOCK_TIMEOUT_MS", "0" if IS_TEST else "2000"))

# Encryption keys for sensitive fields (docs/security.md). In development a key
# file is created under var/keys/ on first use; production must configure keys.
# The audit trail is written as this many hash chains side by side, so that a busy server's
# writers do not all queue on one head row (privacy/audit.py); audit_verify walks each.
MADOGUCHI_AUDIT_CHAINS = int(env("MADOGUCHI_AUDIT_CHAINS", "8"))
# Background workers step back while the host's CPU is busy with work at normal priority (the web
# under a surge): before each task a worker waits while more than this share of the host's CPU is busy
# (workers run at nice 10, whose time is not counted), but at most MADOGUCHI_WORKER_YIELD_MAX_SECONDS.
# 0 = never wait (the default in tests). docs/operations.md, "Workers".
MADOGUCHI_WORKER_YIELD_BUSY = float(env("MADOGUCHI_WORKER_YIELD_BUSY", "0" if IS_TEST else "0.5"))
MADOGUCHI_WORKER_YIELD_MAX_SECONDS = float(env("MADOGUCHI_WORKER_YIELD_MAX_SECONDS", "120"))
# How often each worker queues the tasks of accepted online filings (submissions.services.accepted_dispatch).
MADOGUCHI_ACCEPT_DISPATCH_SECONDS = float(env("MADOGUCHI_ACCEPT_DISPATCH_SECONDS", "1"))

MADOGUCHI_FIELD_KEYS = env("MADOGUCHI_FIELD_KEYS", "")
MADOGUCHI_INDEX_KEYS = env("MADOGUCHI_INDEX_KEYS", "")
MADOGUCHI_KEY_FILE = env(
    "MADOGUCHI_KEY_FILE", "" if IS_PRODUCTION else str(BASE_DIR / "var" / "keys" / "keys.txt")
)
MADOGUCHI_CREATE_KEY_FILE = PROFILE == "development"

# The development signer's test CA and "cards" (never used in production).
MADOGUCHI_DEV_IDENTITY_DIR = env("MADOGUCHI_DEV_IDENTITY_DIR", str(BASE_DIR / "var" / "identity" / "dev"))

# The city's electronic seal for issued documents (docs/identity.md). Development makes a test seal.
MADOGUCHI_SEAL_KEY_FILE = env("MADOGUCHI_SEAL_KEY_FILE", "")
MADOGUCHI_SEAL_CERT_FILE = env("MADOGUCHI_SEAL_CERT_FILE", "")
MADOGUCHI_SEAL_CHAIN_FILE = env("MADOGUCHI_SEAL_CHAIN_FILE", "")

# Uploads: size and pixel caps; optional virus scanning through clamd
# ("tcp:127.0.0.1:3310" or "unix:/run/clamav/clamd.ctl"; empty = off).
MADOGUCHI_UPLOAD_MAX_BYTES = int(env("MADOGUCHI_UPLOAD_MAX_BYTES", str(10 * 1024 * 1024)))
MADOGUCHI_UPLOAD_MAX_PIXELS = int(env("MADOGUCHI_UPLOAD_MAX_PIXELS", str(40_000_000)))
# Scanned paper forms (docs/paper.md): the resolution pages are read at, and how long a worker holds a page.
MADOGUCHI_PAPER_DPI = int(env("MADOGUCHI_PAPER_DPI", "300"))
MADOGUCHI_PAPER_LEASE_SECONDS = int(env("MADOGUCHI_PAPER_LEASE_SECONDS", "120"))
MADOGUCHI_CLAMD_ADDRESS = env("MADOGUCHI_CLAMD_ADDRESS", "")
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# Background work: Django's Tasks API with the database backend, so that any
# number of `manage.py db_worker` processes on any host share one queue.
TASKS = {
    "default": {
        "BACKEND": env(
            "MADOGUCHI_TASK_BACKEND",
            "django_tasks.backends.immediate.ImmediateBackend"
            if IS_TEST
            else "django_tasks_db.DatabaseBackend",
        ),
        "QUEUES": ["default"],
    }
}

# E-mail: console in development, SMTP otherwise (configured from the environment).
EMAIL_BACKEND = env(
    "MADOGUCHI_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if PROFILE == "development"
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env("MADOGUCHI_EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(env("MADOGUCHI_EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("MADOGUCHI_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("MADOGUCHI_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("MADOGUCHI_EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env("MADOGUCHI_DEFAULT_FROM_EMAIL", "noreply@madoguchi.example")

# Internationalisation: Japanese first, English second.
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("日本語")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

# Static files: our own, plus the Digital Agency design tokens from npm.
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    ("vendor/design-tokens", NODE_MODULES / "@digital-go-jp" / "design-tokens" / "dist"),
]
# Uploaded and generated files: a local directory (default) or, with MADOGUCHI_STORAGE=s3, a private
# S3-compatible bucket shared by every web and worker host (docs/operations.md, "Storage"). Either way
# they are served only through access-checked views; the S3 storage gives no URLs.
MADOGUCHI_STORAGE = env("MADOGUCHI_STORAGE", "local")
if MADOGUCHI_STORAGE == "local":
    FILE_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env("MADOGUCHI_MEDIA_ROOT", str(BASE_DIR / "var" / "files"))},
    }
elif MADOGUCHI_STORAGE == "s3":
    if not env("MADOGUCHI_S3_BUCKET"):
        raise ImproperlyConfigured("MADOGUCHI_S3_BUCKET is required when MADOGUCHI_STORAGE=s3.")
    FILE_STORAGE = {
        "BACKEND": "madoguchi.privacy.storage.PrivateS3Storage",
        "OPTIONS": {
            "bucket_name": env("MADOGUCHI_S3_BUCKET"),
            "endpoint_url": env("MADOGUCHI_S3_ENDPOINT_URL"),  # empty: AWS itself
            "region_name": env("MADOGUCHI_S3_REGION"),
            # Empty keys: boto3's own chain (AWS_* variables, instance role, ~/.aws).
            "access_key": env("MADOGUCHI_S3_ACCESS_KEY_ID"),
            "secret_key": env("MADOGUCHI_S3_SECRET_ACCESS_KEY"),
            "addressing_style": env("MADOGUCHI_S3_ADDRESSING_STYLE", "path"),  # path, virtual or auto
            "location": env("MADOGUCHI_S3_PREFIX", ""),  # key prefix, e.g. "madoguchi/"
            "signature_version": "s3v4",
            "verify": env("MADOGUCHI_S3_CA_BUNDLE") or None,
            # A file being read is held in memory up to 16 MB (every upload: they are capped at
            # MADOGUCHI_UPLOAD_MAX_BYTES, 10 MB, and never touch the disk); a bigger open-data
            # file spills to an anonymous temporary file instead of filling the process's memory.
            "max_memory_size": 16 * 1024 * 1024,
        },
    }
else:
    raise ImproperlyConfigured(f"MADOGUCHI_STORAGE must be local or s3, not {MADOGUCHI_STORAGE!r}")
STORAGES = {
    "default": FILE_STORAGE,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if IS_PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Security headers. Production adds HTTPS-only settings below.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)

if IS_PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("MADOGUCHI_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(env("MADOGUCHI_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("MADOGUCHI_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-madoguchi_session"
    CSRF_COOKIE_NAME = "__Host-madoguchi_csrf"

# Logging: JSON lines in production, plain lines elsewhere. Every handler runs
# the personal-data filter, so no e-mail address, My Number or phone number is
# written, whatever a message contains.
LOG_LEVEL = env("MADOGUCHI_LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"personal_data": {"()": "madoguchi.core.logging.PersonalDataFilter"}},
    "formatters": {
        "json": {"()": "madoguchi.core.logging.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env("MADOGUCHI_LOG_FORMAT", "json" if IS_PRODUCTION else "plain"),
            "filters": ["personal_data"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        # axes writes user names into its messages; we log our own events instead.
        "axes": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}
