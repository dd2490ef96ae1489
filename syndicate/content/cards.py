"""What a shared link previews (Open Graph and Twitter card tags), from what the public may read.

A page is rendered once per kind of reader, and a member's copy is cached too, so a card is
always decided as for an anonymous reader: a members-only update lends its headline, never its text.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app

from ..access import entry_is_free
from ..models import Entry, Story
from ..urls import absolute
from .state import Snapshot

DESCRIPTION_CHARS = 200


@dataclass(frozen=True)
class Card:
    title: str
    url: str  # absolute, from SITE_URL
    kind: str = "website"  # og:type
    description: str = ""
    image: str | None = None  # absolute; a lead image, once entries have one

    @property
    def twitter(self) -> str:
        return "summary_large_image" if self.image else "summary"

    @property
    def site_name(self) -> str:
        return current_app.config["SITE_NAME"]


def excerpt(text: str, limit: int = DESCRIPTION_CHARS) -> str:
    """The opening of a text, cut at a word and marked as cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _public_text(entry: Entry, snap: Snapshot) -> str:
    """An update's words if anyone may read them, else nothing."""
    if entry.status != "published" or not entry_is_free(entry.story.access, entry.day, snap.public_days):
        return ""
    return entry.body_text


def for_story(story: Story, first: Entry | None, snap: Snapshot) -> Card:
    """A story's page: its title and standfirst (for an article without one, its free opening)."""
    description = story.summary or (excerpt(_public_text(first, snap)) if first is not None else "")
    return Card(title=story.title, url=absolute("content.story", slug=story.slug), kind="article",
                description=excerpt(description))


def for_update(entry: Entry, snap: Snapshot) -> Card:
    """An update's permalink: its headline and, when free to all, its opening words.

    A withdrawn update left only its public note: the card then describes the story.
    """
    story = entry.story
    if entry.status != "published":
        return Card(title=story.title, url=absolute("content.update", slug=story.slug, uid=entry.uid),
                    kind="article", description=excerpt(story.summary))
    words = _public_text(entry, snap) or story.summary
    return Card(title=entry.headline, url=absolute("content.update", slug=story.slug, uid=entry.uid),
                kind="article", description=excerpt(words))


def for_home(live: Story | None) -> Card:
    name = current_app.config["SITE_NAME"]
    if live is None:
        return Card(title=name, url=absolute("content.home"))
    return Card(title=name, url=absolute("content.home"), description=excerpt(live.summary or live.title))


def for_day(day: date, label: str) -> Card:
    return Card(title=label, url=absolute("content.day", day=day.isoformat()))
