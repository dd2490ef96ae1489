"""The neutral shape of a feed: declared once, written as RSS 2.0, Atom 1.0 or JSON Feed 1.1."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

NS = "https://syndicate.invalid/ns/1.0"  # the project's own feed extension namespace
NS_PREFIX = "syndicate"
FH_NS = "http://purl.org/syndication/history/1.0"  # RFC 5005
AT_NS = "http://purl.org/atompub/tombstones/1.0"  # RFC 6721
MEDIA_NS = "http://search.yahoo.com/mrss/"  # Media RSS
DC_NS = "http://purl.org/dc/elements/1.1/"  # dc:creator: RSS's own <author> must be an email address


@dataclass
class FeedImage:
    """An entry's lead image: its widest stored size, and its words."""

    url: str
    type: str
    length: int
    width: int
    height: int
    alt: str
    caption: str | None = None
    credit: str | None = None


@dataclass
class FeedItem:
    id: str
    title: str
    link: str
    published: datetime
    updated: datetime
    content_html: str
    summary: str = ""
    categories: list[tuple[str, str]] = field(default_factory=list)  # (term, label)
    naming_note: str | None = None
    naming_note_lang: str | None = None
    key_event: bool = False
    language: str | None = None
    image: FeedImage | None = None
    author: str | None = None  # the byline, only ever as the newsroom printed it


@dataclass
class Tombstone:
    """An entry partners must remove (RFC 6721), placed after `position` items of the document."""

    id: str
    when: datetime
    note: str | None
    link: str
    position: int


@dataclass
class FeedDoc:
    id: str
    title: str
    subtitle: str
    # Without format suffix: writers add .atom, .rss, .json, and link_query like every feed link. A
    # member's feed reader re-subscribes to `self`, and a cloud reader merges feeds by it: a private
    # document's self link (and its id) must name the private document, token and all.
    self_url: str
    home_url: str
    updated: datetime
    items: list[FeedItem]
    language: str = "en"
    author: str = ""
    payment_url: str | None = None
    hub_url: str | None = None
    current_url: str | None = None  # the subscription feed an archive belongs to
    prev_archive_url: str | None = None
    next_archive_url: str | None = None
    is_archive: bool = False  # RFC 5005 fh:archive: a past day, complete and final
    naming_note: str | None = None  # the note this document's covered entries carry
    extra: dict = field(default_factory=dict)  # JSON Feed "_syndicate" additions
    link_query: str = ""  # appended to every feed link, e.g. "?token=..." for a feed reader
    tombstones: list[Tombstone] = field(default_factory=list)
    rights: str | None = None
    next_url: str | None = None  # the next page of a paged document, complete
    cursor: str | None = None  # where a change-log reader continues from

    def feed_url(self, base: str | None, fmt: str) -> str | None:
        """A feed link in the same format as the document, carrying the reader's token if it came in the URL."""
        return f"{base}.{fmt}{self.link_query}" if base else None
