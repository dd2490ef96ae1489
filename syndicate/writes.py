"""The two ways to write to the database: `content_write()` and `private_write()`.

Every transaction that changes anything is one of these scopes, in a service
function: the scope begins the transaction, commits when its block ends, and
rolls back if the block raises. Views and CLI commands call services; searching
for the two names finds every transaction boundary. `end_read()` ends a
transaction that only read (before a network call, say), and is no boundary of
a write.

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

from sqlalchemy import event, update

from .extensions import db
from .models import SiteState

_OPEN, _DEFERRED = "open", "deferred"


@contextmanager
def content_write(*, deferred: bool = False) -> Iterator[None]:
    """A unit of work that changes what readers see, holding the content write lock until it commits.

    deferred=True begins the unit only when the first scope inside it begins: work before
    that (parsing a request, sanitising a body) holds no lock. The idempotency record
    wraps a whole API view this way, so the change and its answer commit together.
    """
    with _scope(lock=True, deferred=deferred):
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


def end_read() -> None:
    """End a transaction that only read: nothing stays open across a network call, a slow step or a render."""
    session = db.session
    if session.info.get("write_scope"):
        raise RuntimeError("end_read() inside content_write() or private_write() would end the write")
    _check_clean(session)
    session.rollback()  # a read has nothing to commit


def _take_lock() -> None:
    db.session.execute(update(SiteState).where(SiteState.id == 1).values(version=SiteState.version))
    db.session.info["write_locked"] = True


def _check_clean(session) -> None:
    if session.new or session.dirty or session.deleted or session.info.get("unscoped_flush"):
        # A change made outside a scope would be committed, or silently rolled back, by this one.
        raise RuntimeError("database changes belong inside content_write() or private_write()")


# db.session serves every app in the process, so the listeners are registered once, here.
@event.listens_for(db.session, "after_flush")
def _note_unscoped_flush(session, context):
    if session.info.get("write_scope") != _OPEN:
        session.info["unscoped_flush"] = True


@event.listens_for(db.session, "after_commit")
@event.listens_for(db.session, "after_rollback")
def _transaction_ended(session):
    session.info.pop("unscoped_flush", None)


def _begin(session, lock: bool) -> None:
    _check_clean(session)
    session.rollback()  # ends the request's read transaction: the write starts from the newest state
    session.info["write_scope"] = _OPEN
    if lock:
        _take_lock()


@contextmanager
def _scope(lock: bool, deferred: bool = False) -> Iterator[None]:
    session = db.session
    held = session.info.get("write_scope")
    if held == _OPEN:
        # A service called from inside another's scope joins it: one unit of work, one commit.
        if lock and not session.info.get("write_locked"):
            _take_lock()
        yield
        return
    if held == _DEFERRED:
        # The first scope inside a deferred unit begins it, with the lock either of them needs.
        _begin(session, lock or session.info["deferred_lock"])
        yield
        return
    _check_clean(session)
    try:
        if deferred:
            session.info["write_scope"], session.info["deferred_lock"] = _DEFERRED, lock
        else:
            _begin(session, lock)
        yield
        if session.info["write_scope"] == _OPEN:
            session.commit()
        else:  # nothing inside began: there is nothing to commit, only a read to end
            _check_clean(session)
            session.rollback()
    except BaseException:
        session.rollback()
        raise
    finally:
        for key in ("write_scope", "write_locked", "deferred_lock"):
            session.info.pop(key, None)

