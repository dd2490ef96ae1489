"""What a shared link previews (Open Graph and Twitter card tags), from what the public may read.

A page is rendered once per kind of reader, and a member's copy is cached too, so a card is
always decided as for an anonymous reader: a members-only update lends its headline, never its text.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app

from ..access import entry_is_free
from ..media import store as media
from ..models import Entry, Story
from ..urls import absolute
from .state import Snapshot

DESCRIPTION_CHARS = 200


@dataclass(frozen=True)
class Picture:
    url: str  # absolute: a preview is fetched by another site's server
    alt: str
    width: int
    height: int


@dataclass(frozen=True)
class Card:
    title: str
    url: str  # absolute, from SITE_URL
    kind: str = "website"  # og:type
    description: str = ""
    image: Picture | None = None

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


def _public(entry: Entry, snap: Snapshot) -> bool:
    return entry.status == "published" and entry_is_free(entry.story.access, entry.day, snap.public_days)


def _public_text(entry: Entry, snap: Snapshot) -> str:
    """An update's words if anyone may read them, else nothing."""
    return entry.body_text if _public(entry, snap) else ""


def _picture(entry: Entry, snap: Snapshot) -> Picture | None:
    """An update's lead image, where the public sees it (pages show it only with the full text)."""
    image = entry.image
    if image is None or not image.renditions or not _public(entry, snap):
        return None
    shown = media.urls(image)
    return Picture(url=shown["src"], alt=image.alt, width=shown["width"], height=shown["height"])


def for_story(story: Story, entries: list[Entry], snap: Snapshot) -> Card:
    """A story's page: its title and standfirst (for an article without one, its free opening), and the
    first lead image among the updates it shows that the public may see."""
    first = next((e for e in entries if e.status == "published"), None)
    description = story.summary or (_public_text(first, snap) if first is not None else "")
    picture = next(filter(None, (_picture(e, snap) for e in entries)), None)
    return Card(title=story.title, url=absolute("content.story", slug=story.slug), kind="article",
                description=excerpt(description), image=picture)


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
                kind="article", description=excerpt(words), image=_picture(entry, snap))


def for_home(live: Story | None) -> Card:
    name = current_app.config["SITE_NAME"]
    if live is None:
        return Card(title=name, url=absolute("content.home"))
    return Card(title=name, url=absolute("content.home"), description=excerpt(live.summary or live.title))


def for_day(day: date, label: str) -> Card:
    return Card(title=label, url=absolute("content.day", day=day.isoformat()))
