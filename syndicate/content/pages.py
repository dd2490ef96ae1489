"""What a page shows of each entry, decided without a request: full text, teaser or withdrawal note."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup

from .. import timeutil
from ..access import Reader, may_read
from ..models import Entry, Story
from ..text import teaser
from ..inline_images import page_images
from ..urls import absolute, site_root
from .state import Note, Snapshot


@dataclass
class EntryView:
    entry: Entry
    readable: bool
    withdrawn: bool
    naming_note: Note | None

    @property
    def anchor(self) -> str:
        return f"entry-{self.entry.uid}"

    @property
    def permalink(self) -> str:
        return absolute("content.update", slug=self.entry.story.slug, uid=self.entry.uid)

    @property
    def time_display(self) -> str:
        return timeutil.display(self.entry.published_at)

    @property
    def time_iso(self) -> str:
        return timeutil.iso(self.entry.published_at)

    @property
    def teaser(self) -> str:
        return teaser(self.entry.body_text)

    @property
    def body(self) -> Markup:
        # Stored bodies were sanitised on the way in; their pictures load from wherever the page did.
        return Markup(page_images(self.entry.body_html, site_root()))


def entry_views(entries: list[Entry], reader: Reader, snap: Snapshot) -> list[EntryView]:
    views = []
    for entry in entries:
        withdrawn = entry.status != "published"
        covered = any(r.id in snap.covered_region_ids for r in entry.all_regions())
        views.append(EntryView(
            entry=entry,
            readable=not withdrawn and may_read(reader, entry.story.access, entry.day, snap.public_days),
            withdrawn=withdrawn,
            naming_note=snap.note_for(entry.story.language) if covered else None,
        ))
    return views


def story_note(story: Story, views: list[EntryView], snap: Snapshot) -> Note | None:
    """The note shown above a story: when the story or any of its updates is in a covered region."""
    if any(r.id in snap.covered_region_ids for r in story.regions) or any(v.naming_note for v in views):
        return snap.note_for(story.language)
    return None


def json_ld(story: Story, views: list[EntryView], url: str, publisher: str) -> Markup:
    """schema.org LiveBlogPosting or NewsArticle for the updates a page shows, marking those for members."""
    visible = [v for v in views if not v.withdrawn]
    free = all(v.readable for v in visible)
    data = {
        "@context": "https://schema.org",
        "@type": "LiveBlogPosting" if story.kind == "live" else "NewsArticle",
        "headline": story.title,
        "description": story.summary,
        "url": url,
        "inLanguage": story.language,
        "datePublished": timeutil.iso(story.published_at),
        "dateModified": timeutil.iso(story.updated_at),
        "publisher": {"@type": "Organization", "name": publisher},
        "isAccessibleForFree": free,
    }
    if not free:
        data["hasPart"] = {"@type": "WebPageElement", "isAccessibleForFree": False, "cssSelector": ".gated"}
    if story.kind == "live":
        if visible:
            data["coverageStartTime"] = timeutil.iso(visible[-1].entry.published_at)
            data["coverageEndTime"] = timeutil.iso(visible[0].entry.published_at)
        data["liveBlogUpdate"] = [
            {
                "@type": "BlogPosting",
                "headline": v.entry.headline,
                "url": v.permalink,
                "datePublished": timeutil.iso(v.entry.published_at),
                "dateModified": timeutil.iso(v.entry.updated_at),
                "isAccessibleForFree": v.readable,
                **({"articleBody": v.entry.body_text} if v.readable else {}),
            }
            for v in visible
        ]
    # No text may end the script block or open a comment in it: <, > and & are written as escapes.
    text = json.dumps(data, ensure_ascii=False)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def gating(views: list[EntryView]) -> dict:
    """Whether a page holds updates for members, and whether that is all it holds.

    A page with its own invitation to join needs no banner saying the same above it.
    """
    visible = [v for v in views if not v.withdrawn]
    gated = [v for v in visible if not v.readable]
    return {"gated": bool(gated), "all_gated": bool(gated) and len(gated) == len(visible), "hide_banner": bool(gated)}


def day_note(views: list[EntryView]) -> Note | None:
    """The note above a day page: the first covered update's, in its story's language."""
    return next((v.naming_note for v in views if v.naming_note and not v.withdrawn), None)


def current_day(story: Story, series: list):
    """The series' newest day when it is not this live day, which has then ended; None otherwise.

    `series` is what queries.series_days gives, oldest first: its last row is the newest day.
    """
    if story.kind != "live" or not story.series or not series or series[-1].id == story.id:
        return None
    return series[-1]


def day_label(day: date) -> str:
    return timeutil.display_day(day)
