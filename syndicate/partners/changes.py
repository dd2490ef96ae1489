"""The partners' change log: every change to what partners may hold, numbered in commit order.

A cursor must never pass a change that could still appear behind it. Numbers
come from a counter on the site_state row, which every content transaction
updates first (content.state.bump) and so holds locked until it commits: no
two transactions number changes at once, and a number is visible only once
every smaller one is committed.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from .. import timeutil
from ..extensions import db
from ..models import Entry, SiteState, Story, SyndicationChange
from ..writes import content_write


def partner_visible(entry: Entry, now: datetime) -> bool:
    """May partners republish this entry now?"""
    return (
        entry.status == "published"
        and entry.syndicate
        and entry.story.syndicate
        and (entry.embargo_until is None or entry.embargo_until <= now)
    )


def _next_seq() -> int:
    return db.session.execute(
        update(SiteState).where(SiteState.id == 1).values(change_seq=SiteState.change_seq + 1)
        .returning(SiteState.change_seq)
    ).scalar_one()


def record(entry: Entry, at: datetime | None = None) -> None:
    """Log what partners must learn about an entry that just changed; call after content.state.bump()."""
    now = timeutil.now()
    if partner_visible(entry, now):
        kind = "upsert"
        entry.partner_released = True
    elif entry.partner_released:
        # Withdrawn, or no longer for partners: a tombstone, since they may hold a copy.
        kind = "delete"
        entry.partner_released = False
    else:
        return  # embargoed or never syndicatable: partners never had it, so nothing to tell
    db.session.flush()
    db.session.add(SyndicationChange(seq=_next_seq(), entry_id=entry.id, kind=kind, at=at or now))


def release_due_embargoes() -> int:
    """Log the entries whose embargo has run out, as if published at its end. Returns how many."""
    from ..content import state

    now = timeutil.now()
    is_due = (Entry.partner_released.is_(False), Entry.embargo_until.is_not(None), Entry.embargo_until <= now,
              Entry.status == "published", Entry.syndicate.is_(True), Story.syndicate.is_(True))
    # The common case, nothing due, costs one indexed read and no lock.
    if db.session.scalar(select(Entry.id).join(Entry.story).where(*is_due).limit(1)) is None:
        return 0
    with content_write():  # take the lock that numbers changes, then re-read what is due under it
        state.bump()
        entries = list(db.session.scalars(
            select(Entry).join(Entry.story).where(*is_due).order_by(Entry.embargo_until, Entry.id)
        ))
        for entry in entries:
            record(entry, at=entry.embargo_until)
    return len(entries)


def horizon() -> int:
    """The newest change number every reader may see: all up to it are committed."""
    return db.session.scalar(select(SiteState.change_seq).where(SiteState.id == 1)) or 0


class UnknownCursor(ValueError):
    pass


def page(since: int, limit: int) -> tuple[list[SyndicationChange], int]:
    """Changes after a cursor, oldest first, and the cursor to continue from."""
    top = horizon()
    if since > top:
        raise UnknownCursor(f"cursor {since} is ahead of the change log (at {top})")
    changes = list(db.session.scalars(
        select(SyndicationChange).where(SyndicationChange.seq > since, SyndicationChange.seq <= top)
        .order_by(SyndicationChange.seq).limit(limit)
    ))
    return changes, changes[-1].seq if changes else since
