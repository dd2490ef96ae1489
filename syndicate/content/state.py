"""What every request must know fresh: the content version, and what follows from it.

A worker reads one row per request (content.pulse); when its version moved
on, the worker rebuilds its snapshot (coverage days, the public window, naming
notes). Caches keyed by the version therefore never serve anything a change
has replaced.
"""
from __future__ import annotations

import threading
from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, datetime

from flask import Flask, current_app, g
from sqlalchemy import select, update

from .. import parts
from ..access import public_window
from ..extensions import db
from ..models import Day, NamingNote, Region, SiteState
from ..models.types import utcnow
from ..writes import content_write
from . import pulse


@dataclass(frozen=True)
class Note:
    version: int
    lang: str
    text: str
    created_at: datetime


@dataclass(frozen=True)
class Snapshot:
    version: int
    changed_at: datetime
    days: tuple[date, ...]  # days with coverage, newest first
    public_days: frozenset[date]
    notes: dict[str, Note]
    covered_region_ids: frozenset[int]
    day_set: frozenset[date] = frozenset()

    def note_for(self, lang: str) -> Note | None:
        """The naming note in a story's language, falling back to English."""
        base = (lang or "en").split("-")[0].lower()
        return self.notes.get(lang) or self.notes.get(base) or self.notes.get("en")

    def neighbours(self, day: date) -> tuple[date | None, date | None]:
        """The previous and next days with coverage around a day."""
        ascending = self.days[::-1]
        at = bisect_left(ascending, day)
        older = ascending[at - 1] if at > 0 else None
        after = at + 1 if at < len(ascending) and ascending[at] == day else at
        newer = ascending[after] if after < len(ascending) else None
        return older, newer

    def newest_before(self, day: date) -> date | None:
        """The newest day with coverage before the given one."""
        return self.neighbours(day)[0]


def bump(*feed_paths: str) -> None:
    """Mark content changed; call inside the transaction that changes it, naming the feeds it touches.

    The paths (e.g. "/stories/x/feed.atom") are pinged to the WebSub hub once the change commits.
    """
    db.session.info.setdefault("websub_topics", set()).update(feed_paths)
    db.session.execute(
        update(SiteState).where(SiteState.id == 1).values(version=SiteState.version + 1, changed_at=utcnow())
    )


def _build(version: int, changed_at: datetime) -> Snapshot:
    days = list(db.session.scalars(select(Day.day).where(Day.entries > 0).order_by(Day.day.desc())))
    notes: dict[str, Note] = {}
    for note in db.session.scalars(select(NamingNote).order_by(NamingNote.id)):
        notes[note.lang] = Note(note.id, note.lang, note.text, note.created_at)
    covered = frozenset(db.session.scalars(select(Region.id).where(Region.covered.is_(True))))
    return Snapshot(
        version=version,
        changed_at=changed_at,
        days=tuple(days),
        day_set=frozenset(days),
        public_days=public_window(days, current_app.config["PUBLIC_DAYS"]),
        notes=notes,
        covered_region_ids=covered,
    )


class Snapshots:
    """This worker's current snapshot of one app, rebuilt by one thread at a time."""

    def __init__(self):
        self.snapshot: Snapshot | None = None
        self.lock = threading.Lock()


def init_app(app: Flask) -> None:
    parts.of(app).snapshots = Snapshots()


def snapshot() -> Snapshot:
    """The current snapshot for this request (read once per request)."""
    if "snapshot" in g:
        return g.snapshot
    holder = parts.current().snapshots
    current = pulse.read()
    snap = holder.snapshot
    if snap is None or snap.version != current.version:
        with holder.lock:
            snap = holder.snapshot
            if snap is None or snap.version != current.version:
                snap = holder.snapshot = _build(current.version, current.changed_at)
    g.snapshot = snap
    return snap


def ensure_state_row() -> None:
    with content_write():
        if db.session.get(SiteState, 1) is None:
            db.session.add(SiteState(id=1, version=1, changed_at=utcnow()))
