"""Stories, their entries, regions, the naming note and the gazetteer."""
from __future__ import annotations

import uuid
from typing import TYPE_CHECKING
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Column, Date, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from .media import Image

story_regions = Table(
    "story_region",
    db.metadata,
    Column("story_id", ForeignKey("story.id", ondelete="CASCADE"), primary_key=True),
    Column("region_id", ForeignKey("region.id", ondelete="CASCADE"), primary_key=True, index=True),
)

entry_regions = Table(
    "entry_region",
    db.metadata,
    Column("entry_id", ForeignKey("entry.id", ondelete="CASCADE"), primary_key=True),
    Column("region_id", ForeignKey("region.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class SiteState(db.Model):
    """One row. Its version rises in every transaction that changes what readers see.

    Every worker compares it on each request, so caches are never stale, and the
    row's update serialises content writers until they commit.
    """

    __tablename__ = "site_state"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # The last number handed to the partners' change log; see partners.changes.
    change_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)


class Region(db.Model):
    __tablename__ = "region"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # The name on other languages' pages and feeds, by language tag ({"ru": "Абхазия"}).
    names: Mapped[dict | None] = mapped_column(JSON)
    covered: Mapped[bool] = mapped_column(Boolean, default=False)

    def name_in(self, lang: str | None) -> str:
        """The region's name in `lang`; its plain name where it has none in that language."""
        return (self.names or {}).get(lang or "") or self.name


class Story(db.Model):
    __tablename__ = "story"
    # One live day per series and date: two editors (or two tabs) starting the same next day get one.
    __table_args__ = (Index("uq_story_series_live_day", "series", "live_day", unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16), default="live")  # live | article
    language: Mapped[str] = mapped_column(String(35), default="en")
    access: Mapped[str] = mapped_column(String(16), default="standard")  # standard | public | members
    # Live days of the same coverage share a series, which links them to each other.
    series: Mapped[str | None] = mapped_column(String(120), index=True)
    # Whether partner outlets may republish this story's entries.
    syndicate: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A live story's newsroom-local day (of published_at); None for articles. Unique with the series.
    live_day: Mapped[date | None] = mapped_column(Date)
    # The story this one translates (always the original, never a translation of a translation).
    translation_of_id: Mapped[int | None] = mapped_column(ForeignKey("story.id", ondelete="SET NULL"), index=True)

    regions: Mapped[list[Region]] = relationship(secondary=story_regions, lazy="selectin", order_by=Region.slug)
    entries: Mapped[list[Entry]] = relationship(back_populates="story", lazy="raise_on_sql")


class Entry(db.Model):
    __tablename__ = "entry"
    __table_args__ = (
        UniqueConstraint("story_id", "source_id"),
        Index("ix_entry_day_published", "day", "published_at"),
        Index("ix_entry_status_published", "status", "published_at"),
        Index("ix_entry_story_published", "story_id", "published_at"),
        Index("ix_entry_embargo_pending", "partner_released", "embargo_until"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, default=lambda: str(uuid.uuid4()))
    story_id: Mapped[int] = mapped_column(ForeignKey("story.id", ondelete="CASCADE"))
    headline: Mapped[str] = mapped_column(String(300))
    body_html: Mapped[str] = mapped_column(Text, default="")
    # The body's words, made once when it is saved: JSON-LD and teasers read it on every render.
    body_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The newsroom-local calendar day of published_at, kept so a day is one indexed range.
    day: Mapped[date] = mapped_column(Date)
    key_event: Mapped[bool] = mapped_column(Boolean, default=False)
    syndicate: Mapped[bool] = mapped_column(Boolean, default=True)
    embargo_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="published")  # published | withdrawn
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
    withdrawn_note: Mapped[str | None] = mapped_column(Text)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The item id in a feed this entry was imported from, so re-imports update it.
    source_id: Mapped[str | None] = mapped_column(String(1000))
    # Whether partners can hold a copy: set when it enters their change log, cleared by a tombstone.
    partner_released: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # The lead image; deleting an image leaves its entries without one rather than deleting them.
    image_id: Mapped[int | None] = mapped_column(ForeignKey("image.id", ondelete="SET NULL"), index=True)
    # The reporter's name as the newsroom chose to print it, or none: a name can endanger its bearer.
    byline: Mapped[str | None] = mapped_column(String(200))
    # The entry of the source story this one translates, and whether a correction to that entry
    # came after this translation was last updated or confirmed (shown on the desk until then).
    translation_of_id: Mapped[int | None] = mapped_column(ForeignKey("entry.id", ondelete="SET NULL"), index=True)
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    story: Mapped[Story] = relationship(back_populates="entries", lazy="joined", innerjoin=True)
    regions: Mapped[list[Region]] = relationship(secondary=entry_regions, lazy="selectin", order_by=Region.slug)
    corrections: Mapped[list[Correction]] = relationship(
        lazy="selectin", order_by="Correction.created_at", cascade="all, delete-orphan"
    )
    image: Mapped[Image | None] = relationship(lazy="selectin")

    @property
    def visible(self) -> bool:
        return self.status == "published"

    def all_regions(self) -> list[Region]:
        """The entry's own regions and its story's, once each."""
        seen = {r.id: r for r in self.story.regions}
        seen.update((r.id, r) for r in self.regions)
        return sorted(seen.values(), key=lambda r: r.slug)


class Correction(db.Model):
    __tablename__ = "correction"
    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Day(db.Model):
    """A local day with coverage and how many visible entries it holds.

    Kept by the entry writers so the archive index and the public window never
    scan the entry table.
    """

    __tablename__ = "coverage_day"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    entries: Mapped[int] = mapped_column(Integer, default=0)


class NamingNote(db.Model):
    """One version of the editorial note on naming, in one language. The newest wins."""

    __tablename__ = "naming_note"
    id: Mapped[int] = mapped_column(primary_key=True)
    lang: Mapped[str] = mapped_column(String(35), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Place(db.Model):
    """A gazetteer place written with two names, e.g. Shusha (Shushi)."""

    __tablename__ = "place"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    alternate: Mapped[str] = mapped_column(String(200))


class SyndicationChange(db.Model):
    """One change partners must learn of, numbered in commit order (the partners' cursor)."""

    __tablename__ = "syndication_change"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # upsert | delete
    at: Mapped[datetime] = mapped_column(UTCDateTime)
