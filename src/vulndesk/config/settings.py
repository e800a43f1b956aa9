"""The one settings module. Production differs from development only through environment variables.

`VULNDESK_MODE` is `embedded` (the default: SQLite and a generated secret key in the data
folder, as `make run` uses) or `production` (every security-relevant setting must be given and
sound, or start-up fails naming the variable).
"""

import secrets
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from vulndesk.config.env import env_bool, env_int, env_list, env_str
from vulndesk.lib.email_url import InvalidEmailUrl, parse_email_url

MODE = env_str("VULNDESK_MODE", "embedded").strip().lower()
if MODE not in {"embedded", "production"}:
    raise ImproperlyConfigured(f"VULNDESK_MODE: expected 'embedded' or 'production', got {MODE!r}.")
IS_PRODUCTION = MODE == "production"

PACKAGE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("VULNDESK_DATA_DIR", "var")).resolve()


def _embedded_secret_key() -> str:
    """Generate the key once and keep it beside the database, so sessions survive restarts."""
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = env_str("VULNDESK_SECRET_KEY")
DEBUG = env_bool("VULNDESK_DEBUG", default=False)
ALLOWED_HOSTS = env_list("VULNDESK_ALLOWED_HOSTS", "" if IS_PRODUCTION else "localhost,127.0.0.1,[::1],testserver")
BASE_URL = env_str("VULNDESK_BASE_URL", "" if IS_PRODUCTION else "http://127.0.0.1:8000").rstrip("/")
_database_url = env_str("DATABASE_URL")

if IS_PRODUCTION:
    if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure") or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured(
            "VULNDESK_SECRET_KEY: production needs a random key of at least 50 characters "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    if DEBUG:
        raise ImproperlyConfigured("VULNDESK_DEBUG: must be false in production; it would show tracebacks to anyone.")
    if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
        raise ImproperlyConfigured("VULNDESK_ALLOWED_HOSTS: list the host names the site is served under (no '*').")
    if not BASE_URL.startswith("https://"):
        raise ImproperlyConfigured("VULNDESK_BASE_URL: production needs the public https:// address of the site.")
    if not _database_url.startswith(("postgres://", "postgresql://")):
        raise ImproperlyConfigured("DATABASE_URL: production needs a PostgreSQL URL (postgresql://user@host/db).")
elif not SECRET_KEY:
    SECRET_KEY = _embedded_secret_key()

if BASE_URL and not urlsplit(BASE_URL).netloc:
    raise ImproperlyConfigured(f"VULNDESK_BASE_URL: {BASE_URL!r} is not an absolute URL.")

try:
    DATABASES = {
        "default": dj_database_url.parse(_database_url, conn_max_age=60, conn_health_checks=True)
        if _database_url
        else {"ENGINE": "django.db.backends.sqlite3", "NAME": str(DATA_DIR / "vulndesk.sqlite3")}
    }
except ValueError as error:
    raise ImproperlyConfigured(f"DATABASE_URL: {error}") from error
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Short queries are the workload: starting a parallel worker cost 4-5 ms where the serial
    # plan took 0.4 ms (a state's reports by SLA due time), so only plans that save far more get
    # one (decision 0004). A DATABASE_URL with its own ?options= keeps those instead.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c parallel_setup_cost=10000")
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the task worker writes; a busy timeout instead of
    # "database is locked" errors when both write at once.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "vulndesk.core",
    "vulndesk.accounts",
    "vulndesk.catalog",
    "vulndesk.intake",
    "vulndesk.triage",
    "vulndesk.scoring",
    "vulndesk.remediation",
    "vulndesk.releases",
    "vulndesk.advisories",
    "vulndesk.messaging",
    "vulndesk.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "vulndesk.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "vulndesk.accounts.middleware.StaffTwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "vulndesk.config.urls"
WSGI_APPLICATION = "vulndesk.config.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

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
                "vulndesk.core.context_processors.site",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
if not IS_PRODUCTION:
    # collectstatic fills it; until then (tests, a first `check`) whitenoise needs it to exist.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Uploaded files live outside the web root and are only ever served through access checks.
MEDIA_ROOT = DATA_DIR / "media"

TASKS = {"default": {"BACKEND": env_str("VULNDESK_TASK_BACKEND", "django_tasks_db.DatabaseBackend")}}

ORGANIZATION_NAME = env_str("VULNDESK_ORGANIZATION_NAME", "Example Corp PSIRT")

# Staff must sign in with a second factor (TOTP). On by default in production; the embedded demo
# leaves it off so its shared demo logins work without an authenticator app.
ACCOUNTS_REQUIRE_STAFF_TWO_FACTOR = env_bool("VULNDESK_REQUIRE_STAFF_TWO_FACTOR", default=IS_PRODUCTION)

# Caches hold rate-limit counters. Local memory suits one process (the embedded default); with
# several web processes use Redis so they share counts, e.g. VULNDESK_CACHE_URL=redis://cache:6379/0.
_cache_url = env_str("VULNDESK_CACHE_URL")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url}
    if _cache_url
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# Triage: after this many days in Needs info without the researcher's answer, closing is proposed.
TRIAGE_NEEDS_INFO_CLOSE_AFTER_DAYS = env_int("VULNDESK_NEEDS_INFO_CLOSE_AFTER_DAYS", default=30, minimum=1)

# Intake: what researchers are promised, and how much one client may send.
INTAKE_RESPONSE_TARGET_HOURS = env_int("VULNDESK_RESPONSE_TARGET_HOURS", default=72, minimum=1)
INTAKE_SUBMISSIONS_PER_HOUR_PER_ACCOUNT = env_int("VULNDESK_SUBMISSIONS_PER_HOUR_PER_ACCOUNT", default=20, minimum=1)
INTAKE_SUBMISSIONS_PER_HOUR_PER_IP = env_int("VULNDESK_SUBMISSIONS_PER_HOUR_PER_IP", default=60, minimum=1)
INTAKE_ANONYMOUS_SUBMISSIONS_PER_HOUR_PER_IP = env_int(
    "VULNDESK_ANONYMOUS_SUBMISSIONS_PER_HOUR_PER_IP", default=5, minimum=1
)
# The same text sent again within this many minutes is the same report, not a second one.
INTAKE_DUPLICATE_WINDOW_MINUTES = env_int("VULNDESK_DUPLICATE_WINDOW_MINUTES", default=10, minimum=1)
# Attachments: size limits in MiB, and the kinds accepted (judged by content; see intake/filetypes.py).
INTAKE_ATTACHMENT_MAX_BYTES = env_int("VULNDESK_ATTACHMENT_MAX_MB", default=10, minimum=1) * 1024 * 1024
INTAKE_REPORT_ATTACHMENTS_MAX_BYTES = env_int("VULNDESK_REPORT_ATTACHMENTS_MAX_MB", default=50, minimum=1) * 1024 * 1024
INTAKE_ATTACHMENTS_PER_REPORT = env_int("VULNDESK_ATTACHMENTS_PER_REPORT", default=20, minimum=1)
# Mail intake: a callable `(EmailMessage) -> bool` that takes replies (True = dealt with), and
# the loopback address `vulndesk mail serve` listens on.
# Replies by email to a report go into its thread (messaging); empty turns threading off.
INTAKE_MAIL_REPLY_HANDLER = env_str("VULNDESK_MAIL_REPLY_HANDLER", "vulndesk.messaging.inbound.handle_reply")
INTAKE_SMTP_HOST = env_str("VULNDESK_SMTP_HOST", "127.0.0.1")
INTAKE_SMTP_PORT = env_int("VULNDESK_SMTP_PORT", default=2525, minimum=1, maximum=65535)
# Languages the PSIRT reads reports in, for security.txt (RFC 5646 tags).
INTAKE_PREFERRED_LANGUAGES = env_list("VULNDESK_PREFERRED_LANGUAGES", "en")
INTAKE_ATTACHMENT_KINDS = env_list("VULNDESK_ATTACHMENT_TYPES", "text,pdf,png,jpeg,gif,webp,zip,gzip,7z,mp4,webm,pcap")

EMAIL_BACKEND = env_str(
    "VULNDESK_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if IS_PRODUCTION
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = DATA_DIR / "sent-mail"
EMAIL_HOST = env_str("VULNDESK_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("VULNDESK_EMAIL_PORT", default=25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("VULNDESK_EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("VULNDESK_EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("VULNDESK_EMAIL_USE_TLS", default=False)
# One URL for the outgoing mail server (lib/email_url.py); it overrides the separate variables above.
_email_url = env_str("VULNDESK_EMAIL_URL")
if _email_url:
    try:
        _smtp = parse_email_url(_email_url)
    except InvalidEmailUrl as error:
        raise ImproperlyConfigured(f"VULNDESK_EMAIL_URL: {error}.") from None
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD = _smtp.host, _smtp.port, _smtp.user, _smtp.password
    EMAIL_USE_TLS, EMAIL_USE_SSL = _smtp.use_tls, _smtp.use_ssl
EMAIL_TIMEOUT = 30  # a hung mail server must not hold a worker forever; the outbox retries
DEFAULT_FROM_EMAIL = env_str("VULNDESK_FROM_EMAIL", "security@example.com")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if IS_PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("VULNDESK_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Preloading is a near-permanent commitment for the whole domain: the operator opts in.
    SECURE_HSTS_PRELOAD = env_bool("VULNDESK_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    CSRF_TRUSTED_ORIGINS = [BASE_URL]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("VULNDESK_LOG_LEVEL", "INFO").upper()},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
