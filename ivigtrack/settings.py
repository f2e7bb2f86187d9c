"""ivigtrack settings: one module, every deployment difference comes from the environment.

With nothing set, the app runs on one machine out of the box: SQLite and a
filesystem Celery broker under ``var/``, e-mail written to ``var/mail/``,
DEBUG on with a throwaway key. Production sets DEBUG=False, SECRET_KEY,
ALLOWED_HOSTS, DATABASE_URL, REDIS_URL and EMAIL_URL.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A .env file is a convenience for developers; real deployments set the environment.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=True)

# --- Secret key --------------------------------------------------------------
_DEV_SECRET_KEY = "django-insecure-ivigtrack-dev-only-never-use-in-production-0000000000"
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG off ivigtrack refuses to start without a "
            "real secret key: set SECRET_KEY to a long random value, e.g. the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
        )
    SECRET_KEY = _DEV_SECRET_KEY
elif not DEBUG and (SECRET_KEY.startswith("django-insecure") or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "SECRET_KEY looks like a development key (shorter than 50 characters or starting "
        "with 'django-insecure'). Set a long random SECRET_KEY before turning DEBUG off."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Absolute base URL used in e-mail links (e-mails are sent outside any request). With none set it follows
# WEB_PORT, the port `make run PORT=…` serves on: the worker and beat, which write the e-mails, get the
# same WEB_PORT as the web process (honcho gives each process a PORT of its own, so PORT cannot be used).
WEB_PORT = env.int("WEB_PORT", default=8000)
SITE_URL = env.str("SITE_URL", default=f"http://127.0.0.1:{WEB_PORT}").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    # Named partials ({% partialdef %}, "page.html#partial"); it wraps the "django" engine's loaders.
    "template_partials",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "phonenumber_field",
    "reactions",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages are compressed too (the symptom form is 70 KB of HTML, 7 KB gzipped: it matters on a
    # phone). Since Django 4.2 GZipMiddleware pads responses against BREACH ("Heal the Breach"), and
    # CSRF tokens are masked per response. Static files come precompressed from whitenoise.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The browser's Accept-Language picks the language; UserLanguageMiddleware then lets a
    # signed-in user's own choice (User.language) win. No language prefix in URLs.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "reactions.middleware.UserLanguageMiddleware",
    "reactions.middleware.SessionPolicyMiddleware",
    "reactions.middleware.UserTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "reactions.middleware.PermissionsPolicyMiddleware",
    "reactions.middleware.PrivatePagesMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ivigtrack.urls"
WSGI_APPLICATION = "ivigtrack.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "reactions.context_processors.navigation",
            ],
        },
    },
    {
        # E-mail subjects and plain-text bodies (reactions/emails.py): plain text, so nothing in them is
        # HTML-escaped; a patient called O'Brien is not "O&#x27;Brien" in a subject line.
        "NAME": "text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {"autoescape": False},
    },
]

# --- Database ----------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default runs web, worker and beat as three processes on one file:
    # WAL lets readers and the writer overlap, IMMEDIATE avoids lock-upgrade deadlocks.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Every request runs in one transaction: a database error half-way through a POST leaves
# nothing half-saved (the user sees templates/500.html). Work enqueued with
# delay_on_commit leaves only once the request's transaction has committed.
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache ------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


# Template fragments ({% cache %}, django.templatetags.cache) are keyed on a row's version, the language
# and the time zone, so a changed row is a new key and no process ever has to be told to forget one:
# each process keeps its own, in memory, and a release (new processes) starts with none. From Redis, a
# fragment cost about what rendering it does (a round trip per fragment). Each {% cache %} tag sets a
# day's timeout: it bounds what a key cannot see (a colleague's new name). MAX_ENTRIES bounds the
# memory: a report's card is under 1 kB (10,000 of them: ~10 MB a process).
CACHES["template_fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "template_fragments",
    "OPTIONS": {"MAX_ENTRIES": 10_000},
}

# --- Celery ------------------------------------------------------------------
# Redis (or the embedded filesystem broker) is only a transport: every prompt,
# alert and reminder is a database row with a due time, so nothing here stores work.
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
else:
    _CELERY_QUEUE_DIR = VAR_DIR / "celery" / "queue"
    _CELERY_PROCESSED_DIR = VAR_DIR / "celery" / "processed"
    _CELERY_CONTROL_DIR = VAR_DIR / "celery" / "control"
    for _dir in (_CELERY_QUEUE_DIR, _CELERY_PROCESSED_DIR, _CELERY_CONTROL_DIR):
        _dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_CELERY_QUEUE_DIR),
        "data_folder_out": str(_CELERY_QUEUE_DIR),
        "processed_folder": str(_CELERY_PROCESSED_DIR),
        "store_processed": False,
        "control_folder": str(_CELERY_CONTROL_DIR),
    }
# Reliability settings, in one place (README "How follow-ups work"):
# - JSON only: tasks take ids, never pickled objects.
# - acks_late is set per task, only on idempotent ones (reactions/tasks.py), never globally.
# - prefetch 1: a worker holds one message at a time, so a crash strands at most one
#   (and that one is redelivered; the database claim makes the resend harmless).
# - time limits bound every task; an e-mail row is SENDING only for its own send, so the
#   outbox lease (EMAIL_SENDING_LEASE_SECONDS) never takes a row from a live worker.
# - publishing gives up fast when the broker is down: the request that enqueued still
#   succeeds and the beat sweep picks the work up from the database.
# - no countdown/ETA of hours anywhere: due times are rows, and a beat tick every minute
#   runs the dispatcher (a static schedule; no django-celery-beat).
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A dispatcher pass starts no new message after EMAIL_DELIVERY_BUDGET_SECONDS (below); the limits leave
# room for the message in flight (EMAIL_TIMEOUT per SMTP step) and the pass's bookkeeping.
EMAIL_DELIVERY_BUDGET_SECONDS = env.int("EMAIL_DELIVERY_BUDGET_SECONDS", default=120)
CELERY_TASK_SOFT_TIME_LIMIT = EMAIL_DELIVERY_BUDGET_SECONDS + 80
CELERY_TASK_TIME_LIMIT = CELERY_TASK_SOFT_TIME_LIMIT + 40
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
# A Redis blip must not kill a pass mid-send (that left its claimed rows for the whole lease): the pass
# carries on, and if its message is delivered again after the blip, the database claims make the second
# run send nothing twice. Celery warns at start-up that 6.0 changes this default; the choice is deliberate.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
DISPATCH_INTERVAL_SECONDS = env.int("DISPATCH_INTERVAL_SECONDS", default=60)
CELERY_BEAT_SCHEDULE = {
    "dispatch-due": {
        "task": "reactions.tasks.dispatch_due",
        "schedule": float(DISPATCH_INTERVAL_SECONDS),
        "options": {"expires": max(1, DISPATCH_INTERVAL_SECONDS - 5)},
    },
}

# --- Follow-up engine ---------------------------------------------------------------
# The clinician's queue reloads itself this often (seconds), so that a severe event shows up unasked.
QUEUE_REFRESH_SECONDS = env.int("QUEUE_REFRESH_SECONDS", default=60)
FOLLOWUP_LINK_MAX_AGE = env.int("FOLLOWUP_LINK_MAX_AGE", default=14 * 24 * 3600)
EMAIL_PREFERENCES_LINK_MAX_AGE = env.int("EMAIL_PREFERENCES_LINK_MAX_AGE", default=180 * 24 * 3600)
# Delivery retries back off from this base, doubling, up to the cap (seconds).
EMAIL_RETRY_BASE_SECONDS = env.int("EMAIL_RETRY_BASE_SECONDS", default=60)
EMAIL_RETRY_CAP_SECONDS = env.int("EMAIL_RETRY_CAP_SECONDS", default=900)
# A row left SENDING longer than this belongs to a worker that died mid-send: it is retried. Alerts to
# clinicians have a short lease of their own, so a dead worker delays a severe event by about a minute.
EMAIL_SENDING_LEASE_SECONDS = env.int("EMAIL_SENDING_LEASE_SECONDS", default=300)
EMAIL_URGENT_LEASE_SECONDS = env.int("EMAIL_URGENT_LEASE_SECONDS", default=60)
# After this many failed tries a message counts as undeliverable (about 4 hours with the default backoff).
EMAIL_MAX_ATTEMPTS = env.int("EMAIL_MAX_ATTEMPTS", default=20)
# Liveness (/health/): 503 when the dispatcher's last pass started longer ago than this, or when a message
# has waited unsent longer than HEALTH_MAX_UNSENT_AGE_SECONDS. Optionally, a URL requested after every
# pass (a dead man's switch such as healthchecks.io, which alerts when the requests stop).
HEALTH_MAX_TICK_AGE_SECONDS = env.int("HEALTH_MAX_TICK_AGE_SECONDS", default=3 * DISPATCH_INTERVAL_SECONDS + 30)
HEALTH_MAX_UNSENT_AGE_SECONDS = env.int("HEALTH_MAX_UNSENT_AGE_SECONDS", default=600)
DISPATCH_HEARTBEAT_URL = env.str("DISPATCH_HEARTBEAT_URL", default="")
DISPATCH_HEARTBEAT_TIMEOUT = env.int("DISPATCH_HEARTBEAT_TIMEOUT", default=5)

# --- E-mail ------------------------------------------------------------------
# EMAIL_URL: smtp://user:pass@host:587 (smtp+tls://, smtps://), consolemail://, or
# filemail:///absolute/folder. Unset: one file per message batch in var/mail/,
# where a newcomer can read what the app sent.
_email_config = env.email_url_config(env.str("EMAIL_URL", default=f"filemail://{VAR_DIR / 'mail'}"))
EMAIL_BACKEND = _email_config["EMAIL_BACKEND"]
EMAIL_HOST = _email_config["EMAIL_HOST"] or "localhost"
EMAIL_PORT = _email_config["EMAIL_PORT"] or 25
EMAIL_HOST_USER = _email_config["EMAIL_HOST_USER"] or ""
EMAIL_HOST_PASSWORD = _email_config["EMAIL_HOST_PASSWORD"] or ""
EMAIL_USE_TLS = _email_config.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email_config.get("EMAIL_USE_SSL", False)
if EMAIL_BACKEND == "django.core.mail.backends.filebased.EmailBackend":
    # django-environ drops the leading "/" of filemail:///abs/path: put it back.
    EMAIL_FILE_PATH = "/" + _email_config["EMAIL_FILE_PATH"].lstrip("/")
    Path(EMAIL_FILE_PATH).mkdir(parents=True, exist_ok=True)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="ivigtrack <noreply@ivigtrack.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# SMS_URL: file:///absolute/folder (one file per text), locmem:// (tests), or Twilio:
# twilio://ACCOUNT_SID:AUTH_TOKEN@/?from=%2B447400123456 (or ?messaging_service_sid=MG…). The auth token
# also checks the signature of Twilio's STOP/START webhook. Unset: one file per text in var/sms/.
SMS_URL = env.str("SMS_URL", default=f"file://{VAR_DIR / 'sms'}")
SMS_TIMEOUT = env.int("SMS_TIMEOUT", default=20)

# --- Auth --------------------------------------------------------------------
AUTH_USER_MODEL = "reactions.User"
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out login before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling (django-axes): 5 failures for one e-mail address from one IP address
# lock that pair out for 30 minutes; a clinic admin or support can unlock earlier
# (Django admin > Axes > Access attempts, or `manage.py axes_reset_username EMAIL`).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
# The lock-out keys on the login as sign-in reads it (any capitals) and on the client's address as the
# audit trail records it (reactions/signin.py).
AXES_USERNAME_CALLABLE = "reactions.signin.axes_username"
AXES_CLIENT_IP_CALLABLE = "reactions.signin.client_ip"
# Behind reverse proxies: how many of them append to X-Forwarded-For (0: the app faces the clients).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Sessions end after inactivity: the expiry is pushed forward on every request.
SESSION_SAVE_EVERY_REQUEST = True
PATIENT_SESSION_IDLE_SECONDS = env.int("PATIENT_SESSION_IDLE_SECONDS", default=14 * 24 * 3600)
STAFF_SESSION_IDLE_SECONDS = env.int("STAFF_SESSION_IDLE_SECONDS", default=60 * 60)
SESSION_COOKIE_AGE = PATIENT_SESSION_IDLE_SECONDS
OTP_TOTP_ISSUER = "ivigtrack"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# A link e-mailed to set up a clinician's first authenticator works this long (seconds), and once.
TWO_FACTOR_ENROLMENT_LINK_MAX_AGE = env.int("TWO_FACTOR_ENROLMENT_LINK_MAX_AGE", default=3600)
# Invitation links stay valid for this long (seconds).
INVITATION_MAX_AGE = env.int("INVITATION_MAX_AGE", default=7 * 24 * 3600)

# --- I18N / time -------------------------------------------------------------
LANGUAGE_CODE = "en"
# Patient pages and e-mails ship in these languages (locale/<code>/LC_MESSAGES/django.po).
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
# Phone numbers typed without a country code (07700 900123) are read as numbers of this country
# (ISO 3166-1 code), and shown in its national format; others are shown in international format.
PHONENUMBER_DEFAULT_REGION = env.str("PHONENUMBER_DEFAULT_REGION", default="GB")
USE_I18N = True
USE_TZ = True

# --- Static files ------------------------------------------------------------
STATIC_URL = "static/"
# collectstatic's output, served by whitenoise; created here so whitenoise never warns about it.
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Production hardening ----------------------------------------------------
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# No JavaScript reads the CSRF cookie (forms carry the token), so scripts need not see it.
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Content Security Policy (django-csp): everything from our own origin, no inline script
# anywhere, no framing. Styles are in static files too (no inline style attributes).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "manifest-src": ["'self'"],
        "worker-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
    # Django's admin uses inline scripts; it is for support staff only.
    "EXCLUDE_URL_PREFIXES": ["/admin/"],
}
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # django-axes logs every successful login at INFO; failures and lock-outs are WARNING.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
