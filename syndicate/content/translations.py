"""Which pages translate which: the `hreflang` alternates of a page, and the switcher's targets.

Each list holds the page itself too (hreflang wants every version to name every
version, itself included), as absolute addresses; empty when there is no other
language's version, so a page in one language carries no hreflang at all.
"""
from __future__ import annotations

from bisect import bisect_left
from datetime import date

from sqlalchemy import exists, select

from .. import languages
from ..extensions import db
from ..languages import Link
from ..models import Entry, Story
from ..urls import absolute
from . import queries


def _links(pairs) -> list[Link]:
    links = [Link(lang, url, languages.name(lang), True) for lang, url in pairs]
    return links if len(links) > 1 else []


def everywhere(endpoint: str) -> list[Link]:
    """Pages every language has (home, archive)."""
    return _links((lang, absolute(endpoint, **languages.prefix_values(lang))) for lang in languages.configured())


def of_story(story: Story, page: int = 1) -> list[Link]:
    """A story and its translations, one per language (the oldest of a language wins)."""
    by_lang: dict[str, Story] = {}
    for item in queries.translations(story):
        by_lang.setdefault(languages.of_story(item), item)
    by_lang[languages.of_story(story)] = story
    # Only the first page of a story has a counterpart: the pages of two languages hold different updates.
    here = {"page": page} if page > 1 else {}
    return _links((lang, absolute("content.story", slug=item.slug, **(here if item is story else {})))
                  for lang, item in sorted(by_lang.items()))


def of_entry(entry: Entry) -> list[Link]:
    """An update's permalink and its translations' permalinks; its story's translations where it has none."""
    by_lang: dict[str, str] = {}
    for item in queries.entry_translations(entry):
        by_lang.setdefault(languages.of_story(item.story),
                           absolute("content.update", slug=item.story.slug, uid=item.uid))
    by_lang[languages.of_story(entry.story)] = absolute("content.update", slug=entry.story.slug, uid=entry.uid)
    for link in of_story(entry.story):
        by_lang.setdefault(link.lang, link.url)
    return _links(sorted(by_lang.items()))


def of_day(which: date) -> list[Link]:
    """A day page in each language that has coverage on that day."""
    pairs = []
    for lang in languages.configured():
        has = db.session.scalar(select(exists().where(
            Entry.story_id == Story.id, Entry.day == which, queries.LISTED, queries.in_language(lang))))
        if has:
            pairs.append((lang, absolute("content.day", day=which.isoformat(), **languages.prefix_values(lang))))
    return _links(pairs)


def neighbours(days: tuple[date, ...], which: date) -> tuple[date | None, date | None]:
    """The days with coverage just before and after a day, from a newest-first list."""
    ascending = days[::-1]
    at = bisect_left(ascending, which)
    older = ascending[at - 1] if at > 0 else None
    after = at + 1 if at < len(ascending) and ascending[at] == which else at
    return older, ascending[after] if after < len(ascending) else None


def link_header(links: list[Link]) -> str | None:
    """The same alternates as an HTTP Link header, for answers that are not pages (a permalink's redirect)."""
    if not links:
        return None
    return ", ".join(f'<{link.url}>; rel="alternate"; hreflang="{link.lang}"' for link in links)
