"""Translations: which story or entry one translates, and translations a correction left to review.

A translation always names the original (a translation of a translation is filed
under the original), so a story and all its translations are one group.
"""
from __future__ import annotations

from sqlalchemy import select, update

from .. import timeutil
from ..errors import APIError
from ..extensions import db
from ..models import EditorialLog, Entry, Story
from ..writes import content_write
from ..numbers import ascii_int
from .documents import find_entry
from .validate import SLUG


def _refuse(field: str, reason: str) -> APIError:
    return APIError(422, "Some fields are not valid.", fields={field: reason})


def source_story(ref, language: str) -> Story:
    """The original a new story in `language` translates, named by slug or id (422 when it cannot be)."""
    story = None
    if isinstance(ref, int) and not isinstance(ref, bool) and 0 < ref < 2**31:
        story = db.session.get(Story, ref)
    elif isinstance(ref, str) and SLUG.fullmatch(ref):
        story = db.session.scalar(select(Story).where(Story.slug == ref))
    elif isinstance(ref, str) and ascii_int(ref, minimum=1) is not None:
        story = db.session.get(Story, ascii_int(ref, minimum=1))
    if story is None:
        raise _refuse("translation_of", "unknown story: give the slug or id of the story this translates")
    if story.translation_of_id is not None:
        story = db.session.get(Story, story.translation_of_id) or story
    if story.language == language:
        raise _refuse("translation_of", f"that story is in {language} already: a translation is in another language")
    return story


def source_entry(story: Story, ref) -> Entry:
    """The entry of the story's original that a new entry of `story` translates (422 when it cannot be)."""
    if story.translation_of_id is None:
        raise _refuse("translation_of", "this story is not a translation: its updates translate nothing")
    entry = find_entry(str(ref)) if isinstance(ref, (str, int)) and not isinstance(ref, bool) else None
    if entry is None or entry.story_id != story.translation_of_id:
        raise _refuse("translation_of", "unknown entry: give the id of an update of the story this translates")
    return entry


def mark_for_review(source: Entry) -> int:
    """A correction to `source`: its translations need an editor's look. Call inside the correction's write."""
    result = db.session.execute(update(Entry).where(Entry.translation_of_id == source.id, Entry.status == "published")
                                .values(needs_review=True).execution_options(synchronize_session="fetch"))
    return result.rowcount or 0


def needing_review(story: Story) -> list[Entry]:
    return list(db.session.scalars(select(Entry).where(Entry.story_id == story.id, Entry.needs_review.is_(True))))


def confirm(entry: Entry, actor) -> None:
    """An editor says a translation still says what its corrected source says: it leaves the review list."""
    with content_write():
        if not entry.needs_review:
            return
        entry.needs_review = False
        # Readers see nothing new, so the content version stays; the log says who looked.
        db.session.add(EditorialLog(
            at=timeutil.now(), editor_id=actor.editor_id, editor_name=actor.name[:200], via=actor.via,
            action="confirm", story_id=entry.story_id, entry_id=entry.id, headline=entry.headline[:300],
            detail="translation confirmed after a correction to its source",
        ))


def translated_entries(story: Story) -> dict[int, Entry]:
    """A translation's entries by the id of the source entry each translates."""
    rows = db.session.scalars(select(Entry).where(Entry.story_id == story.id, Entry.translation_of_id.is_not(None)))
    return {e.translation_of_id: e for e in rows}


def translations_of(story: Story) -> list[Story]:
    """The stories that translate this one."""
    return list(db.session.scalars(select(Story).where(Story.translation_of_id == story.id).order_by(Story.id)))
