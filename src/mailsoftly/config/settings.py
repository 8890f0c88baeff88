"""Django settings. Values come from :mod:`mailsoftly.config.env`, never from os.environ."""

from pathlib import Path
from urllib.parse import unquote, urlsplit

import environ as _environ

from mailsoftly.config import env as _env

ENV = _env.get()
BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = ENV.var_dir

SECRET_KEY = ENV.secret_key
DEBUG = ENV.debug
ALLOWED_HOSTS = ENV.allowed_hosts
BASE_URL = ENV.base_url
PRODUCTION = ENV.production

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    # Before allauth so our templates override allauth's.
    "mailsoftly.accounts",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.facebook",
    "mailsoftly.core",
    "mailsoftly.teams",
    "mailsoftly.billing",
    "mailsoftly.audit",
    "mailsoftly.web",
    "mailsoftly.lifecycle",
    "mailsoftly.designs",
    "mailsoftly.contacts",
    "mailsoftly.sending",
    "mailsoftly.campaigns",
    "mailsoftly.tracking",
    "mailsoftly.screening",
    "mailsoftly.api",
    "mailsoftly.webhooks",
    "mailsoftly.ops",
    "mailsoftly.residency",
]

MIDDLEWARE = [
    "mailsoftly.core.middleware.RequestLogMiddleware",
    "mailsoftly.core.middleware.RejectNulBytesMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "mailsoftly.accounts.middleware.UserPreferencesMiddleware",
    "mailsoftly.accounts.middleware.FirstTouchMiddleware",
    "mailsoftly.teams.middleware.CurrentWorkspaceMiddleware",
    "mailsoftly.ops.middleware.UsageLogMiddleware",
    "mailsoftly.residency.middleware.WorkspaceReadOnlyMiddleware",
]

ROOT_URLCONF = "mailsoftly.config.urls"
WSGI_APPLICATION = "mailsoftly.config.wsgi.application"

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
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "mailsoftly.teams.context_processors.workspaces",
                "mailsoftly.web.context_processors.navigation",
                "mailsoftly.ops.context_processors.policy_banner",
            ],
        },
    },
]

# --- Databases -------------------------------------------------------------------------
# "default" is the global directory (accounts, memberships, the workspace-to-region index)
# and also the directory region's content. Each other region's database holds its content.
# mailsoftly.core.regions.RegionRouter decides which model goes where.
_db = _environ.Env()


def _database(url: str) -> dict:
    config = _db.db_url_config(url)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    else:
        config["CONN_MAX_AGE"] = 60
        config["CONN_HEALTH_CHECKS"] = True
    return config


# Regions come from REGIONS (or DATABASE_URL / DATABASE_URL_EU); the directory region's
# database is "default", every other region's alias is its name (core.regions).
DATABASES = {
    ("default" if region.name == ENV.directory_region else region.name): _database(
        region.database_url
    )
    for region in ENV.regions
}
MAILSOFTLY_REGIONS = list(ENV.region_names)
MAILSOFTLY_DIRECTORY_REGION = ENV.directory_region
MAILSOFTLY_WORKER_REGIONS = ENV.worker_regions
DATABASE_ROUTERS = ["mailsoftly.core.regions.RegionRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth ------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "web:dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# Accounts (mailsoftly.accounts): our forms and adapters around allauth.
ACCOUNT_ADAPTER = "mailsoftly.accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {
    "signup": "mailsoftly.accounts.forms.SignupForm",
    "login": "mailsoftly.accounts.forms.LoginForm",
    "reset_password": "mailsoftly.accounts.forms.ResetPasswordForm",
}
# Sign-up names a taken username or address next to the field (the issue asks for it),
# so allauth's enumeration prevention is off; the anonymous password-reset form hides
# whether an address is registered itself (accounts.forms.ResetPasswordForm).
ACCOUNT_PREVENT_ENUMERATION = False
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_USERNAME_MIN_LENGTH = 3
SOCIALACCOUNT_ADAPTER = "mailsoftly.accounts.adapter.SocialAccountAdapter"
SOCIALACCOUNT_FORMS = {"signup": "mailsoftly.accounts.forms.SocialSignupForm"}
# Social sign-ups still pass through our form: age, policy and marketing choices.
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_PROVIDERS: dict = {}
if ENV.google_client_id and ENV.google_secret:
    SOCIALACCOUNT_PROVIDERS["google"] = {
        "APPS": [{"client_id": ENV.google_client_id, "secret": ENV.google_secret}],
        "SCOPE": ["openid", "email", "profile"],
        "AUTH_PARAMS": {"access_type": "online"},
    }
if ENV.facebook_client_id and ENV.facebook_secret:
    SOCIALACCOUNT_PROVIDERS["facebook"] = {
        "APPS": [{"client_id": ENV.facebook_client_id, "secret": ENV.facebook_secret}],
        "METHOD": "oauth2",
        "SCOPE": ["email", "public_profile"],
        "FIELDS": ["id", "email", "name", "first_name", "last_name"],
    }
PRIVACY_POLICY_VERSION = "2026-11-25"
# Flash messages ride in the session, so they need no cookie of their own (P33).
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# --- Sessions and cookies --------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 14 * 24 * 3600
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    CSRF_TRUSTED_ORIGINS = [ENV.base_url]

# --- i18n ------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files ----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": VAR_DIR / "media"},
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
# Each region's files live under their own root (policy P40): EU files never in the US tree.
MAILSOFTLY_REGION_MEDIA_ROOTS = {region.name: region.media_root for region in ENV.regions}

# --- Mail ------------------------------------------------------------------------------
# Without SMTP_URL every outgoing platform message is captured in the Outbox
# (core.OutboxMessage), which staff read at /outbox/.
DEFAULT_FROM_EMAIL = ENV.default_from_email
SERVER_EMAIL = ENV.default_from_email
if ENV.smtp_url:
    _smtp = urlsplit(ENV.smtp_url)
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _smtp.hostname,
                "port": _smtp.port or {"smtps": 465, "smtp+starttls": 587}.get(_smtp.scheme, 25),
                "username": unquote(_smtp.username or ""),
                "password": unquote(_smtp.password or ""),
                "use_tls": _smtp.scheme == "smtp+starttls",
                "use_ssl": _smtp.scheme == "smtps",
                "timeout": 30,
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "mailsoftly.core.mail.OutboxBackend"}}

# --- Celery ----------------------------------------------------------------------------
CELERY_BROKER_URL = ENV.broker_url
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Workers log through LOGGING below (one JSON object per line in production), not Celery's
# own format, so web and worker lines can be read by the same tools.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict = {
    # Lifecycle (mailsoftly.lifecycle): daily purges of the 30-day trash and of accounts
    # whose deletion grace period is over. Both fan out and re-enqueue in batches.
    "lifecycle-purge-trash": {"task": "lifecycle.purge_trash", "schedule": 24 * 3600},
    "lifecycle-purge-accounts": {"task": "lifecycle.purge_accounts", "schedule": 24 * 3600},
    "lifecycle-purge-workspaces": {"task": "lifecycle.purge_workspaces", "schedule": 24 * 3600},
    "lifecycle-data-requests-remind": {
        "task": "lifecycle.data_requests_remind",
        "schedule": 24 * 3600,
    },
}
# Teams and audit: removed memberships purge 30 days after removal (P30); audit rows
# past their retention.
CELERY_BEAT_SCHEDULE["teams-purge-removed-members"] = {
    "task": "teams.member_purge_expired",
    "schedule": 24 * 3600,
}
CELERY_BEAT_SCHEDULE["audit-purge-expired"] = {
    "task": "audit.purge_expired",
    "schedule": 24 * 3600,
}
if ENV.embedded_broker:
    _queue = VAR_DIR / "broker"
    for _sub in ("out", "processed", "control"):
        (_queue / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue / "out"),
        "data_folder_out": str(_queue / "out"),
        "processed_folder": str(_queue / "processed"),
        "control_folder": str(_queue / "control"),
        "store_processed": False,
        "polling_interval": 0.2,
    }

# --- Sending (mailsoftly.sending) -----------------------------------------------------
from kombu import Exchange as _KombuExchange  # noqa: E402
from kombu import Queue as _KombuQueue  # noqa: E402

# Campaign mail goes through the workspace's own SMTP server, else through SMTP_URL, else
# into the regional capture (sending.CapturedMessage) that the campaign pages show.
SENDING_SMTP_URL = ENV.smtp_url
SENDING_BATCH_SIZE = 200
# A claimed delivery whose worker has not confirmed it within the lease is claimed again.
SENDING_LEASE_SECONDS = 300
# Transactional mail has its own queue, listed first: a worker serving both takes it before
# campaign work (on Redis through the "priority" queue order). `mailsoftly worker -Q
# transactional` keeps workers for it alone, so a big campaign never holds it up.
CELERY_TASK_QUEUES = tuple(
    _KombuQueue(name, _KombuExchange(name), routing_key=name)
    for name in ("transactional", "celery")
)
# Platform mail (sign-up confirmation, password reset, invitations) is transactional too.
CELERY_TASK_ROUTES = {
    "campaigns.transactional_send": {"queue": "transactional"},
    "core.platform_mail_send": {"queue": "transactional"},
}
if not ENV.embedded_broker:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"queue_order_strategy": "priority"}
# Starts due scheduled campaigns and picks up retries and expired leases.
CELERY_BEAT_SCHEDULE["campaigns.campaign_sweep"] = {
    "task": "campaigns.campaign_sweep",
    "schedule": 15.0,
}

# --- Tracking (mailsoftly.tracking) ----------------------------------------------------
# With Redis, opens and clicks are appended to a stream and drained into the database in
# batches; without it they are written directly, and there is nothing to drain.
if ENV.redis_url:
    CELERY_BEAT_SCHEDULE["tracking.drain_events"] = {
        "task": "tracking.drain_events",
        "schedule": 2.0,
    }

# --- Screening (mailsoftly.screening) ------------------------------------------------
# SpamAssassin's score joins the content screen when spamd is configured (SPAMD_URL) or
# spamc is on PATH; a spamd that does not answer holds the content for review.
SCREENING_SPAMASSASSIN = True
SCREENING_SPAMD_URL = ENV.spamd_url
SCREENING_SPAMD_TIMEOUT = 10.0

# --- Billing (mailsoftly.billing) ----------------------------------------------------
# The gateway and its secrets come from the environment only (BILLING_GATEWAY,
# STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET). Tests point the Stripe SDK at a local fake.
BILLING_GATEWAY = ENV.billing_gateway
BILLING_STRIPE_SECRET_KEY = ENV.stripe_secret_key
BILLING_STRIPE_WEBHOOK_SECRET = ENV.stripe_webhook_secret
BILLING_STRIPE_API_BASE = None
BILLING_STRIPE_JS_ORIGIN = "https://js.stripe.com"
BILLING_WEBHOOK_TOLERANCE = 300
BILLING_GRACE_DAYS = 7
CELERY_BEAT_SCHEDULE["billing-grace-expiry"] = {
    "task": "billing.grace_expire",
    "schedule": 3600,
}

# --- Ops (mailsoftly.ops) ---------------------------------------------------------------
# Usage/device log (P09, P10): Redis list drained by beat when REDIS_URL is set, else a
# per-process buffer written every OPS_USAGE_BUFFER_SIZE records. OPS_GEOIP_DATABASE: path
# to a MaxMind City database (needs the geoip2 package); empty means no location.
OPS_REDIS_URL = ENV.redis_url
OPS_USAGE_BUFFER_SIZE = 50
OPS_USAGE_RETENTION_DAYS = 180
OPS_GEOIP_DATABASE = ""
METRICS_TOKEN = ENV.metrics_token
CELERY_BEAT_SCHEDULE["ops.usage_flush"] = {"task": "ops.usage_flush", "schedule": 10.0}
CELERY_BEAT_SCHEDULE["ops.usage_purge"] = {"task": "ops.usage_purge", "schedule": 24 * 3600}

# --- Cache -----------------------------------------------------------------------------
if ENV.redis_url:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": ENV.redis_url,
        }
    }
else:
    CACHES = {
        "default": {
            # Shared by the web and worker processes without a server.
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- REST API --------------------------------------------------------------------------
API_RATE_LIMIT_PER_MINUTE = 600
# Outgoing webhooks: networks (CIDR) an operator allows despite being private/loopback.
WEBHOOKS_ALLOWED_NETWORKS: list[str] = []
CELERY_BEAT_SCHEDULE["webhooks.retry_due"] = {"task": "webhooks.retry_due", "schedule": 30.0}

# --- Logging ---------------------------------------------------------------------------
# Lines about a workspace in another region than the directory's go to that region's log,
# <root>/<region>/logs/mailsoftly.log, not to this process's stream (policy P40).
MAILSOFTLY_REGION_LOG_ROOT = VAR_DIR
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "mailsoftly.core.logging.JsonFormatter"},
        "text": {"()": "mailsoftly.core.logging.TextFormatter"},
    },
    "filters": {"home_region": {"()": "mailsoftly.core.logging.HomeRegionFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": ENV.log_format,
            "filters": ["home_region"],
        },
        "regions": {"class": "mailsoftly.core.logging.RegionLogHandler", "formatter": "json"},
    },
    "root": {"handlers": ["console", "regions"], "level": ENV.log_level},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
        # Celery's INFO lines ("received", "succeeded") carry each task's arguments, e.g. a
        # platform mail's recipients and text. Failures still log (WARNING and up).
        "celery.app.trace": {"level": "WARNING"},
        "celery.worker.strategy": {"level": "WARNING"},
    },
}
