"""One settings module, read from the environment (healthchecks style).

Embedded default: SQLite and the in-memory channel layer, nothing else to start.
Production: DATABASE_URL (PostgreSQL) and REDIS_URL (channels_redis), DEBUG=0, a real SECRET_KEY.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(int(default))).strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-change-me-in-production-" + "x" * 20)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "http://127.0.0.1:8000,http://localhost:8000")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "meetings",
    "livestream",
    "minutes",
    "captions",
    "archive_search",
    "mediaworker",
    "frontend",
    "accounts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "asgi.application"

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
                "accounts.context_processors.oidc_login",
            ],
        },
    },
]

# SQLite by default; DATABASE_URL=postgres://... in production and in the PostgreSQL test pass.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{os.environ.get('SQLITE_PATH', BASE_DIR / 'db.sqlite3')}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock up front, so two services racing on one meeting
    # queue on the lock instead of failing with "database is locked" on upgrade.
    DATABASES["default"]["OPTIONS"] = {"timeout": 30, "transaction_mode": "IMMEDIATE"}
    # A file, not :memory: (async tests reach it from other threads), and one per test run, so that
    # two runs on one machine never flush each other's tables.
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("SQLITE_TEST_PATH", str(BASE_DIR / f".test-db-{os.getpid()}.sqlite3"))}

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # Each test worker (pytest-xdist) gets its own key prefix, so two workers' groups never meet
            # in one Redis; every other process keeps channels_redis's default.
            "CONFIG": {"hosts": [REDIS_URL], "capacity": 1000, "expiry": 30,
                       "prefix": "asgi" + os.environ.get("PYTEST_XDIST_WORKER", "")},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 1000}}}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "nb"
# A language is only a catalogue: locale/<code>/ (and minutes/locale/<code>/) plus a line here.
LANGUAGES = [("nb", "Norsk bokmål"), ("nn", "Norsk nynorsk"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates and times through Django's localisation; config/formats/ only overrides what the minutes need
# ("1 December 2026" in English, not Django's "Dec. 1, 2026"; "kl. 18.02" in Norwegian).
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "Europe/Oslo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
SERVE_STATIC = env_bool("SERVE_STATIC", True)  # set 0 when a reverse proxy serves STATIC_ROOT
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
# WhiteNoise serves STATIC_URL before any view; a path it does not hold (`..` and `%2e%2e` included) goes on
# to the URLconf, which answers 404. DEBUG=1 reads the apps' static folders as they are; DEBUG=0 serves
# collectstatic's files from STATIC_ROOT, hashed and gzipped (config/storage.py): run collectstatic first.
if SERVE_STATIC:
    MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
                      "whitenoise.middleware.WhiteNoiseMiddleware")
    INSTALLED_APPS.insert(0, "whitenoise.runserver_nostatic")  # `runserver` too leaves /static/ to WhiteNoise
# Read once, from the environment: the test runner's DEBUG=False must not change where files come from.
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage" if DEBUG
                    else "config.storage.StaticStorage"},
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var"))
# Uploaded case papers (meetings/papers.py): the largest file a clerk may upload. Papers go through the
# "default" storage: MEDIA_ROOT here; an S3-compatible store by setting FILE_STORAGE_BACKEND (for
# instance storages.backends.s3.S3Storage, with django-storages installed and its AWS_* settings).
# E-mail (absences to the clerks, summons to deputies, meetings/notify.py): the console unless set.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))  # the file backend's outbox
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", 25))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "0") == "1"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "moter@localhost")
PAPER_MAX_BYTES = int(os.environ.get("PAPER_MAX_BYTES", 25 * 1024 * 1024))
if os.environ.get("FILE_STORAGE_BACKEND"):
    STORAGES["default"] = {"BACKEND": os.environ["FILE_STORAGE_BACKEND"]}
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

# OpenID Connect login, ID-porten-ready (accounts/oidc.py, docs/idporten.md): beside the local passwords,
# off until OIDC_DISCOVERY_URL names the provider's discovery document (the embedded default has none).
OIDC_DISCOVERY_URL = os.environ.get("OIDC_DISCOVERY_URL", "")
OIDC_PROVIDER_NAME = os.environ.get("OIDC_PROVIDER_NAME", "ID-porten")  # on the login page's button
OIDC_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "")
OIDC_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "")
# private_key_jwt signs a client assertion with this RSA key (PEM), its public half registered with the
# provider under OIDC_PRIVATE_KEY_ID (the JWT's kid); otherwise the client secret, sent as HTTP Basic.
OIDC_PRIVATE_KEY_FILE = os.environ.get("OIDC_PRIVATE_KEY_FILE", "")
OIDC_PRIVATE_KEY_ID = os.environ.get("OIDC_PRIVATE_KEY_ID", "")
OIDC_CLIENT_AUTH_METHOD = os.environ.get(
    "OIDC_CLIENT_AUTH_METHOD", "private_key_jwt" if OIDC_PRIVATE_KEY_FILE else "client_secret_basic")
OIDC_SCOPES = os.environ.get("OIDC_SCOPES", "openid profile")
# The level asked for, and the levels accepted in the ID token's acr (ID-porten may answer a higher one).
OIDC_ACR_VALUES = os.environ.get("OIDC_ACR_VALUES", "idporten-loa-substantial")
OIDC_ACCEPTED_ACR = env_list("OIDC_ACCEPTED_ACR", "idporten-loa-substantial,idporten-loa-high")
# The claim that names the person: pid (ID-porten's national identity number) or sub, matched against a
# person's login id (Person.login_id), or email, matched against their user's e-mail address.
OIDC_PERSON_CLAIM = os.environ.get("OIDC_PERSON_CLAIM", "pid")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so that a refused token answers 401 with `WWW-Authenticate: Token` (DRF asks the first class).
        "meetings.api_auth.ApiTokenAuthentication",  # expiring, revocable (meetings/services/tokens.py)
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "meetings.api_errors.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
}
# Every REST body is read by one bounded JSON parser (size and nesting depth, meetings/api_json.py).
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = ["meetings.api_json.JSONBodyParser"]
# drf-spectacular's schema class (named above) extended: every error status each operation can answer,
# in the error shape (meetings/api_schema.py).
REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] = "meetings.api_schema.AutoSchema"
SPECTACULAR_SETTINGS = {
    "TITLE": "Council meetings API",
    "DESCRIPTION": "Bodies, meetings, agenda, notices and the meeting log (kommuneloven §§ 11-3, 11-4, 11-7).",
    "VERSION": "1",
    # Served by the platform itself: no CDN links.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {"MeetingStateEnum": "meetings.state.MeetingState",
                            "ItemStateEnum": "meetings.state.ItemState",
                            "MeetingFormEnum": "meetings.models.MeetingForm",
                            "VoteKindEnum": "meetings.legal.VoteKind.values",
                            "FloorKindEnum": "meetings.services.floor.KINDS",
                            "ConflictKindEnum": "meetings.services.conflicts.KINDS"},
    # `<id:...>` in the URLs (meetings/ids.py): 1-18 digits, anything else is a 404.
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "minimum": 0, "maximum": 10**18 - 1}},
    "SERVE_INCLUDE_SCHEMA": False,  # the schema endpoint is not an operation of the API
}

# Live protocol limits (meetings/consumers.py, docs/protocol.md "Limits"). A message up to
# WS_TRANSPORT_MAX_BYTES reaches the consumer, which answers one over WS_MAX_MESSAGE_BYTES with
# `too_large`; the web server (config/server.py) closes the connection on a larger one (1009) before
# buffering it.
WS_MAX_MESSAGE_BYTES = env_int("WS_MAX_MESSAGE_BYTES", 64 * 1024)
WS_TRANSPORT_MAX_BYTES = env_int("WS_TRANSPORT_MAX_BYTES", 16 * WS_MAX_MESSAGE_BYTES)
WS_RATE_PER_SECOND = env_float("WS_RATE_PER_SECOND", 20.0)
WS_RATE_BURST = env_int("WS_RATE_BURST", 40)
# Seconds between checks that an open member socket's login (token or session) still holds; once it
# has expired, been revoked or logged out, the socket closes with 4401.
WS_LOGIN_CHECK_SECONDS = env_float("WS_LOGIN_CHECK_SECONDS", 30.0)

# Member media (conference/, run by mediaworker/): no STUN/TURN unless configured; loopback allowed
# for local use and tests.
MEDIA_ICE_SERVERS = env_list("MEDIA_ICE_SERVERS")  # e.g. "turn:turn.example.no:3478?transport=udp"
MEDIA_TURN_USERNAME = os.environ.get("MEDIA_TURN_USERNAME", "")
MEDIA_TURN_PASSWORD = os.environ.get("MEDIA_TURN_PASSWORD", "")
MEDIA_HOST_ADDRESSES = env_list("MEDIA_HOST_ADDRESSES", "127.0.0.1")
# Media workers per deployment (meeting m is pinned to worker m % MEDIA_WORKERS); 0: this server runs
# no member media, and members' media messages are refused.
MEDIA_WORKERS = env_int("MEDIA_WORKERS", 1)
MEDIA_IN_PROCESS = env_bool("MEDIA_IN_PROCESS", not REDIS_URL)
MEDIA_AUDIO_ONLY_LOSS = env_float("MEDIA_AUDIO_ONLY_LOSS", 0.10)
MEDIA_AUDIO_ONLY_RTT_MS = env_float("MEDIA_AUDIO_ONLY_RTT_MS", 800.0)
# Seconds a measured loss (no audio or video packets, not receiving) must last before it counts and is
# logged; shorter dips change nothing (conference/room.py). Recovery counts at once.
MEDIA_PRESENCE_GRACE = env_float("MEDIA_PRESENCE_GRACE", 3.0)

# Public stream (livestream/).
LIVESTREAM_ROOT = Path(os.environ.get("LIVESTREAM_ROOT", MEDIA_ROOT / "live"))
LIVESTREAM_MAX_WEBRTC_VIEWERS = env_int("LIVESTREAM_MAX_WEBRTC_VIEWERS", 20)
# Seconds from the server's answer to a connected low-latency viewer before its place is freed again.
LIVESTREAM_WEBRTC_CONNECT_TIMEOUT = env_float("LIVESTREAM_WEBRTC_CONNECT_TIMEOUT", 10.0)
LIVESTREAM_ENABLED = env_bool("LIVESTREAM_ENABLED", True)
LIVESTREAM_WIDTH = env_int("LIVESTREAM_WIDTH", 640)
LIVESTREAM_HEIGHT = env_int("LIVESTREAM_HEIGHT", 360)
LIVESTREAM_FPS = env_int("LIVESTREAM_FPS", 15)
LIVESTREAM_SEGMENT_SECONDS = env_float("LIVESTREAM_SEGMENT_SECONDS", 1.0)
# Low-Latency HLS partial segments (rounded to whole frames; 1/3 s = 5 frames at 15 fps).
LIVESTREAM_PART_SECONDS = env_float("LIVESTREAM_PART_SECONDS", 1 / 3)
LIVESTREAM_WINDOW = env_int("LIVESTREAM_WINDOW", 6)  # segments in the live playlist
RECORDING_RETENTION_DAYS = env_int("RECORDING_RETENTION_DAYS", 3650)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# Logins and HTTP security (README, "Logins and security"): failed logins lock out, API tokens and
# sessions expire, every page carries a Content-Security-Policy, and with DEBUG=0 only HTTPS is served.
INSTALLED_APPS += ["axes", "csp"]
# axes last, as its docs ask: it turns a lockout found while the view ran into the lockout page (which
# CSPMiddleware, outside it, then gives its policy too).
MIDDLEWARE += ["csp.middleware.CSPMiddleware", "axes.middleware.AxesMiddleware"]
# Inside CSPMiddleware, which reads what it adds to a response's policy.
MIDDLEWARE.insert(MIDDLEWARE.index("csp.middleware.CSPMiddleware") + 1, "accounts.middleware.ProviderLogoutFormAction")
# axes' backend first: it refuses a locked-out login before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
# AXES_FAILURE_LIMIT failures in a row for one username from one address lock that pair out (the login
# page, the admin's and POST /api/auth/token/ alike) for AXES_COOLOFF_MINUTES, even with the right
# password; a success resets the count. By username and address, so that guessing from one address
# cannot lock a member out of their own device elsewhere.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "frontend.views.locked_out"
# Failures are kept until they reset or cool off; successful logins are not logged again (Django keeps
# each user's last_login, and each API token its created and last_used).
AXES_DISABLE_ACCESS_LOG = True
# Hours an API token from POST /api/auth/token/ works (one per device; its owner lists and revokes them).
API_TOKEN_TTL_HOURS = env_float("API_TOKEN_TTL_HOURS", 12)
# Seconds a login in the browser lasts, from the moment of logging in (Django's default is two weeks).
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 3600)
# With DEBUG=0, `seed_demo` refuses to run and the server to start while logins with the published
# demo password exist (meetings/checks.py); DEMO_SITE=1 allows both, for a public demonstration server.
DEMO_SITE = env_bool("DEMO_SITE", False)

# No inline script or style and no eval on any page: scripts, styles and media come from this server
# only. The live pages talk to it over WebSockets (same origin: 'self', and SITE_URL's ws/wss origin for
# browsers that do not count ws: as 'self'); the HLS player (hls.js) plays from blob: URLs of Media
# Source Extensions and runs its demuxer in a blob: worker. No page may be framed (clickjacking).
_SITE_WS = SITE_URL.rstrip("/").replace("https://", "wss://", 1).replace("http://", "ws://", 1)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "media-src": ["'self'", "blob:"],
        "worker-src": ["'self'", "blob:"],
        "connect-src": ["'self'", _SITE_WS],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        # With a provider login, its logout origin too (accounts/middleware.py).
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# The browsable API's pages, and the Swagger UI's, are the only ones that allow inline style: their
# templates are DRF's and drf-spectacular's (meetings/api_pages.py).
REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = ["rest_framework.renderers.JSONRenderer",
                                              "meetings.api_pages.BrowsableAPIRenderer"]
X_FRAME_OPTIONS = "DENY"  # frame-ancestors for browsers without CSP level 2
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"  # links to other sites carry no address of ours
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # A load balancer's health check may ask over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    # Behind a proxy that ends TLS, the header by which it says the request came over HTTPS (it must set
    # or strip it on every request: a client could otherwise claim HTTPS); empty: no such proxy.
    _proxy_ssl_header = os.environ.get("SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto").strip()
    if _proxy_ssl_header:
        SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https")
