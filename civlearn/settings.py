"""civlearn settings: one module, driven by environment variables.

Every variable is listed in `.env.example` and explained in the README's Configuration section.
The helpers below fail loudly on a malformed value rather than guessing.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from civlearn.core.release import release_stamp

BASE_DIR = Path(__file__).resolve().parent.parent

# Tests never read .env: a developer's DATABASE_URL there would turn the SQLite run into a PostgreSQL one.
_TEST_RUN = os.environ.get("CIVLEARN_TESTING", "").strip().lower() in {"1", "true", "yes", "on"}
if (BASE_DIR / ".env").exists() and not _TEST_RUN:
    # A local .env is a convenience for development; real environment variables win.
    from dotenv import load_dotenv

    load_dotenv(BASE_DIR / ".env", override=False)


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
TESTING = env_bool("CIVLEARN_TESTING", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if DEBUG or TESTING or env_bool("CIVLEARN_DEMO", False):
        SECRET_KEY = "insecure-development-key-do-not-use-in-production-0123456789"  # noqa: S105 (dev only)
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set: run ./run once (it writes .env for a local instance) or set SECRET_KEY"
        )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# The site's public address (scheme + host, no trailing slash): used in e-mails, the OIDC issuer,
# certificate verification links. Behind a proxy this is the address people type.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "civlearn.sso.apps.OAuthToolkitConfig",  # django-oauth-toolkit, with zh-Hant names in the admin
    "civlearn.core",
    "civlearn.registry",
    "civlearn.identity",
    "civlearn.content",
    "civlearn.sso",
    "civlearn.hours",
    "civlearn.learning",
    "civlearn.demo",
]

MIDDLEWARE = [
    # Outermost, so it compresses what every other middleware has written (pages are ≈ 5× smaller; Django adds
    # random padding against BREACH). Answers under 200 bytes (heartbeats) are left as they are.
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "civlearn.learning.scorm.origin.ContentOriginMiddleware",
    "civlearn.core.middleware.ShortcutMiddleware",  # SHORTCUT_URL_NAMES end here (see module)
    # After the shortcut: the machine endpoints answer JSON to programs, which have no use for a page policy.
    "civlearn.core.security_headers.SiteCSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "civlearn.identity.middleware.PasswordExpiryMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Machine endpoints answered right after the security middleware (core/middleware.py).
SHORTCUT_URL_NAMES = ["learning:heartbeat", "healthz", "readyz"]

ROOT_URLCONF = "civlearn.urls"
WSGI_APPLICATION = "civlearn.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("CONN_MAX_AGE", 600), conn_health_checks=True
        )
    }
    # One test database per test process, so that two suites on one server (CI and a developer) never drop each
    # other's database.
    DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME") or f"test_civlearn_{os.getpid()}"}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "civlearn.sqlite3",
            # WAL lets readers and one writer work at once; busy timeout waits instead of failing.
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
    # The ledger's covering index (ADR 0005) is a plain (person, year) index on SQLite, which has no INCLUDE columns;
    # the model says so, and the warning would greet everyone who runs ./run.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "identity.User"
AUTHENTICATION_BACKENDS = ["civlearn.identity.backends.AccountBackend"]
LOGIN_URL = "identity:signin"
# eCPA 首頁 (manual steps 十 to 十二: from there the person opens 我的專區 or a connected system).
LOGIN_REDIRECT_URL = "identity:index"
LOGOUT_REDIRECT_URL = "identity:signin"

ARGON2_TIME_COST = env_int("ARGON2_TIME_COST", 2)
ARGON2_MEMORY_KIB = env_int("ARGON2_MEMORY_KIB", 19456)
PASSWORD_HASHERS = [
    "civlearn.identity.hashers.TunedArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Hashing cost is not what the tests measure; fast hashing keeps the suite quick.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# One cache shared by every process on every setup, so that an operator's change (a rule book's generation stamp,
# a client, a setting) is seen by every worker and every server at once: Redis when REDIS_URL is set, else a table in
# the database (created by the core app's migrations). A per-process cache is only for what never changes while the
# process runs (parsed constants, files shipped with the code).
REDIS_URL = env_str("REDIS_URL")
CACHE_TIMEOUT_SECONDS = env_int("CACHE_TIMEOUT_SECONDS", 2)
if REDIS_URL:
    CACHES = {
        "default": {
            # django-redis keeps one client per connection pool; Django's own Redis backend builds a redis-py client
            # for every operation (≈ 75 µs of CPU each, ten of them on a page: docs/performance.md, issue #21).
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            # A Redis that stops answering fails a request in seconds instead of holding the worker for ever.
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": CACHE_TIMEOUT_SECONDS, "SOCKET_TIMEOUT": CACHE_TIMEOUT_SECONDS},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "civlearn_cache",
            # Expired rows are culled on writes; a third of them once the table holds this many.
            "OPTIONS": {"MAX_ENTRIES": env_int("CACHE_MAX_ENTRIES", 50000), "CULL_FREQUENCY": 3},
        }
    }
if TESTING and not REDIS_URL:
    # The test process is one process, and the suite's query-count bounds count the application's own queries, not
    # cache reads. The shared setups are tested with real server processes (core/tests/test_shared_cache.py) and the
    # readiness tests, which switch CACHES back to the database cache.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Sessions live in the database, so a cache restart (Redis losing its data) signs nobody out; with Redis in front
# a session is read from the cache and falls back to its row. With the database cache, a second copy of a row in
# the same database would only double the writes.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db" if REDIS_URL else "django.contrib.sessions.backends.db"

SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_COOKIE_HTTPONLY = True
SECURE_COOKIES = env_bool("SECURE_COOKIES", SITE_URL.startswith("https://"))
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
CSRF_FAILURE_VIEW = "civlearn.core.errors.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Strict-Transport-Security, sent by Django on https requests only. One year by default when the site is https;
# subdomains and the browsers' preload list only when asked for (they bind every host under the domain to https).
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if SITE_URL.startswith("https://") else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Content-Security-Policy (django-csp 4, core/security_headers.py): scripts, styles, images and fonts from this
# site only, inline scripts only with the request's nonce, no inline styles or event handlers, no plugins, not
# framed. The SCORM player and package files send their own policy (learning/scorm/runtime.py), which stays.
# No form-action: a sign-in or consent form ends in a redirect to the relying party, which browsers check against it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],  # + the signing component (CERT_SIGNER_URL), added per response
        "frame-src": [SELF],  # + the SCORM content origin, on the player's page
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "report-uri": env_str("CSP_REPORT_URI") or None,
    },
}
# Permissions-Policy: powerful features nothing here uses are off, for the pages and anything they frame. Passkeys
# (publickey-credentials-*) and fullscreen keep the browsers' default (this site, and a frame it allows).
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "camera", "microphone", "geolocation", "payment", "usb", "serial", "hid", "midi", "display-capture",
        "browsing-topics",
    )
}  # fmt: skip
if env_bool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
# The reverse proxies whose X-Forwarded-For is believed, as addresses or CIDR networks (core/client_address.py);
# empty: the connection's own address is the client's.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {_proxy!r} is not an IP address or network") from None

LANGUAGE_CODE = "zh-hant"
LANGUAGES = [("zh-hant", "繁體中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Taipei"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
# Cached page fragments (`{% cache %}`) are kept per release (civlearn/core/release.py): the same store as the default
# cache, under a prefix that changes with the code, the templates, the translations and the static files' names.
RELEASE = env_str("CIVLEARN_RELEASE") or release_stamp(BASE_DIR, STATIC_ROOT)
CACHES["template_fragments"] = {**CACHES["default"], "KEY_PREFIX": f"fragments-{RELEASE}"}
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed names (site.3f2a….css): a page names the exact version it was built with, so the web server can let
    # browsers keep static files for a year (deploy/nginx, granian's --static-path-expires) and a deployment is
    # seen at once. collectstatic writes the names (./run and the deployment run it); the test suite, which does
    # not collect, serves the plain names.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if TESTING
        else "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
    },
}
# Upload size limits: the HR import page and institution uploads carry files, the rest are small forms.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("FILE_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024)
# 下載專區 documents and announcement attachments an operator uploads (civlearn.content.files.check_upload).
CONTENT_UPLOAD_MAX_BYTES = env_int("CONTENT_UPLOAD_MAX_BYTES", 20 * 1024 * 1024)

# Mail: console by default, SMTP when EMAIL_HOST is set.
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "civlearn <no-reply@localhost>")

# Celery: tasks run in-process unless a broker is configured.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TIMEZONE = TIME_ZONE
# Celery beat (deploy/systemd/civlearn-beat.service), where a broker is set. Without one, `./run` runs the same
# commands in a loop (`--every`); elsewhere the systemd timers run them. Each is safe to run more often than needed.
CELERY_BEAT_SCHEDULE = {
    # Gap reminders: a learner gets at most one a week, so a daily run is enough.
    "learning.gap_reminders": {"task": "learning.gap_reminders", "schedule": 24 * 3600.0},
    # The HR digest goes once a week per agency; an hourly run sends it early on Monday, and retries failures.
    "hours.gap_digests": {"task": "hours.gap_digests", "schedule": 3600.0},
}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
# OAuth 2 (django-oauth-toolkit): learning institutions take client-credentials tokens at /o/token/ for the hours
# API. The client secret is hashed once per token request, never per API call (calls carry the bearer token).
OAUTH2_PROVIDER = {
    "ACCESS_TOKEN_EXPIRE_SECONDS": env_int("OAUTH2_ACCESS_TOKEN_EXPIRE_SECONDS", 3600),
}


# eCPA as an OpenID Connect provider (civlearn/sso/oidc.py). Signing keys live in the sso.SigningKey table,
# generated on first use and rotated with `manage.py oidc_rotate_key`; DOT reads them through these lazy values.
def _oidc_active_key() -> str:
    from civlearn.sso.oidc import active_private_pem

    return active_private_pem()


def _oidc_inactive_keys() -> list[str]:
    from civlearn.sso.oidc import inactive_private_pems

    return inactive_private_pems()


from django.utils.functional import lazy  # noqa: E402

OAUTH2_PROVIDER.update(
    {
        "OIDC_ENABLED": True,
        # The public address relying parties see; set OIDC_ISSUER when it differs from SITE_URL + "/o".
        "OIDC_ISS_ENDPOINT": env_str("OIDC_ISSUER", SITE_URL + "/o").rstrip("/"),
        "OIDC_RSA_PRIVATE_KEY": lazy(_oidc_active_key, str)(),
        "OIDC_RSA_PRIVATE_KEYS_INACTIVE": lazy(_oidc_inactive_keys, list)(),
        "OAUTH2_VALIDATOR_CLASS": "civlearn.sso.oidc.CivlearnValidator",
        "SCOPES_BACKEND_CLASS": "civlearn.sso.oidc.ClientScopes",
        "SCOPES": {
            "read": "讀取",
            "write": "寫入",
            "openid": "OpenID Connect",
            "profile": "姓名",
            "email": "電子郵件",
            "agency": "服務機關",
            "national_id": "身分證字號",
        },
        "DEFAULT_SCOPES": ["read", "write"],
        "CLIENT_SECRET_HASHER": "client_hmac_sha256",
        "PKCE_REQUIRED": True,
        "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
        "ROTATE_REFRESH_TOKEN": True,
        "REFRESH_TOKEN_REUSE_PROTECTION": True,
        "REFRESH_TOKEN_EXPIRE_SECONDS": env_int("OIDC_REFRESH_TOKEN_EXPIRE_SECONDS", 30 * 86400),
        "ID_TOKEN_EXPIRE_SECONDS": env_int("OIDC_ID_TOKEN_EXPIRE_SECONDS", 3600),
        # A third-party system's consent page is shown once: while the person holds a valid token for it, not again.
        "REQUEST_APPROVAL_PROMPT": "auto",
        "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
        "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": False,
        "OIDC_RP_INITIATED_LOGOUT_STRICT_REDIRECT_URIS": True,
        "APPLICATION_ADMIN_CLASS": "civlearn.sso.admin.ApplicationAdmin",
        # DOT's admins with their actions and masked columns labelled in zh-Hant (civlearn/sso/admin.py).
        "ACCESS_TOKEN_ADMIN_CLASS": "civlearn.sso.admin.AccessTokenAdmin",
        "REFRESH_TOKEN_ADMIN_CLASS": "civlearn.sso.admin.RefreshTokenAdmin",
        "GRANT_ADMIN_CLASS": "civlearn.sso.admin.GrantAdmin",
        "ID_TOKEN_ADMIN_CLASS": "civlearn.sso.admin.IDTokenAdmin",
        # Only the grants and response types eCPA allows exist (civlearn/sso/clients.py); DOT's own gates
        # and its metadata say the same.
        "OAUTH2_SERVER_CLASS": "civlearn.sso.clients.Server",
        "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
        "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
        "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
        "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code"],
        "OAUTH2_GRANT_TYPES_SUPPORTED": ["authorization_code", "client_credentials", "refresh_token"],
    }
)
# Client secrets are long random strings: a keyed fast hash is enough and keeps the token endpoint from paying a
# password hash. Listed last, so no person's password is ever hashed with it.
PASSWORD_HASHERS = [*PASSWORD_HASHERS, "civlearn.sso.oidc.ClientSecretHasher"]
# Named explicitly because the hours app's InstitutionClient points at it: migrations resolve it through settings.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"

SPECTACULAR_SETTINGS = {
    "TITLE": "civlearn API",
    "DESCRIPTION": "JSON APIs of civlearn (identity, learning, hours).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The hours API takes OAuth 2 client-credentials tokens from /o/token/.
    "OAUTH2_FLOWS": ["clientCredentials"],
    "OAUTH2_TOKEN_URL": "/o/token/",
    "OAUTH2_SCOPES": {"read": "讀取", "write": "寫入"},
}

# Every uploaded spreadsheet (civlearn/core/spreadsheets.py): data rows per sheet or CSV, and an .xlsx archive's size
# once inflated; a file over either is refused before it is parsed.
SPREADSHEET_MAX_ROWS = env_int("SPREADSHEET_MAX_ROWS", 500_000)
SPREADSHEET_MAX_UNPACKED_MB = env_int("SPREADSHEET_MAX_UNPACKED_MB", 300)
# Job rows (core/jobs.py: hours uploads, registry imports): the running job stamps its row every HEARTBEAT seconds;
# one without a stamp for STALE seconds has lost its worker and is marked failed (by the job pages and `hours_jobs
# reclaim` / `registry_jobs reclaim`, run every minute). The old names HOURS_JOB_HEARTBEAT_SECONDS and
# HOURS_JOB_STALE_SECONDS are still read when the new ones are unset (deprecated: README, "Configuration").
JOB_HEARTBEAT_SECONDS = env_int("JOB_HEARTBEAT_SECONDS", env_int("HOURS_JOB_HEARTBEAT_SECONDS", 10))
JOB_STALE_SECONDS = env_int("JOB_STALE_SECONDS", env_int("HOURS_JOB_STALE_SECONDS", 60))
HOURS_CHECKIN_CODE_SECONDS = env_int("HOURS_CHECKIN_CODE_SECONDS", 120)
# Gaps (docs/gaps.md): words of 人事資料庫人員區分 that make a person 編制外 (contract staff) for their agency's cutoff.
HOURS_CONTRACT_CATEGORY_WORDS = tuple(
    word.strip()
    for word in env_str("HOURS_CONTRACT_CATEGORY_WORDS", "約聘,約僱,聘用,聘僱,臨時,派遣,編制外").split(",")
    if word.strip()
)
# 行事曆: what higher apps add to a person's calendar (hours never imports them; docs/architecture.md).
HOURS_CALENDAR_SOURCES = ["civlearn.learning.selectors.calendar_course_events"]

# Identity policy (eCPA rules from the manual; operators may tighten them).
PASSWORD_MAX_AGE_DAYS = env_int("PASSWORD_MAX_AGE_DAYS", 180)
PASSWORD_MIN_AGE_HOURS = env_int("PASSWORD_MIN_AGE_HOURS", 2)
PASSWORD_HISTORY = env_int("PASSWORD_HISTORY", 3)
FIRST_SIGNIN_CODE_TTL_MINUTES = env_int("FIRST_SIGNIN_CODE_TTL_MINUTES", 30)
SIGNIN_MAX_FAILURES = env_int("SIGNIN_MAX_FAILURES", 5)
SIGNIN_LOCK_MINUTES = env_int("SIGNIN_LOCK_MINUTES", 15)
SIGNIN_MAX_PER_ADDRESS = env_int("SIGNIN_MAX_PER_ADDRESS", 30)
# How long an address that reached SIGNIN_MAX_PER_ADDRESS waits; browsers with a device cookie for the account do
# not (identity/devices.py).
SIGNIN_ADDRESS_SLOWDOWN_MINUTES = env_int("SIGNIN_ADDRESS_SLOWDOWN_MINUTES", 15)
SIGNIN_DEVICE_COOKIE_DAYS = env_int("SIGNIN_DEVICE_COOKIE_DAYS", 180)
# First sign-in / forgotten-password requests per national ID and per address within an hour; wrong codes per link.
FIRST_SIGNIN_MAX_PER_ID = env_int("FIRST_SIGNIN_MAX_PER_ID", 5)
FIRST_SIGNIN_MAX_PER_ADDRESS = env_int("FIRST_SIGNIN_MAX_PER_ADDRESS", 20)
FIRST_SIGNIN_MAX_CODE_ATTEMPTS = env_int("FIRST_SIGNIN_MAX_CODE_ATTEMPTS", 5)
# The eCPA password policy (manual step 八), also applied by the admin and `changepassword`.
AUTH_PASSWORD_VALIDATORS = [{"NAME": "civlearn.identity.passwords.EcpaPasswordValidator"}]

# Certificate card sign-in (docs/certificate-signin.md). Self-signed PEM files in the directory are trust anchors,
# the others intermediates. Revocation: "require" (fail closed), "hard-fail" or "soft-fail".
CERT_TRUST_ANCHORS_DIR = env_str("CERT_TRUST_ANCHORS_DIR", str(BASE_DIR / "var" / "trust-anchors"))
CERT_CRL_DIR = env_str("CERT_CRL_DIR")
CERT_FETCH_REVOCATION = env_bool("CERT_FETCH_REVOCATION", True)
CERT_REVOCATION_MODE = env_str("CERT_REVOCATION_MODE", "require")
if CERT_REVOCATION_MODE not in ("require", "hard-fail", "soft-fail"):
    raise ImproperlyConfigured("CERT_REVOCATION_MODE must be require, hard-fail or soft-fail")
CERT_CHALLENGE_TTL_SECONDS = env_int("CERT_CHALLENGE_TTL_SECONDS", 120)
CERT_SIGNER_URL = env_str("CERT_SIGNER_URL", "http://127.0.0.1:61161").rstrip("/")
# Passkeys: the relying-party id is the host people open the site at; origins default to the request's own.
WEBAUTHN_RP_ID = env_str("WEBAUTHN_RP_ID", SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0])
WEBAUTHN_RP_NAME = env_str("WEBAUTHN_RP_NAME", "人事服務網 eCPA")
WEBAUTHN_ORIGINS = env_list("WEBAUTHN_ORIGINS")
PASSKEY_REAUTH_MINUTES = env_int("PASSKEY_REAUTH_MINUTES", 5)
# SCORM: package content runs on its own origin (docs/scorm.md); unset on 127.0.0.1/localhost the other loopback
# name is used. Extracted packages live under SCORM_ROOT, never under MEDIA_ROOT.
SCORM_CONTENT_ORIGIN = env_str("SCORM_CONTENT_ORIGIN").rstrip("/")
SCORM_ROOT = Path(env_str("SCORM_ROOT", str(VAR_DIR / "scorm")))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"mask_ids": {"()": "civlearn.core.logging.MaskNationalIdFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["mask_ids"]},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
