"""The two ways to write to the database: `content_write()` and `private_write()`.

Every transaction that changes anything is one of these scopes, in a service
function: the scope begins the transaction, commits when its block ends, and
rolls back if the block raises. Views and CLI commands call services; searching
for the two names finds every transaction boundary.

Both begin by taking the write lock when they must. SQLite (in WAL mode)
refuses to turn a read transaction into a write if another writer committed in
between, and it does so at once, without waiting out the busy timeout. A write
that first updates the site_state row takes the write lock before it reads
anything, so concurrent writers queue instead of failing; on PostgreSQL the
same update takes the row lock that orders content writers (and numbers the
partners' change log).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import update

from .extensions import db
from .models import SiteState


@contextmanager
def content_write() -> Iterator[None]:
    """A unit of work that changes what readers see, holding the content write lock until it commits."""
    with _scope(lock=True):
        yield


@contextmanager
def private_write() -> Iterator[None]:
    """A unit of work that needs no global order: a log row, one member's, editor's or partner's own state.

    On PostgreSQL nothing is locked beyond the rows it touches, so these writes never queue
    behind editors or each other. SQLite has a single writer whatever we do; there the write
    lock is taken first, so the transaction never has to turn from a read into a write.
    """
    with _scope(lock=db.session.get_bind().dialect.name == "sqlite"):
        yield


def _take_lock() -> None:
    db.session.execute(update(SiteState).where(SiteState.id == 1).values(version=SiteState.version))
    db.session.info["write_locked"] = True


@contextmanager
def _scope(lock: bool) -> Iterator[None]:
    session = db.session
    if session.info.get("write_scope"):
        # A service called from inside another's scope joins it: one unit of work, one commit.
        if lock and not session.info.get("write_locked"):
            _take_lock()
        yield
        return
    if session.new or session.dirty or session.deleted:
        # A change made outside a scope would be committed by this one, unseen by its reader.
        raise RuntimeError("database changes belong inside content_write() or private_write()")
    session.rollback()  # ends the request's read transaction: the write starts from the newest state
    session.info["write_scope"] = True
    try:
        if lock:
            _take_lock()
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info.pop("write_scope", None)
        session.info.pop("write_locked", None)


def begin_write() -> None:
    """Deprecated: use content_write()."""
    db.session.commit()
    db.session.execute(update(SiteState).where(SiteState.id == 1).values(version=SiteState.version))


def begin_private_write() -> None:
    """Deprecated: use private_write()."""
    db.session.commit()
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(update(SiteState).where(SiteState.id == 1).values(version=SiteState.version))
