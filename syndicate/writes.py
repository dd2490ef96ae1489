"""Write transactions that cannot fail for having started as reads.

SQLite (in WAL mode) refuses to turn a read transaction into a write if
another writer committed in between, and it does so at once, without waiting
out the busy timeout. A write that first updates the site_state row takes the
write lock before it reads anything, so concurrent writers queue instead of
failing; on PostgreSQL the same update takes the row lock that orders
writers (and numbers the partners' change log).
"""
from sqlalchemy import update

from .extensions import db
from .models import SiteState


def begin_write() -> None:
    """End any read transaction and start a content write holding the write lock (content changes only)."""
    db.session.commit()
    db.session.execute(update(SiteState).where(SiteState.id == 1).values(version=SiteState.version))


def begin_private_write() -> None:
    """Start a write that needs no global order: a log row, one member's or partner's own state.

    On PostgreSQL nothing is locked beyond the rows the transaction touches, so
    these writes never queue behind editors or each other. SQLite has a single
    writer whatever we do; there the write lock is taken first, as above, so the
    transaction never has to turn from a read into a write.
    """
    db.session.commit()
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(update(SiteState).where(SiteState.id == 1).values(version=SiteState.version))
