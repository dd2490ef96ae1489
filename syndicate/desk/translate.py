"""Translating at the desk: starting a story's translation, an update's, and confirming one after a correction."""
from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _

from .. import languages
from ..editorial import idempotency, service, translations
from ..editorial.validate import SLUG
from ..errors import APIError
from ..models import Editor, Entry, Story
from ..text import clean_text
from .work import actor


@dataclass
class Draft:
    """The translation form as typed."""

    lang: str
    title: str
    summary: str
    slug: str


def original(story: Story) -> Story:
    """The story a translation translates (itself when it is the original)."""
    from ..extensions import db

    return db.session.get(Story, story.translation_of_id) if story.translation_of_id else story


def missing_languages(story: Story) -> list[str]:
    """The site's languages this story has no version in yet."""
    source = original(story)
    have = {source.language} | {s.language for s in translations.translations_of(source)}
    return [lang for lang in languages.configured() if lang not in have]


def versions(story: Story) -> list[Story]:
    """The story's other-language versions, the original first."""
    source = original(story)
    return [s for s in [source, *translations.translations_of(source)] if s.id != story.id]


def draft(source: Story, lang: str, form=None) -> Draft:
    if form is None:
        return Draft(lang, "", "", f"{source.slug}-{lang}"[:120])
    return Draft(lang, clean_text(form.get("title", "")).strip()[:300],
                 clean_text(form.get("summary", "")).strip()[:2000],
                 form.get("slug", "").strip()[:120])


def problem(d: Draft) -> str | None:
    """What is wrong with the form before anything is asked of the service, for the editor to put right."""
    if not d.title:
        return _("Give the translation a title.")
    if d.slug and not SLUG.fullmatch(d.slug):
        return _("Write the address in lower-case Latin letters, digits and hyphens, e.g. %(example)s.",
                 example="day-40-ru")
    return None


def refusal(exc: APIError, d: Draft) -> str:
    """The service's refusal (409, 422) as the desk says it: what to change, in the editor's language."""
    if exc.error_code == "slug_taken":
        return _("The address /stories/%(slug)s is taken. Choose another.", slug=d.slug or service.slugify(d.title))
    if exc.error_code == "day_taken":
        return _("This live day already has a version in that language.")
    return _("The translation could not be started: check its title, standfirst and address.")


def start(editor: Editor, source: Story, d: Draft, key: str, print_: str) -> dict:
    """Create the translated story: same kind, access, regions and day as its original."""
    def action():
        story = service.create_story(
            title=d.title, slug=d.slug or None, summary=d.summary, kind=source.kind, language=d.lang,
            access=source.access, regions=[r.slug for r in source.regions],
            # Its own series: one live day per series and date, and the original holds that day already.
            series=f"{source.series}-{d.lang}"[:120] if source.series else None,
            published_at=source.published_at, syndicate=source.syndicate, actor=actor(editor),
            translation_of=source)
        return 303, {"location": url_for("desk.story", slug=story.slug)}

    _status, body, _replayed = idempotency.run_once(editor.id, key, print_, action)
    return body


def to_translate(story: Story) -> list[Entry]:
    """The original's published updates this translation has no translation of yet, newest first."""
    if story.translation_of_id is None:
        return []
    from .work import story_entries

    done = translations.translated_entries(story)
    source = original(story)
    return [e for e in story_entries(source) if e.status == "published" and e.id not in done]


def source_of(story: Story, ref: str) -> Entry | None:
    """The original's update named by a "translate this" link, if it is one."""
    from .work import entry_by_ref

    entry = entry_by_ref(ref) if ref else None
    if entry is None or story.translation_of_id is None or entry.story_id != story.translation_of_id:
        return None
    return entry


def confirm(editor: Editor, entry: Entry) -> None:
    translations.confirm(entry, actor(editor))
