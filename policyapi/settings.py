"""Settings for policyapi, read from the environment only.

Every variable is optional for the embedded development run; the defaults are the safe ones
(debug off, SQLite file beside the code). With debug off, DJANGO_SECRET_KEY is required.
A development checkout keeps its own variables in `.env` (written by `make run`), which fills in
what the environment does not set.
A value that cannot be parsed stops start-up with ImproperlyConfigured naming the variable.
The README's "Configuration" table lists every variable.
"""

import os
import re
from pathlib import Path
from typing import Any

import dj_database_url
from corsheaders.defaults import default_headers, default_methods
from django.core.exceptions import ImproperlyConfigured
from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent

# A development checkout's variables: `make run` (and `make data`) write `.env` (untracked) with
# DJANGO_DEBUG=1, so that a manage.py command typed in any terminal runs as `make run` does. A
# variable set in the environment wins over the file (scripts/serve.sh sets DJANGO_DEBUG=0), and
# a production host has no such file. POLICYAPI_ENV_FILE names another file, or none when empty
# (the tests read none: a developer's file must not change what they check).
ENV_FILE = os.environ.get("POLICYAPI_ENV_FILE", str(BASE_DIR / ".env"))
if ENV_FILE:
    load_dotenv(ENV_FILE, override=False)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool = False) -> bool:
    """Read a boolean variable; anything but a recognised spelling is a configuration error."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean: use one of {sorted(_TRUE)} or {sorted(_FALSE - {''})}."
    )


def env_list(name: str, default: list[str]) -> list[str]:
    """Read a comma-separated list; empty items are ignored."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None


def env_rate(name: str, default: str) -> str:
    """A throttle rate such as '120/min' (per second, minute, hour or day)."""
    raw = os.environ.get(name, default).strip()
    match = re.fullmatch(r"(\d+)/(s|sec|second|m|min|minute|h|hour|d|day)", raw)
    if not match or int(match.group(1)) < 1:
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a rate: use a count per period, e.g. 120/min (s, min, h, day)."
        )
    return raw


def env_database(name: str, default: str) -> dict[str, Any]:
    """Parse a database URL (sqlite:/// or postgres://) into a Django DATABASES entry."""
    return parse_database(os.environ.get(name) or default, name)


PREPARE_THRESHOLD = 5  # psycopg's default: a query is prepared on its fifth run on a connection


def parse_database(url: str, name: str) -> dict[str, Any]:
    """A Django DATABASES entry for a URL; `name` says where the URL came from in errors."""
    try:
        config: dict[str, Any] = dict(dj_database_url.parse(url))
    except (ValueError, KeyError) as exc:
        raise ImproperlyConfigured(f"{name} is not a usable database URL: {exc}") from exc
    engine = config.get("ENGINE")
    if engine == "django.db.backends.postgresql":
        # Django's backend, with a connection the server closed (a restart,
        # pg_terminate_backend) found out and replaced when it is taken from the pool, by its
        # socket rather than by a round trip on every request (policyapi/postgresql/base.py).
        config["ENGINE"] = "policyapi.postgresql"
        # Django's built-in psycopg 3 pool keeps connections open between requests; it
        # requires CONN_MAX_AGE = 0 (the pool, not Django, decides a connection's lifetime).
        config["CONN_MAX_AGE"] = 0
        # Off: the backend checks pooled connections itself (Django's check is a query).
        config["CONN_HEALTH_CHECKS"] = False
        # The API runs many short queries: compiling them just in time costs more than it saves.
        # And its working set is in memory (or on SSD): a random read costs about a sequential
        # one, not PostgreSQL's default 4x, which made the planner hash a whole table (every
        # participant, for a page's 60 participations) rather than probe its primary key.
        options = "-c jit=off -c random_page_cost=1.1"
        # A bound on each statement, for the app servers of a public service (a request that
        # runs past it gets 503, events/problems.py); off unless set, so that migrations and
        # imports, run with their own environment, are never cut short.
        timeout = env_int("DATABASE_STATEMENT_TIMEOUT", 0)
        if timeout < 0:
            raise ImproperlyConfigured(
                f"DATABASE_STATEMENT_TIMEOUT={timeout} is negative: give seconds, or 0 for none."
            )
        if timeout:
            options += f" -c statement_timeout={timeout * 1000}"
        config.setdefault("OPTIONS", {})["options"] = options
        # Parameters sent apart from the query text (server-side binding), so that a query a
        # connection runs again (every read runs the same dozen) is parsed and planned once, as
        # a prepared statement (psycopg prepares a query on its PREPARE_THRESHOLD-th run): half
        # the database time of an event's detail. Off for a transaction-pooling PgBouncer older
        # than 1.21, which cannot keep prepared statements (README: Configuration).
        if env_bool("DATABASE_PREPARED_STATEMENTS", default=True):
            config["OPTIONS"]["server_side_binding"] = True
            config["OPTIONS"]["prepare_threshold"] = PREPARE_THRESHOLD
        config.setdefault("OPTIONS", {})["pool"] = {
            "min_size": env_int("DATABASE_POOL_MIN_SIZE", 2),
            # Enough for every thread of a worker (and then some); a request waits at most
            # `timeout` seconds for a free connection.
            "max_size": env_int("DATABASE_POOL_MAX_SIZE", 20),
            "timeout": env_int("DATABASE_POOL_TIMEOUT", 3),
        }
    elif engine == "django.db.backends.sqlite3":
        # Writers take the database lock when their transaction begins, not at their first
        # write: two read-then-write transactions then queue instead of failing with
        # "database is locked" (and an If-Match check and its write stay one atomic step).
        config.setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
    else:
        raise ImproperlyConfigured(
            f"{name} selects {engine!r}; only PostgreSQL (postgres://) and SQLite (sqlite:///) "
            "are supported."
        )
    if not config.get("NAME"):
        raise ImproperlyConfigured(f"{name} names no database.")
    return config


DEBUG = env_bool("DJANGO_DEBUG", default=False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off. "
            "For local development run `make run` (or `make data`), which writes .env turning "
            "debug on."
        )
    # Development only: never used with debug off (see above).
    SECRET_KEY = "django-insecure-development-only-key-do-not-deploy"  # noqa: S105

# Former keys, still accepted on what they signed (sessions, cursors) while clients move on.
SECRET_KEY_FALLBACKS = env_list("DJANGO_SECRET_KEY_FALLBACKS", [])

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "rest_framework.authtoken",
    "simple_history",
    "events",
]

MIDDLEWARE = [
    # A request id and one log line for every request (outermost, so nothing escapes it).
    "events.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files straight from gunicorn, before anything else looks at the request.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A write request reads from the primary database too (events/routers.py).
    "events.routers.PrimaryForWritesMiddleware",
    # 503 instead of 500 while the database is unreachable (outermost: sessions need it too).
    "events.middleware.DatabaseUnavailableMiddleware",
    # Before CommonMiddleware, so that CORS headers reach every response, redirects included.
    "corsheaders.middleware.CorsMiddleware",
    # A 400 for a query string that is not UTF-8 once percent-decoded (Django would read U+FFFD).
    "events.middleware.MalformedQueryMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "events.middleware.CommonMiddleware",
    # ETag on every GET, and 304 Not Modified for a matching If-None-Match.
    "events.middleware.ConditionalGetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Request bodies over the limit are refused (413) before anything reads them.
    "events.middleware.RequestSizeLimitMiddleware",
    # Django's, outside /api/ (the admin's notices; no API answer has any).
    "events.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records the logged-in user as the author of every change saved during a request.
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "policyapi.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "policyapi.wsgi.application"

DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}

# Read replicas: each URL of DATABASE_REPLICA_URLS becomes an alias (replica1, replica2, ...).
# events/routers.py sends reads to them and writes, reads inside a transaction and every query
# of a write request to the primary ("default"). Under test, a replica is the test database
# itself (TEST MIRROR), as streaming replication would make it.
DATABASE_REPLICAS: list[str] = []
for _number, _url in enumerate(env_list("DATABASE_REPLICA_URLS", []), start=1):
    _alias = f"replica{_number}"
    DATABASES[_alias] = parse_database(_url, f"DATABASE_REPLICA_URLS ({_alias})")
    DATABASES[_alias]["TEST"] = {"MIRROR": "default"}
    DATABASE_REPLICAS.append(_alias)
DATABASE_ROUTERS = ["events.routers.PrimaryReplicaRouter"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# `collectstatic` gathers the admin's, Swagger UI's and ReDoc's files here; WhiteNoise serves
# them from gunicorn (`make serve`).
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
# Production names each file by its content hash (base.1a2b3c.css) and keeps gzip copies beside
# them, so WhiteNoise can let browsers and CDNs cache them for a year and send them compressed.
# That needs `collectstatic` first, which the development server and the tests do without.
# Files served at the site's root, by WhiteNoise as static files (browsers ask for /favicon.ico).
WHITENOISE_ROOT = BASE_DIR / "policyapi" / "public"
STATIC_MANIFEST = env_bool("DJANGO_STATIC_MANIFEST", default=not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The browsable API's and Swagger UI's login (auth/login/) returns to the API.
LOGIN_URL = "/auth/login/"
LOGIN_REDIRECT_URL = "/api/v1/"
LOGOUT_REDIRECT_URL = "/api/v1/"

# `python manage.py loaddata article` finds fixtures/article.json.
FIXTURE_DIRS = [BASE_DIR / "fixtures"]

# --- API -----------------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": [
        "events.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["events.parsers.JSONParser"],
    # DRF's, with the plain JSON request's answer found without parsing Accept.
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "events.renderers.ContentNegotiation",
    "DEFAULT_FILTER_BACKENDS": ["events.filters.StrictFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "events.pagination.PageNumberPagination",
    "DEFAULT_SCHEMA_CLASS": "events.schema.AutoSchema",
    "EXCEPTION_HANDLER": "events.problems.exception_handler",
    # Token first: an anonymous write then gets 401 with `WWW-Authenticate: Token`. Sessions
    # (with CSRF) serve people logged in to the browsable API and Swagger UI. Neither reads a
    # credential from the query string.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Reads are public; a write needs the model's add/change/delete permission.
    "DEFAULT_PERMISSION_CLASSES": ["events.permissions.ModelPermissionsOrReadOnly"],
    "DEFAULT_THROTTLE_CLASSES": [
        "events.throttling.AnonymousRateThrottle",
        "events.throttling.UserRateThrottle",
    ],
    # Rates are numbers in JSON (29.0), not strings.
    "COERCE_DECIMAL_TO_STRING": False,
    "URL_FORMAT_OVERRIDE": "format",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "policyapi",
    "VERSION": "1.0.0",
    "DESCRIPTION": (BASE_DIR / "events" / "api_description.md").read_text(encoding="utf-8"),
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "tryItOutEnabled": True, "validatorUrl": None},
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Relative: whichever host serves the schema serves the API (what OpenAPI assumes without
    # `servers`, said explicitly so that linters and client generators need not guess).
    "SERVERS": [{"url": "/", "description": "The host this schema is served from."}],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "DatePrecisionEnum": "events.models.DatePrecision",
        "EventTypeEnum": "events.models.EventType",
        "ParticipantKindEnum": "events.models.ParticipantKind",
        "ParticipationRoleEnum": "events.models.ParticipationRole",
        "RelationTypeEnum": "events.models.RelationType",
        "StatementKindEnum": "events.models.StatementKind",
        "MeasureTypeEnum": "events.models.MeasureType",
        "MeasureStatusEnum": "events.models.MeasureStatus",
        "SourceBodyKindEnum": "events.models.Source.BodyKind",
        "ChangeKindEnum": "events.models.ChangeKind",
        "CitationTargetEnum": "events.models.CITATION_TARGETS",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "events.schema.finish_schema",
    ],
    "TAGS": [
        {"name": "events", "description": "Diplomatic events: calls, meetings, statements, ..."},
        {"name": "participants", "description": "People and organizations taking part."},
        {"name": "countries", "description": "Countries (ISO 3166-1), their events and measures."},
        {"name": "topics", "description": "The topic tree events are filed under."},
        {"name": "tariff-measures", "description": "Tariffs: who imposes them on whom, when."},
        {"name": "statements", "description": "What participants said, verbatim."},
        {"name": "sources", "description": "The documents every fact is cited from."},
        {"name": "changes", "description": "The change feed, for clients that mirror the data."},
        {"name": "auth", "description": "Getting an API token for writes."},
        {"name": "service", "description": "The API root."},
    ],
}

# Requests per client: anonymous ones by IP address, authenticated ones by user. Token and login
# endpoints have a stricter rate of their own, per IP address.
THROTTLE_RATES = {
    "anon": env_rate("THROTTLE_ANON_RATE", "300/min"),
    "user": env_rate("THROTTLE_USER_RATE", "1200/min"),
    "auth": env_rate("THROTTLE_AUTH_RATE", "10/min"),
}
# Proxies in front of the service whose X-Forwarded-For names the client (0: none; trust no
# header by default, and count clients by the socket's peer address).
NUM_PROXIES = env_int("NUM_PROXIES", 0)
if NUM_PROXIES < 0:
    raise ImproperlyConfigured(f"NUM_PROXIES={NUM_PROXIES} must be 0 or more.")
# DRF reads None as "trust X-Forwarded-For whatever it says": keep 0 as 0.
REST_FRAMEWORK["NUM_PROXIES"] = NUM_PROXIES

# Request bodies larger than this get 413 (the API's JSON bodies are small).
MAX_REQUEST_BODY_BYTES = env_int("MAX_REQUEST_BODY_BYTES", 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES

# Cache (throttle state included): Redis when REDIS_URL is set, so that several app servers
# share it; process memory otherwise.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    if not re.match(r"^rediss?://", REDIS_URL):
        raise ImproperlyConfigured(f"REDIS_URL={REDIS_URL!r} is not a redis:// or rediss:// URL.")
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "policyapi"),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "policyapi"),
        }
    }

# Public JSON reads are rendered once per data version and served from the cache until the
# next write (events/caching.py): for how long at most (0: no response cache), and up to what
# body size.
RESPONSE_CACHE_SECONDS = env_int("RESPONSE_CACHE_SECONDS", 3600)
RESPONSE_CACHE_MAX_BYTES = env_int("RESPONSE_CACHE_MAX_BYTES", 256 * 1024)

# --- security --------------------------------------------------------------------------------
# Production defaults are the safe ones; each can be relaxed through its variable (a local
# HTTP run sets DJANGO_SECURE_SSL_REDIRECT=0, for example). With debug on, they are off.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env_bool("DJANGO_CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
CSRF_FAILURE_VIEW = "events.problems.csrf_failure"
# Behind a proxy that terminates TLS: the header it sets and the value meaning HTTPS, e.g.
# "HTTP_X_FORWARDED_PROTO=https". Unset by default: trusting a header a client can forge is
# only safe when the proxy always sets it.
_proxy_header = os.environ.get("DJANGO_SECURE_PROXY_SSL_HEADER", "")
if _proxy_header:
    _name, _, _value = _proxy_header.partition("=")
    if not re.fullmatch(r"HTTP_[A-Z0-9_]+", _name) or not _value:
        raise ImproperlyConfigured(
            "DJANGO_SECURE_PROXY_SSL_HEADER must look like HTTP_X_FORWARDED_PROTO=https."
        )
    SECURE_PROXY_SSL_HEADER = (_name, _value)

# Browser apps on other origins may read the API. "*" allows every origin; credentials (cookies)
# are never sent cross-origin.
_cors_origins = env_list("CORS_ALLOWED_ORIGINS", ["*"])
for _origin in _cors_origins:
    if _origin != "*" and not re.fullmatch(r"https?://[^/\s]+", _origin):
        raise ImproperlyConfigured(
            f"CORS_ALLOWED_ORIGINS: {_origin!r} is not an origin such as https://app.example.org "
            "(scheme and host, optional port, no path), nor '*'."
        )
CORS_ALLOW_ALL_ORIGINS = _cors_origins == ["*"]
CORS_ALLOWED_ORIGINS = [] if CORS_ALLOW_ALL_ORIGINS else _cors_origins
CORS_URLS_REGEX = r"^/api/.*$"
# A browser app may also write with a token (`Authorization`, among django-cors-headers'
# default request headers): no cookie is ever sent cross-origin (credentials off), so another
# site cannot write with an editor's session, and a token is something the app was given.
CORS_ALLOW_METHODS = [*default_methods, "HEAD"]
CORS_ALLOW_CREDENTIALS = False
# The request headers the README invites clients to send: revalidation (If-None-Match), a
# write's precondition (If-Match), and the id to quote when reporting a problem (X-Request-ID).
CORS_ALLOW_HEADERS = [*default_headers, "if-none-match", "if-match", "x-request-id"]
# The response headers the README invites clients to read; a browser hides every other one from
# a script of another origin.
CORS_EXPOSE_HEADERS = [
    "ETag",  # If-None-Match and If-Match (Caching; Concurrency)
    "Location",  # a created record's URL (201)
    "Retry-After",  # 429 and 503: when to try again
    "X-Request-ID",  # what to quote in a report (Logs)
    "Content-Disposition",  # an export's file name
]

# --- logs --------------------------------------------------------------------------------------
# Every record is one JSON line on stderr (events/logs.py): one per request from
# policyapi.requests, and errors with their traceback and the id of the request they belong to.
# LOG_LEVEL=WARNING keeps the errors and drops the per-request lines.
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(
        f"LOG_LEVEL={LOG_LEVEL!r} is not a level: DEBUG, INFO, WARNING, ERROR or CRITICAL."
    )
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "events.logs.JsonFormatter"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["stderr"], "level": "WARNING"},
    "loggers": {
        "policyapi": {"handlers": ["stderr"], "level": LOG_LEVEL, "propagate": False},
        "django": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
        # 5xx with their traceback; 4xx are in the request lines already.
        "django.request": {"handlers": ["stderr"], "level": "ERROR", "propagate": False},
        # Each request already has our line; the development server's own line is a repeat.
        "django.server": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
    },
}
