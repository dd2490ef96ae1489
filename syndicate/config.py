"""Configuration: defaults, then SYNDICATE_* environment variables, then test overrides."""
import os
import secrets
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask

DEFAULTS = {
    "SITE_NAME": "syndicate demo newsroom",
    "SITE_URL": None,
    "TIMEZONE": "Asia/Tbilisi",
    "PUBLIC_DAYS": 2,
    "FEED_LIMIT": 50,
    # Days a withdrawn update's replacement item stays in feeds, so readers that hold it replace its text.
    "WITHDRAWN_DAYS": 30,
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "SECRET_KEY_FALLBACKS": [],
    "STRIPE_SECRET_KEY": None,
    "STRIPE_WEBHOOK_SECRET": None,
    "STRIPE_API_BASE": None,
    "STRIPE_PAGE_SIZE": 100,
    "STRIPE_TIMEOUT": 10,  # seconds for any one call to Stripe
    "MAIL_SERVER": None,
    "MAIL_PORT": 25,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_USE_TLS": False,
    "MAIL_SENDER": None,
    "MAIL_TIMEOUT": 10,  # seconds for each step of talking to the mail server
    "MAIL_RETRY_SECONDS": 30,  # first pause before a failed mail is tried again; doubles each time
    "MAIL_MAX_ATTEMPTS": 12,  # then the mail is given up (about a day and a half of retries)
    "RATELIMIT_STORAGE_URI": "memory://",
    # Said explicitly: Flask-Limiter's one instance would otherwise keep the last app's choice.
    "RATELIMIT_ENABLED": True,
    # A moving window: a fixed one lets twice the limit through across a window's edge, and makes
    # what a client gets depend on which second of the minute it asked in.
    "RATELIMIT_STRATEGY": "moving-window",
    # Redis unreachable: count in each process's memory (logged) rather than answer 500.
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    "RATELIMIT_SWALLOW_ERRORS": True,
    "API_RATE_LIMIT": "600 per minute",
    "WEBSUB_HUB": None,
    "GRACE_DAYS": 7,
    "TOKEN_NETWORK_LIMIT": 10,
    "SIGNUP_RATE_LIMIT": "10 per minute; 60 per hour",
    "SIGNIN_RATE_LIMIT": "5 per minute; 30 per hour",
    "TRUSTED_PROXIES": 0,
    "PARTNER_RATE_LIMIT": "60 per minute",
    "PARTNER_LICENSE": None,
    "WEBSUB_RETRIES": 5,
    "ENV": "development",
    # Per worker: rendered pages and feeds, plain and gzipped, bounded by bytes and by count.
    "DOCUMENT_CACHE_BYTES": 16 * 1024 * 1024,
    "DOCUMENT_CACHE_ITEMS": 2000,
    "SHARED_CACHE_SECONDS": 2,
    "PAGE_SIZE": 30,
    # How often an open live page asks whether there is news (a hidden tab asks less often).
    "POLL_SECONDS": 30,
    # The site's languages, the default first; the others have their pages under /<lang>/.
    "LANGUAGES": "en",
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    "METRICS_TOKEN": None,  # Bearer token for /metrics; unset: /metrics answers 404
    "DB_STATEMENT_TIMEOUT": 5,
    # What we keep about people (README): feed networks, used links and abandoned sign-ups last this long.
    "RETENTION_DAYS": 30,
    "LOG_CLIENT_IP": True,  # false: no client address in the app's or gunicorn's logs  # seconds (PostgreSQL): queries, lock waits and connecting give up after this
}


# Where `syndicate demo` serves by default, and the link base when nothing else is said.
DEVELOPMENT_SITE_URL = "http://127.0.0.1:5000"


class ConfigError(RuntimeError):
    """The configuration cannot serve: said at start-up, not on the first request."""


def load(app: Flask, test_config: dict | None) -> None:
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("SYNDICATE")
    if test_config:
        app.config.from_mapping(test_config)
    cfg = app.config

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not cfg.get("DATABASE_URL"):
        cfg["DATABASE_URL"] = "sqlite:///" + os.path.join(app.instance_path, "syndicate.sqlite")
    cfg["SQLALCHEMY_DATABASE_URI"] = cfg["DATABASE_URL"]
    _require_drivers(cfg["DATABASE_URL"], cfg.get("RATELIMIT_STORAGE_URI"))
    cfg["SQLALCHEMY_ENGINE_OPTIONS"] = _engine_options(cfg["DATABASE_URL"], cfg["SQLALCHEMY_ENGINE_OPTIONS"],
                                                       float(cfg["DB_STATEMENT_TIMEOUT"]))
    cfg.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    if uses_redis(cfg["RATELIMIT_STORAGE_URI"]):
        # A Redis that hangs must not hang requests: a second at most, then the in-memory fallback.
        cfg.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 1, "socket_timeout": 1})

    if not cfg.get("SECRET_KEY"):
        if cfg["ENV"] == "production":
            raise ConfigError("SYNDICATE_SECRET_KEY is required when SYNDICATE_ENV=production")
        cfg["SECRET_KEY"] = _instance_secret(Path(app.instance_path) / "secret_key")
    if isinstance(cfg["SECRET_KEY_FALLBACKS"], str):
        cfg["SECRET_KEY_FALLBACKS"] = [cfg["SECRET_KEY_FALLBACKS"]]

    try:
        cfg["TZ"] = ZoneInfo(cfg["TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"SYNDICATE_TIMEZONE {cfg['TIMEZONE']!r} is not a known time zone") from exc
    for name in ("PUBLIC_DAYS", "FEED_LIMIT", "WITHDRAWN_DAYS", "GRACE_DAYS", "TOKEN_NETWORK_LIMIT", "TRUSTED_PROXIES",
                 "SHARED_CACHE_SECONDS", "DOCUMENT_CACHE_BYTES", "DOCUMENT_CACHE_ITEMS"):
        if not isinstance(cfg[name], int) or cfg[name] < 0:
            raise ConfigError(f"SYNDICATE_{name} must be a non-negative integer")
    if not isinstance(cfg["RETENTION_DAYS"], int) or isinstance(cfg["RETENTION_DAYS"], bool) \
            or cfg["RETENTION_DAYS"] < 1:
        # A day at least: leaked-feed detection counts the networks of the last 24 hours.
        raise ConfigError("SYNDICATE_RETENTION_DAYS must be a whole number of days, 1 or more")
    if not isinstance(cfg["LOG_CLIENT_IP"], bool):
        raise ConfigError("SYNDICATE_LOG_CLIENT_IP must be true or false")
    for name in ("PAGE_SIZE", "POLL_SECONDS"):
        if not isinstance(cfg[name], int) or isinstance(cfg[name], bool) or cfg[name] < 1:
            raise ConfigError(f"SYNDICATE_{name} must be a positive integer")
    from .languages import parse

    cfg["LANGUAGES"] = parse(cfg["LANGUAGES"])
    if not cfg["SITE_URL"]:
        # Links in cached feeds and in mail must never come from a request's Host header.
        if cfg["ENV"] == "production":
            raise ConfigError("SYNDICATE_SITE_URL is required when SYNDICATE_ENV=production")
        cfg["SITE_URL"] = DEVELOPMENT_SITE_URL
    cfg["SITE_URL"] = cfg["SITE_URL"].rstrip("/")
    # Browsers and feed readers never need the session cookie cross-site. Assigned: Flask's own
    # defaults already hold the key (as None), so setdefault would change nothing.
    if not cfg.get("SESSION_COOKIE_SAMESITE"):
        cfg["SESSION_COOKIE_SAMESITE"] = "Lax"
    cfg["SESSION_COOKIE_HTTPONLY"] = True
    # A sign-in lasts PERMANENT_SESSION_LIFETIME from sign-in, held on the server (syndicate.sessions):
    # re-sending the cookie on every response would only seem to extend it.
    cfg["SESSION_REFRESH_EACH_REQUEST"] = False
    if cfg["ENV"] == "production":
        cfg["SESSION_COOKIE_SECURE"] = True


def _require_drivers(database_url: str, storage_uri) -> None:
    """Say at start-up which extra a configured PostgreSQL or Redis needs, rather than fail on a request.

    psycopg and redis are extras (`syndicate[postgres]`, `syndicate[redis]`): a SQLite install has neither.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        make_url(database_url).get_dialect().import_dbapi()
    except ImportError as exc:
        extra = " (pip install 'syndicate[postgres]')" if str(database_url).startswith("postgresql") else ""
        raise ConfigError(f"SYNDICATE_DATABASE_URL needs the driver {exc.name or 'for it'}, which is not "
                          f"installed{extra}") from None
    except (ArgumentError, NoSuchModuleError, ValueError):
        pass  # not a URL SQLAlchemy knows: Flask-SQLAlchemy says so in its own words
    if uses_redis(storage_uri):
        try:
            import redis  # noqa: F401  (the limits library imports it on the first request otherwise)
        except ImportError:
            raise ConfigError("SYNDICATE_RATELIMIT_STORAGE_URI names Redis, whose client is not installed "
                              "(pip install 'syndicate[redis]')") from None


def uses_redis(storage_uri) -> bool:
    """Whether a rate-limit storage URI names Redis (redis://, rediss://, redis+sentinel:// and the like)."""
    return str(storage_uri).startswith(("redis://", "rediss://", "redis+"))


def _engine_options(url: str, given: dict, timeout: float) -> dict:
    """PostgreSQL gives up on a slow query, a lock wait or a connection after `timeout`, so no request hangs
    until gunicorn kills its worker; errors.py turns that into a 503."""
    options = dict(given)
    if not url.startswith("postgresql") or timeout <= 0:
        return options
    ms = int(timeout * 1000)
    connect_args = {"connect_timeout": max(1, round(timeout)),
                    "options": f"-c statement_timeout={ms} -c lock_timeout={ms}"}
    options["connect_args"] = {**connect_args, **options.get("connect_args", {})}
    options.setdefault("pool_timeout", timeout)  # waiting for a pooled connection, too
    return options


def _instance_secret(path: Path) -> str:
    """A development key made once and kept, so sessions and tokens survive restarts."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(key)
        return key
