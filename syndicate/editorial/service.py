"""Every change to content: stories, entries, regions, the naming note and the gazetteer.

Each function changes one thing in one content_write() scope, raising the
content version in it (so every worker's caches see it on the next request).
A caller that opens its own scope around one of them (the idempotency record)
commits the change with what it adds.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import media, timeutil
from ..content import state
from ..errors import APIError
from ..extensions import db
from ..models import Correction, Day, EditorialLog, Entry, Image, NamingNote, Place, Region, Story
from ..partners import changes
from ..search import index as search_index
from ..text import clean_text, html_to_text, plain_text, sanitise_html, text_to_html
from ..writes import content_write
from . import translations
from .documents import entry_etag, entry_state
from .validate import SLUG


@dataclass(frozen=True)
class Actor:
    """Who makes a change, and through what, for the editorial log."""

    name: str
    via: str  # desk | api | cli
    editor_id: int | None = None


COMMAND_LINE = Actor("command line", "cli")


def _log(actor: Actor, action: str, story: Story, entry: Entry | None = None, detail: str | None = None) -> None:
    """Record who changed what, in the transaction that changes it."""
    db.session.add(EditorialLog(
        at=timeutil.now(), editor_id=actor.editor_id, editor_name=actor.name[:200], via=actor.via, action=action,
        story_id=story.id, entry_id=entry.id if entry is not None else None,
        headline=(entry.headline if entry is not None else story.title)[:300], detail=detail,
    ))


@dataclass
class EntryFields:
    headline: str | None = None
    body_html: str | None = None
    published_at: datetime | None = None
    key_event: bool | None = None
    regions: list[str] | None = None
    syndicate: bool | None = None
    embargo_until: datetime | None = None
    clear_embargo: bool = False
    image: str | None = None  # an image's public id (from POST /api/media)
    clear_image: bool = False
    byline: str | None = None
    clear_byline: bool = False
    translation_of: Entry | None = None  # the source story's entry a translation's entry translates


def resolve_regions(slugs: list[str] | None, field: str = "regions") -> list[Region]:
    if not slugs:
        return []
    # Region slugs are SLUG-shaped (the CLI refuses others): anything else is unknown without asking
    # the database, which may refuse it outright (PostgreSQL: NUL; any: lone surrogates).
    lookup = [s for s in slugs if SLUG.fullmatch(s)]
    found = {}
    if lookup:
        found = {r.slug: r for r in db.session.scalars(select(Region).where(Region.slug.in_(lookup)))}
    unknown = [s for s in slugs if s not in found]
    if unknown:
        raise APIError(422, "Some fields are not valid.",
                       fields={field: "unknown region: " + ", ".join(unknown)})
    return [found[s] for s in slugs]


def resolve_image(public_id: str | None) -> Image | None:
    """The image an entry names by its public id; an id that is not ours is refused (422)."""
    if public_id is None:
        return None
    image = media.find(public_id)
    if image is None:
        raise APIError(422, "Some fields are not valid.", fields={"image": "unknown image: upload it first"})
    return image


def slugify(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return slug[:100].strip("-") or "story"


def create_story(*, title: str, slug: str | None, summary: str, kind: str, language: str, access: str,
                 regions: list[str] | None, series: str | None, published_at: datetime | None,
                 syndicate: bool = True, actor: Actor = COMMAND_LINE,
                 translation_of: Story | None = None) -> Story:
    slug = slug or slugify(title)
    with content_write():
        now = timeutil.now()
        live_day = timeutil.local_day(published_at or now) if kind == "live" else None
        _check_free(slug, series, live_day)
        story = Story(
            slug=slug, title=clean_text(title), summary=clean_text(summary or ""), kind=kind, language=language,
            access=access, series=series, published_at=published_at or now, updated_at=now, syndicate=syndicate,
            regions=resolve_regions(regions), live_day=live_day,
            translation_of_id=translation_of.id if translation_of is not None else None,
        )
        db.session.add(story)
        state.bump()
        try:
            with db.session.begin_nested():  # a savepoint: a clash leaves the unit usable to say which one
                db.session.flush()
        except IntegrityError:
            _check_free(slug, series, live_day)  # says which one a concurrent writer took
            raise APIError(409, f"The slug {slug!r} is taken.", code="slug_taken",
                           fields={"slug": "is taken"}) from None
        _log(actor, "story", story)
    return story


def _check_free(slug: str, series: str | None, live_day: date | None) -> None:
    """Refuse a slug that is taken, or a second live day of a series on one date (409)."""
    if db.session.scalar(select(Story.id).where(Story.slug == slug)) is not None:
        raise APIError(409, f"The slug {slug!r} is taken.", code="slug_taken", fields={"slug": "is taken"})
    if series is not None and live_day is not None and live_day_of(series, live_day) is not None:
        raise APIError(409, f"The series {series!r} already has a live day on {live_day.isoformat()}.",
                       code="day_taken", fields={"series": f"already has a live day on {live_day.isoformat()}"})


def live_day_of(series: str, day: date) -> Story | None:
    """The live story of a series for a local day, if one was started."""
    return db.session.scalar(select(Story).where(Story.series == series, Story.live_day == day))


def gazetteer_warnings(*texts: str) -> list[str]:
    """Places named without their other name. Editors decide; nothing is rewritten."""
    return [f"{given} appears without its other name; the style is {name} ({alternate})."
            for given, name, alternate in gazetteer_findings(*texts)]


def gazetteer_findings(*texts: str) -> list[tuple[str, str, str]]:
    """(the name given, the place's name, its other name) for each place named alone: the desk words them itself."""
    text = " ".join(texts)
    found = []
    for place in db.session.scalars(select(Place).order_by(Place.name)):
        has_name = _mentions(text, place.name)
        has_alt = _mentions(text, place.alternate)
        if has_name != has_alt:
            found.append((place.name if has_name else place.alternate, place.name, place.alternate))
    return found


def _mentions(text: str, name: str) -> bool:
    return re.search(r"(?<!\w)" + re.escape(name) + r"(?!\w)", text, flags=re.IGNORECASE) is not None


def _feeds_of(entry: Entry) -> list[str]:
    """The feed paths an entry appears in, for WebSub pings."""
    bases = [f"/stories/{entry.story.slug}/feed", f"/archive/{entry.day.isoformat()}"]
    bases += [f"/regions/{region.slug}/feed" for region in entry.all_regions()]
    return [f"{base}.{fmt}" for base in bases for fmt in ("rss", "atom", "json")]


def _recount(days: set[date]) -> None:
    """Keep the coverage-day table right for the days a change touched."""
    for day in days:
        count = db.session.scalar(
            select(func.count()).select_from(Entry).where(Entry.day == day, Entry.status == "published")
        )
        row = db.session.get(Day, day)
        if row is None:
            db.session.add(Day(day=day, entries=count))
        else:
            row.entries = count


def add_entry(story: Story, fields: EntryFields, source_id: str | None = None,
              actor: Actor = COMMAND_LINE) -> tuple[Entry, list[str]]:
    body = sanitise_html(fields.body_html or "")  # before the lock: the one costly step holds up no one
    with content_write():
        now = timeutil.now()
        published = fields.published_at or now
        entry = Entry(
            story_id=story.id,
            headline=clean_text(fields.headline),
            body_html=body,
            published_at=published,
            updated_at=now if published <= now else published,
            day=timeutil.local_day(published),
            key_event=bool(fields.key_event),
            syndicate=True if fields.syndicate is None else fields.syndicate,
            embargo_until=fields.embargo_until,
            status="published",
            source_id=source_id,
            regions=resolve_regions(fields.regions),
            image=resolve_image(fields.image),
            byline=fields.byline,
            translation_of_id=fields.translation_of.id if fields.translation_of is not None else None,
        )
        entry.body_text = plain_text(entry.body_html)
        db.session.add(entry)
        story.updated_at = now
        db.session.flush()
        _recount({entry.day})
        state.bump(*_feeds_of(entry))
        changes.record(entry)
        search_index.refresh(entry)
        _log(actor, "publish", story, entry)
    return entry, gazetteer_warnings(entry.headline, html_to_text(entry.body_html))


def edit_entry(entry: Entry, fields: EntryFields, correction: str | None = None, actor: Actor = COMMAND_LINE,
               if_match: list[str] | None = None) -> list[str]:
    """Change an entry; with if_match, only if it is still one of those versions (ETags)."""
    body = sanitise_html(fields.body_html) if fields.body_html is not None else None  # before the lock
    with content_write():
        _edit(entry, fields, body, correction, actor, if_match)
    return gazetteer_warnings(entry.headline, html_to_text(entry.body_html))


def _edit(entry: Entry, fields: EntryFields, body: str | None, correction: str | None, actor: Actor,
          if_match: list[str] | None) -> None:
    # Compared under the write lock, after the scope began and re-read the entry: two editors cannot both pass.
    if if_match is not None and entry_etag(entry) not in if_match:
        raise APIError(412, "This entry changed since you opened it.", code="changed")
    if entry.status != "published":
        raise APIError(409, "This entry was withdrawn and can no longer be edited.", code="withdrawn")
    days = {entry.day}
    before = _feeds_of(entry)  # a move to another day or region must ping the feeds it left, too
    was = entry_state(entry)
    if fields.headline is not None:
        entry.headline = clean_text(fields.headline)
    if body is not None:
        entry.body_html = body
        entry.body_text = plain_text(entry.body_html)
    if fields.published_at is not None:
        entry.published_at = fields.published_at
        entry.day = timeutil.local_day(fields.published_at)
        days.add(entry.day)
    if fields.key_event is not None:
        entry.key_event = fields.key_event
    if fields.syndicate is not None:
        entry.syndicate = fields.syndicate
    if fields.embargo_until is not None or fields.clear_embargo:
        entry.embargo_until = fields.embargo_until
    if fields.regions is not None:
        entry.regions = resolve_regions(fields.regions)
    if fields.image is not None or fields.clear_image:
        entry.image = resolve_image(fields.image)
    if fields.byline is not None or fields.clear_byline:
        entry.byline = fields.byline
    correction = _new_correction(entry, correction)
    if correction:
        entry.corrections.append(Correction(text=correction, created_at=timeutil.now()))
    if entry_state(entry) == was:
        # A retried PATCH (or a second click) that asks for what is already there: nothing changes,
        # not even the ETag, so a client that re-read the entry before retrying is safe too.
        return
    entry.updated_at = timeutil.now()
    if correction:
        translations.mark_for_review(entry)
    # An editor who updates a translation has looked at it: it leaves the review list.
    entry.needs_review = False
    _recount(days)
    state.bump(*before, *_feeds_of(entry))
    changes.record(entry)
    search_index.refresh(entry)
    _log(actor, "correct" if correction else "edit", entry.story, entry, correction)


def _new_correction(entry: Entry, text: str | None) -> str | None:
    """The correction to append, or None when there is none or it repeats the entry's latest word for word.

    Readers see corrections in order; the same one twice in a row says nothing new and only
    ever comes from a request sent twice.
    """
    text = clean_text(text) if text else None
    if not text or (entry.corrections and entry.corrections[-1].text == text):
        return None
    return text


def withdraw_entry(entry: Entry, reason: str, public_note: str | None, actor: Actor = COMMAND_LINE) -> None:
    with content_write():
        if entry.status == "withdrawn":
            raise APIError(409, "This entry is already withdrawn.", code="withdrawn")
        now = timeutil.now()
        entry.status = "withdrawn"
        entry.withdrawn_reason = clean_text(reason)
        entry.withdrawn_note = clean_text(public_note) if public_note else None
        entry.withdrawn_at = now
        entry.updated_at = now
        _recount({entry.day})
        state.bump(*_feeds_of(entry))
        changes.record(entry)
        search_index.remove(entry)
        _log(actor, "withdraw", entry.story, entry, entry.withdrawn_reason)


def upsert_region(slug: str, name: str | None, covered: bool | None,
                  names: dict[str, str] | None = None) -> tuple[Region, bool]:
    """Create or update a region; `names` (by language) add to the ones it has."""
    with content_write():
        region = db.session.scalar(select(Region).where(Region.slug == slug))
        created = region is None
        if created:
            region = Region(slug=slug, name=name or slug, covered=bool(covered))
            db.session.add(region)
        else:
            if name:
                region.name = name
            if covered is not None:
                region.covered = covered
        if names:
            region.names = {**(region.names or {}), **names}  # a new dict: the JSON column sees the change
        state.bump()
    return region, created


def set_naming_note(text: str, lang: str) -> NamingNote:
    with content_write():
        note = NamingNote(lang=lang, text=clean_text(text).strip(), created_at=timeutil.now())
        db.session.add(note)
        state.bump()
    return note


def add_place(name: str, alternate: str) -> Place:
    with content_write():
        place = db.session.scalar(select(Place).where(Place.name == name)) or Place(name=name)
        place.alternate = alternate
        db.session.add(place)
    return place


def body_from(html: str | None, text: str | None) -> str | None:
    if html is not None:
        return html
    if text is not None:
        return text_to_html(text)
    return None
