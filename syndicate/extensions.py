"""Flask extensions, created once and bound to an app in the factory."""
import logging

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    # Named constraints let Alembic alter tables on SQLite (batch mode) as on PostgreSQL.
    metadata = MetaData(naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    })


log = logging.getLogger(__name__)


class _Limiter(Limiter):
    """Flask-Limiter saying in one line each when its storage (Redis) is lost and when it is back.

    Flask-Limiter flips `_storage_dead` at both moments; its own lines go to a logger nobody shows.
    """

    @property
    def _storage_dead(self) -> bool:
        return getattr(self, "_dead", False)

    @_storage_dead.setter
    def _storage_dead(self, dead: bool) -> None:
        if dead and not self._storage_dead:
            log.warning("rate limit storage unreachable: falling back to in-memory storage, counted per process")
        elif self._storage_dead and not dead:
            log.warning("rate limit storage reachable again: limits are shared again")
        self._dead = dead


class _SaidOnce(logging.Filter):
    """Drops Flask-Limiter's own lines for the two moments _Limiter already reports."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(("Rate limit storage unreachable", "Rate limit storage recovered"))


logging.getLogger("flask-limiter").addFilter(_SaidOnce())

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
# No rate-limit headers on every answer: Flask-Limiter's Retry-After would sit on each 200 and override a 503's
# own. errors.py gives a 429 its Retry-After.
limiter = _Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=False)


def init_app(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()), render_as_batch=True, include_name=_in_models)
    csrf.init_app(app)
    # The one Limiter serves each app made in this process (tests make many), and init_app keeps a
    # setting an earlier app chose ("self._key_prefix or config..."): each app's own is read afresh.
    limiter._key_prefix = limiter._strategy = limiter._retry_after = None
    limiter.init_app(app)
    # The one Limiter serves each app made in this process; a new app's storage is not known dead yet.
    limiter._dead = False  # said without a log line: nothing came back


def _in_models(name, type_, parent_names) -> bool:
    """Autogenerate leaves alone what the search engine owns outside the models (FTS5 tables, a GIN index)."""
    from .search.index import in_models

    return in_models(name, type_, parent_names)


def _migrations_dir():
    from pathlib import Path

    return Path(__file__).resolve().parent / "migrations"


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """WAL lets feed readers read while an editor writes; writers wait rather than fail."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()
