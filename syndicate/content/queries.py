"""Reading stories and entries for pages and feeds. Every read of content goes through here."""
from __future__ import annotations

from datetime import date

from flask import abort
from sqlalchemy import Select, and_, exists, false, or_, select
from sqlalchemy.orm import contains_eager

from ..access import Reader
from ..extensions import db
from ..models import Entry, Region, Story
from ..models.content import entry_regions, story_regions
from .state import Snapshot

PUBLISHED = Entry.status == "published"


def _readable(query: Select, reader: Reader, snap: Snapshot) -> Select:
    """Limit a query over Entry (joined to Story) to what the reader may read."""
    if reader.is_member:
        return query
    window = Entry.day.in_(sorted(snap.public_days)) if snap.public_days else false()
    return query.where(or_(Story.access == "public", and_(Story.access == "standard", window)))


def _entries() -> Select:
    # One join serves both the filter on the story and the loading of entry.story.
    return select(Entry).join(Entry.story).options(contains_eager(Entry.story)).where(PUBLISHED)


def _newest_first(query: Select) -> Select:
    return query.order_by(Entry.published_at.desc(), Entry.id.desc())


def get_story(slug: str) -> Story:
    story = db.session.scalar(select(Story).where(Story.slug == slug))
    if story is None:
        abort(404, "No story has that address.")
    return story


def get_region(slug: str) -> Region:
    region = db.session.scalar(select(Region).where(Region.slug == slug))
    if region is None:
        abort(404, "No region has that address.")
    return region


def latest(reader: Reader, snap: Snapshot, limit: int) -> list[Entry]:
    return list(db.session.scalars(_newest_first(_readable(_entries(), reader, snap)).limit(limit)))


def for_story(story: Story, reader: Reader, snap: Snapshot, limit: int | None = None) -> list[Entry]:
    query = _newest_first(_readable(_entries().where(Entry.story_id == story.id), reader, snap))
    return list(db.session.scalars(query.limit(limit) if limit else query))


def for_region(region: Region, reader: Reader, snap: Snapshot, limit: int) -> list[Entry]:
    in_region = or_(
        exists().where(entry_regions.c.entry_id == Entry.id, entry_regions.c.region_id == region.id),
        exists().where(story_regions.c.story_id == Entry.story_id, story_regions.c.region_id == region.id),
    )
    query = _newest_first(_readable(_entries().where(in_region), reader, snap))
    return list(db.session.scalars(query.limit(limit)))


def for_day(day: date, reader: Reader, snap: Snapshot) -> list[Entry]:
    return list(db.session.scalars(_newest_first(_readable(_entries().where(Entry.day == day), reader, snap))))


def any_on_day(day: date) -> bool:
    return db.session.scalar(select(exists().where(Entry.day == day, PUBLISHED)))


def story_has_entries(story: Story) -> bool:
    return db.session.scalar(select(exists().where(Entry.story_id == story.id, PUBLISHED)))


def story_page_entries(story: Story) -> list[Entry]:
    """Everything a story page lists: published entries, and withdrawn ones that left a public note."""
    query = select(Entry).where(
        Entry.story_id == story.id,
        or_(PUBLISHED, Entry.withdrawn_note.is_not(None)),
    )
    return list(db.session.scalars(_newest_first(query)))


def day_page_entries(day: date) -> list[Entry]:
    query = select(Entry).join(Entry.story).where(Entry.day == day, or_(PUBLISHED, Entry.withdrawn_note.is_not(None)))
    return list(db.session.scalars(_newest_first(query)))


def series_days(story: Story) -> list[Story]:
    """The live days of the same series, oldest first."""
    if not story.series:
        return [story]
    query = select(Story).where(Story.series == story.series).order_by(Story.published_at)
    return list(db.session.scalars(query))


def latest_live(snap: Snapshot) -> Story | None:
    return db.session.scalar(select(Story).where(Story.kind == "live").order_by(Story.published_at.desc()).limit(1))


def latest_stories(limit: int = 10) -> list[Story]:
    return list(db.session.scalars(select(Story).order_by(Story.published_at.desc()).limit(limit)))


def stories_by_day(days: list[date]) -> dict[date, list[Story]]:
    """Stories that have entries on each of the given days."""
    rows = db.session.execute(
        select(Entry.day, Story).join(Entry.story).where(PUBLISHED, Entry.day.in_(days))
        .distinct().order_by(Story.published_at)
    ).all()
    out: dict[date, list[Story]] = {d: [] for d in days}
    for day, story in rows:
        out[day].append(story)
    return out
