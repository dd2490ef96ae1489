"""Reading stories and entries for pages and feeds. Every read of content goes through here."""
from __future__ import annotations

from datetime import date, datetime

from flask import abort
from flask_babel import gettext as _
from sqlalchemy import Select, and_, exists, false, func, or_, select, true
from sqlalchemy.orm import contains_eager

from .. import i18n, languages
from ..access import Reader
from ..extensions import db
from ..models import Entry, Region, Story
from ..models.content import entry_regions, story_regions
from .state import Snapshot

PUBLISHED = Entry.status == "published"
WITHDRAWN = Entry.status == "withdrawn"


def _readable(query: Select, reader: Reader, snap: Snapshot) -> Select:
    """Limit a query over Entry (joined to Story) to what the reader may read."""
    if reader.is_member:
        return query
    window = Entry.day.in_(sorted(snap.public_days)) if snap.public_days else false()
    return query.where(or_(Story.access == "public", and_(Story.access == "standard", window)))


def in_language(lang: str | None):
    """Stories of one of the site's languages (None: all of them).

    The default language's pages hold every story not in another configured language, so a
    story in a language the site no longer lists is still shown, at the root.
    """
    if lang is None:
        return true()
    if lang == languages.default():
        others = languages.others()
        return Story.language.not_in(others) if others else true()
    return Story.language == lang


def _entries() -> Select:
    # One join serves both the filter on the story and the loading of entry.story.
    return select(Entry).join(Entry.story).options(contains_eager(Entry.story)).where(PUBLISHED)


def _newest_first(query: Select) -> Select:
    return query.order_by(Entry.published_at.desc(), Entry.id.desc())


def storable(value: str) -> bool:
    """Whether a value from a URL can be compared in the database at all.

    PostgreSQL refuses NUL in text, and no driver can send a lone surrogate: such a value
    names nothing, so it is a 404 without asking.
    """
    return "\x00" not in value and value.isprintable() and _encodes(value)


def _encodes(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def story_by_slug(slug: str) -> Story | None:
    """The story at an address (pages, feeds, the desk, the API and the CLI all find stories so)."""
    return db.session.scalar(select(Story).where(Story.slug == slug)) if storable(slug) else None


def get_story(slug: str) -> Story:
    story = story_by_slug(slug)
    if story is None:
        abort(404, _("No story has that address."))
    return story


def get_region(slug: str) -> Region:
    region = db.session.scalar(select(Region).where(Region.slug == slug)) if storable(slug) else None
    if region is None:
        abort(404, _("No region has that address."))
    return region


def all_regions(lang: str | None = None) -> list[Region]:
    """Every region, by its name in `lang` (the language being rendered)."""
    lang = lang or i18n.current()
    return sorted(db.session.scalars(select(Region)), key=lambda r: r.name_in(lang).casefold())


def latest(reader: Reader, snap: Snapshot, limit: int, lang: str | None = None) -> list[Entry]:
    query = _readable(_entries().where(in_language(lang)), reader, snap)
    return list(db.session.scalars(_newest_first(query).limit(limit)))


def for_story(story: Story, reader: Reader, snap: Snapshot, limit: int | None = None) -> list[Entry]:
    query = _newest_first(_readable(_entries().where(Entry.story_id == story.id), reader, snap))
    return list(db.session.scalars(query.limit(limit) if limit else query))


def _in_region(region: Region):
    return or_(
        exists().where(entry_regions.c.entry_id == Entry.id, entry_regions.c.region_id == region.id),
        exists().where(story_regions.c.story_id == Entry.story_id, story_regions.c.region_id == region.id),
    )


def for_region(region: Region, reader: Reader, snap: Snapshot, limit: int, lang: str | None = None) -> list[Entry]:
    query = _newest_first(_readable(_entries().where(_in_region(region), in_language(lang)), reader, snap))
    return list(db.session.scalars(query.limit(limit)))


def for_day(day: date, reader: Reader, snap: Snapshot, lang: str | None = None) -> list[Entry]:
    query = _readable(_entries().where(Entry.day == day, in_language(lang)), reader, snap)
    return list(db.session.scalars(_newest_first(query)))


# Updates withdrawn recently, which feeds still carry as a removal notice under the same id.
# Any update outside a members-only story was free to the public on its first days, so a public
# reader may hold it; members may hold any. The notice says nothing an anonymous reader may not see.

def _withdrawn(reader: Reader, since: datetime, *where) -> list[Entry]:
    query = (select(Entry).join(Entry.story).options(contains_eager(Entry.story))
             .where(WITHDRAWN, Entry.withdrawn_at >= since, *where))
    if not reader.is_member:
        query = query.where(Story.access != "members")
    return list(db.session.scalars(_newest_first(query)))


def withdrawn_latest(reader: Reader, since: datetime, lang: str | None = None) -> list[Entry]:
    return _withdrawn(reader, since, in_language(lang))


def withdrawn_for_story(story: Story, reader: Reader, since: datetime) -> list[Entry]:
    return _withdrawn(reader, since, Entry.story_id == story.id)


def withdrawn_for_region(region: Region, reader: Reader, since: datetime, lang: str | None = None) -> list[Entry]:
    return _withdrawn(reader, since, _in_region(region), in_language(lang))


def withdrawn_for_day(day: date, reader: Reader, since: datetime, lang: str | None = None) -> list[Entry]:
    return _withdrawn(reader, since, Entry.day == day, in_language(lang))


def any_on_day(day: date) -> bool:
    return db.session.scalar(select(exists().where(Entry.day == day, PUBLISHED)))


def story_has_entries(story: Story) -> bool:
    return db.session.scalar(select(exists().where(Entry.story_id == story.id, PUBLISHED)))


LISTED = or_(PUBLISHED, Entry.withdrawn_note.is_not(None))  # what pages show: withdrawals leave their note


def story_page_entries(story: Story, offset: int = 0, limit: int | None = None) -> list[Entry]:
    """What a story page lists, newest first: published entries, and withdrawn ones that left a public note."""
    query = _newest_first(select(Entry).where(Entry.story_id == story.id, LISTED)).offset(offset)
    return list(db.session.scalars(query.limit(limit) if limit else query))


def story_page_count(story: Story) -> int:
    return db.session.scalar(select(func.count()).select_from(Entry).where(Entry.story_id == story.id, LISTED))


def key_events(story: Story) -> list[Entry]:
    query = select(Entry).where(Entry.story_id == story.id, PUBLISHED, Entry.key_event.is_(True))
    return list(db.session.scalars(_newest_first(query)))


def last_updated(story: Story):
    """When anything readers see of the story last changed: an update added, edited or withdrawn."""
    newest = db.session.scalar(select(func.max(Entry.updated_at)).where(Entry.story_id == story.id, LISTED))
    return max(newest, story.updated_at) if newest else story.updated_at


def listed_entry(story: Story, uid: str) -> Entry | None:
    if not storable(uid) or len(uid) > 36:
        return None
    return db.session.scalar(select(Entry).where(Entry.story_id == story.id, Entry.uid == uid, LISTED))


def newer_than(story: Story, entry: Entry) -> int:
    """How many listed entries come before this one on the story's pages."""
    newer = or_(Entry.published_at > entry.published_at,
                and_(Entry.published_at == entry.published_at, Entry.id > entry.id))
    return db.session.scalar(select(func.count()).select_from(Entry).where(Entry.story_id == story.id, LISTED, newer))


def day_page_entries(day: date, lang: str | None = None) -> list[Entry]:
    query = select(Entry).join(Entry.story).where(Entry.day == day, LISTED, in_language(lang))
    return list(db.session.scalars(_newest_first(query)))


SERIES_ALL_UP_TO = 60  # days a series nav lists in full
SERIES_RECENT = 30  # past that: the first day, the most recent ones, and the archive for the rest


def series_days(story: Story) -> tuple[list, int]:
    """The live days of a story's series to link, oldest first (id, slug, published_at), and how many there are.

    A series that has run for years holds thousands of days: linking them all would make every
    page of it as long as the archive, which lists them anyway.
    """
    if not story.series:
        return [story], 1
    in_series = Story.series == story.series
    total = db.session.scalar(select(func.count()).select_from(Story).where(in_series))
    columns = select(Story.id, Story.slug, Story.published_at).where(in_series)
    if total <= SERIES_ALL_UP_TO:
        return list(db.session.execute(columns.order_by(Story.published_at))), total
    first = db.session.execute(columns.order_by(Story.published_at).limit(1)).all()
    recent = db.session.execute(columns.order_by(Story.published_at.desc()).limit(SERIES_RECENT)).all()
    return first + recent[::-1], total


def latest_live(lang: str | None = None) -> Story | None:
    """The newest live story (in a language), where the home page and the desk open."""
    query = select(Story).where(Story.kind == "live", in_language(lang)).order_by(Story.published_at.desc())
    return db.session.scalar(query.limit(1))


def latest_stories(limit: int = 10, lang: str | None = None) -> list[Story]:
    query = select(Story).where(in_language(lang)).order_by(Story.published_at.desc())
    return list(db.session.scalars(query.limit(limit)))


def days_in(lang: str, snap: Snapshot) -> tuple[date, ...]:
    """Days with coverage in a language, newest first: the snapshot's own when the site has one language."""
    if not languages.others():
        return snap.days
    query = (select(Entry.day).join(Entry.story).where(PUBLISHED, in_language(lang)).distinct()
             .order_by(Entry.day.desc()))
    return tuple(db.session.scalars(query))


def stories_by_day(days: list[date], lang: str | None = None) -> dict[date, list[Story]]:
    """Stories that have entries on each of the given days."""
    rows = db.session.execute(
        select(Entry.day, Story).join(Entry.story).where(PUBLISHED, Entry.day.in_(days), in_language(lang))
        .distinct().order_by(Story.published_at)
    ).all()
    out: dict[date, list[Story]] = {d: [] for d in days}
    for day, story in rows:
        out[day].append(story)
    return out


def translations(story: Story) -> list[Story]:
    """A story and every translation of it (or of the story it translates), oldest first."""
    root = story.translation_of_id or story.id
    query = select(Story).where(or_(Story.id == root, Story.translation_of_id == root)).order_by(Story.id)
    return list(db.session.scalars(query))


def entry_translations(entry: Entry) -> list[Entry]:
    """An entry and its translations (or its source's), published or with a public note, oldest first."""
    root = entry.translation_of_id or entry.id
    query = (select(Entry).join(Entry.story).options(contains_eager(Entry.story))
             .where(or_(Entry.id == root, Entry.translation_of_id == root), LISTED).order_by(Entry.id))
    return list(db.session.scalars(query))
