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
    """End any read transaction and start a write transaction holding the write lock."""
    db.session.commit()
    db.session.execute(update(SiteState).where(SiteState.id == 1).values(version=SiteState.version))
