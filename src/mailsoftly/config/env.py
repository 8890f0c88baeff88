"""The one module that reads the process environment.

Everything configurable about a Mailsoftly process comes from environment variables,
read here once into a frozen :class:`Env`. Settings, the CLI and tasks read that object,
never ``os.environ``. A missing or malformed value raises :class:`EnvError`, whose
message names the variable; the CLI prints it as one line and exits non-zero.

Two modes:

* ``embedded`` (default): no server needed. SQLite under ``./var``, a file-based Celery
  broker, mail captured to the Outbox, and a secret key generated once into ``./var``.
* ``production``: ``SECRET_KEY``, ``ALLOWED_HOSTS`` and ``BASE_URL`` must be set, cookies are
  secure, and nothing falls back to a development default.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import environ

MODES = ("embedded", "production")
BILLING_GATEWAYS = ("fake", "stripe")
DB_SCHEMES = ("sqlite", "postgres", "postgresql", "pgsql")
# Two lowercase letters: a region name is stored on each workspace (two characters) and is
# the suffix of its Celery queue. "default" can never be one, so aliases never clash.
REGION_NAME = re.compile(r"[a-z]{2}")


class EnvError(Exception):
    """A configuration value is missing or malformed. The message names the variable."""


@dataclass(frozen=True)
class RegionConfig:
    """One data region: where its database and its files are."""

    name: str
    database_url: str = field(repr=False)
    media_root: Path


@dataclass(frozen=True)
class Env:
    mode: str
    debug: bool
    var_dir: Path
    secret_key: str = field(repr=False)
    allowed_hosts: list[str]
    base_url: str
    # Database URLs may carry passwords: kept out of repr() like the other secrets.
    database_url: str = field(repr=False)
    database_url_eu: str = field(repr=False)
    redis_url: str | None
    broker_url: str
    smtp_url: str | None
    default_from_email: str
    port: int
    log_level: str
    log_format: str
    google_client_id: str | None = None
    google_secret: str | None = None
    facebook_client_id: str | None = None
    facebook_secret: str | None = None
    field_encryption_keys: list[str] = field(default_factory=list)
    # Billing: "fake" (embedded default, no money moves) or "stripe". Secrets only from here.
    billing_gateway: str = "fake"
    stripe_secret_key: str | None = field(default=None, repr=False)
    stripe_webhook_secret: str | None = field(default=None, repr=False)
    # Screening: a SpamAssassin spamd to ask for a second opinion (spamd://host:port).
    spamd_url: str | None = None
    # Ops: bearer token for /metrics (unset: /metrics always answers 401).
    metrics_token: str | None = field(default=None, repr=False)
    # Data regions (policy P40). The directory region's database is Django's "default" and
    # also holds the global directory; every other region's alias is its name.
    regions: tuple[RegionConfig, ...] = ()
    directory_region: str = "us"
    # Regions a worker serves (``mailsoftly worker --regions``); None: every region.
    worker_regions: tuple[str, ...] | None = None

    @property
    def region_names(self) -> tuple[str, ...]:
        return tuple(region.name for region in self.regions)

    @property
    def production(self) -> bool:
        return self.mode == "production"

    @property
    def embedded_broker(self) -> bool:
        return self.broker_url.startswith("filesystem://")


def _var_dir(source: environ.Env) -> Path:
    raw = source.str("MAILSOFTLY_VAR_DIR", default="var")
    path = Path(raw).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _embedded_secret(var_dir: Path) -> str:
    """A key generated on first start and kept, so sessions survive restarts."""
    key_file = var_dir / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _embedded_fernet_key(var_dir: Path) -> str:
    """The key that encrypts secrets at rest (SMTP passwords, DKIM keys) when none is set."""
    key_file = var_dir / "field_encryption_key"
    if not key_file.exists():
        key_file.write_text(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _check_fernet_key(key: str) -> None:
    try:
        raw = base64.urlsafe_b64decode(key.encode())
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise EnvError(
            "FIELD_ENCRYPTION_KEYS holds a malformed key: each must be 32 url-safe "
            "base64-encoded bytes (python -c 'import secrets,base64;"
            "print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())')"
        )


def _eu_url(database_url: str, var_dir: Path) -> str:
    """The EU region's database when none is configured: a sibling of the default one."""
    parts = urlsplit(database_url)
    if parts.scheme.startswith("sqlite"):
        return f"sqlite:///{var_dir / 'mailsoftly-eu.sqlite3'}"
    name = parts.path.lstrip("/") or "mailsoftly"
    return parts._replace(path=f"/{name}_eu").geturl()


def _pairs(raw: str, name: str, what: str) -> list[tuple[str, str]]:
    """``a=x,b=y`` into pairs, refusing an entry without a name or a value."""
    pairs = []
    for entry in (part.strip() for part in raw.split(",")):
        if not entry:
            continue
        key, sep, value = entry.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise EnvError(f"{name} entry {entry!r} is malformed: expected name={what}")
        pairs.append((key, value))
    return pairs


def _regions(
    source: environ.Env, var_dir: Path
) -> tuple[tuple[RegionConfig, ...], str, tuple[str, ...] | None]:
    """The configured regions, the directory's region and the regions this worker serves.

    ``REGIONS=us=postgres://…/us,eu=postgres://…/eu`` names each region's database. Without
    it, ``DATABASE_URL`` (region "us", default: a SQLite file) and ``DATABASE_URL_EU``
    (default: a sibling of the first) make the two embedded regions.
    """
    raw = source.str("REGIONS", default="").strip()
    if raw:
        for legacy in ("DATABASE_URL", "DATABASE_URL_EU"):
            if source.str(legacy, default=""):
                raise EnvError(
                    f"REGIONS and {legacy} are both set: name every region's database in REGIONS"
                )
        urls: dict[str, str] = {}
        for region, url in _pairs(raw, "REGIONS", "database-url"):
            if not REGION_NAME.fullmatch(region):
                raise EnvError(
                    f"REGIONS names region {region!r}: a region name is two lowercase "
                    "letters (us, eu, ch …)"
                )
            if region in urls:
                raise EnvError(f"REGIONS names region {region!r} twice")
            scheme = urlsplit(url).scheme
            if scheme not in DB_SCHEMES:
                # The URL itself is not echoed: it may hold a password.
                raise EnvError(
                    f"REGIONS entry {region!r} has a database URL with scheme {scheme!r}: "
                    f"expected one of {', '.join(DB_SCHEMES)}"
                )
            urls[region] = url
        if not urls:
            raise EnvError("REGIONS is empty: expected name=database-url[,name=database-url…]")
        directory = source.str("DIRECTORY_REGION", default="").strip() or next(iter(urls))
    else:
        database_url = source.str(
            "DATABASE_URL", default=f"sqlite:///{var_dir / 'mailsoftly.sqlite3'}"
        )
        _check_url(database_url, "DATABASE_URL", DB_SCHEMES)
        database_url_eu = source.str("DATABASE_URL_EU", default="") or _eu_url(
            database_url, var_dir
        )
        _check_url(database_url_eu, "DATABASE_URL_EU", DB_SCHEMES)
        urls = {"us": database_url, "eu": database_url_eu}
        directory = source.str("DIRECTORY_REGION", default="").strip() or "us"
    known = ", ".join(urls)
    if directory not in urls:
        raise EnvError(f"DIRECTORY_REGION={directory!r} is not a configured region ({known})")
    if len(set(urls.values())) != len(urls):
        raise EnvError("REGIONS gives two regions the same database: each needs its own")

    media = dict.fromkeys(urls, "")
    for region, root in _pairs(
        source.str("REGION_MEDIA_ROOTS", default=""), "REGION_MEDIA_ROOTS", "directory"
    ):
        if region not in urls:
            raise EnvError(
                f"REGION_MEDIA_ROOTS names unknown region {region!r}: configured regions are {known}"
            )
        media[region] = root
    roots = {
        region: Path(root).expanduser().resolve() if root else var_dir / "media" / region
        for region, root in media.items()
    }
    if len(set(roots.values())) != len(roots):
        raise EnvError(
            "REGION_MEDIA_ROOTS gives two regions the same directory: each needs its own"
        )

    # The directory region comes first: its database is Django's "default".
    order = [directory, *(region for region in urls if region != directory)]
    regions = tuple(RegionConfig(r, urls[r], roots[r]) for r in order)

    served = None
    worker_raw = source.str("MAILSOFTLY_WORKER_REGIONS", default="").strip()
    if worker_raw:
        served = tuple(
            dict.fromkeys(part.strip() for part in worker_raw.split(",") if part.strip())
        )
        for region in served:
            if region not in urls:
                raise EnvError(
                    f"worker region {region!r} has no database here: configured regions are {known}"
                )
    return regions, directory, served


def _bool(raw: str, name: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("", "0", "false", "no", "off"):
        return False
    raise EnvError(f"{name}={raw!r} is not a boolean: use true or false")


def _int(raw: str, name: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise EnvError(f"{name}={raw!r} is not a whole number") from None


def _require(value: str | None, name: str, why: str) -> str:
    if not value:
        raise EnvError(f"{name} must be set {why}")
    return value


def _check_url(value: str, name: str, schemes: tuple[str, ...]) -> str:
    scheme = urlsplit(value).scheme
    if scheme not in schemes:
        raise EnvError(f"{name}={value!r} is not a valid URL: expected one of {', '.join(schemes)}")
    return value


def load(environment: dict[str, str] | None = None) -> Env:
    """Read and validate the environment. Pure apart from creating ``var/`` files."""
    source = environ.Env()
    if environment is not None:
        source.ENVIRON = environment
    try:
        mode = source.str("ENVIRONMENT", default="embedded").strip().lower()
        if mode not in MODES:
            raise EnvError(f"ENVIRONMENT={mode!r} is not one of: {', '.join(MODES)}")
        production = mode == "production"
        var_dir = _var_dir(source)
        debug = _bool(source.str("DEBUG", default="false"), "DEBUG")

        secret_key = source.str("SECRET_KEY", default="")
        if production:
            _require(secret_key, "SECRET_KEY", "in production (a long random string)")
            if len(secret_key) < 50:
                raise EnvError("SECRET_KEY is too short: use at least 50 random characters")
        elif not secret_key:
            secret_key = _embedded_secret(var_dir)

        hosts = source.list("ALLOWED_HOSTS", default=[])
        if production:
            _require(",".join(hosts), "ALLOWED_HOSTS", "in production (comma-separated host names)")
        else:
            hosts = hosts or ["127.0.0.1", "localhost", "[::1]", "testserver"]

        port = _int(source.str("PORT", default="8000"), "PORT")
        if not 0 < port < 65536:
            raise EnvError(f"PORT={port} is out of range 1-65535")

        base_url = source.str("BASE_URL", default="")
        if production:
            _require(base_url, "BASE_URL", "in production (the public https:// address)")
        base_url = _check_url(base_url or f"http://127.0.0.1:{port}", "BASE_URL", ("http", "https"))

        regions, directory_region, worker_regions = _regions(source, var_dir)
        by_name = {region.name: region for region in regions}
        database_url = by_name[directory_region].database_url
        # Kept for callers of the two-region era; "" when no region is named "eu".
        database_url_eu = by_name["eu"].database_url if "eu" in by_name else ""

        redis_url = source.str("REDIS_URL", default="") or None
        if redis_url:
            _check_url(redis_url, "REDIS_URL", ("redis", "rediss", "unix"))
        broker_url = source.str("CELERY_BROKER_URL", default="") or redis_url
        if not broker_url:
            broker_url = "filesystem://"

        smtp_url = source.str("SMTP_URL", default="") or None
        if smtp_url:
            _check_url(smtp_url, "SMTP_URL", ("smtp", "smtps", "smtp+starttls"))

        spamd_url = source.str("SPAMD_URL", default="") or None
        if spamd_url:
            _check_url(spamd_url, "SPAMD_URL", ("spamd", "tcp"))
            if not urlsplit(spamd_url).hostname:
                raise EnvError(f"SPAMD_URL={spamd_url!r} has no host (spamd://host:port)")

        keys = source.list("FIELD_ENCRYPTION_KEYS", default=[])
        if production and not keys:
            raise EnvError("FIELD_ENCRYPTION_KEYS must be set in production (see docs/deploy.md)")
        if not keys:
            keys = [_embedded_fernet_key(var_dir)]
        for key in keys:
            _check_fernet_key(key)

        billing_gateway = source.str("BILLING_GATEWAY", default="fake").strip().lower()
        if billing_gateway not in BILLING_GATEWAYS:
            raise EnvError(
                f"BILLING_GATEWAY={billing_gateway!r} is not one of: {', '.join(BILLING_GATEWAYS)}"
            )
        stripe_secret_key = source.str("STRIPE_SECRET_KEY", default="") or None
        stripe_webhook_secret = source.str("STRIPE_WEBHOOK_SECRET", default="") or None
        if billing_gateway == "stripe":
            _require(stripe_secret_key, "STRIPE_SECRET_KEY", "when BILLING_GATEWAY=stripe")
            _require(stripe_webhook_secret, "STRIPE_WEBHOOK_SECRET", "when BILLING_GATEWAY=stripe")

        log_format = source.str("LOG_FORMAT", default="json" if production else "text")
        if log_format not in ("json", "text"):
            raise EnvError(f"LOG_FORMAT={log_format!r} is not one of: json, text")

        return Env(
            mode=mode,
            debug=debug,
            var_dir=var_dir,
            secret_key=secret_key,
            allowed_hosts=hosts,
            base_url=base_url.rstrip("/"),
            database_url=database_url,
            database_url_eu=database_url_eu,
            redis_url=redis_url,
            broker_url=broker_url,
            smtp_url=smtp_url,
            spamd_url=spamd_url,
            default_from_email=source.str(
                "DEFAULT_FROM_EMAIL", default="Mailsoftly <no-reply@localhost>"
            ),
            port=port,
            log_level=source.str("LOG_LEVEL", default="INFO").upper(),
            log_format=log_format,
            google_client_id=source.str("GOOGLE_CLIENT_ID", default="") or None,
            google_secret=source.str("GOOGLE_SECRET", default="") or None,
            facebook_client_id=source.str("FACEBOOK_CLIENT_ID", default="") or None,
            facebook_secret=source.str("FACEBOOK_SECRET", default="") or None,
            field_encryption_keys=keys,
            billing_gateway=billing_gateway,
            stripe_secret_key=stripe_secret_key,
            stripe_webhook_secret=stripe_webhook_secret,
            metrics_token=source.str("METRICS_TOKEN", default="") or None,
            regions=regions,
            directory_region=directory_region,
            worker_regions=worker_regions,
        )
    except (ValueError, environ.ImproperlyConfigured) as exc:
        raise EnvError(str(exc)) from exc


@cache
def get() -> Env:
    """The process's environment, read once."""
    return load(dict(os.environ))
