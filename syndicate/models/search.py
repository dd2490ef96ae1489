"""The search index: one row per published entry, its words in its story's language."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime


class SearchDocument(db.Model):
    """What search matches an entry by, kept by syndicate.search.index in the entry's own transaction.

    `words` is a tsvector on PostgreSQL (a GIN index beside it, made by the migration); on SQLite
    it is the entry's words already stemmed, which triggers copy into the FTS5 table search_fts.
    Publication time and embargo are copied here so a search orders and filters without a join.
    """

    __tablename__ = "search_document"
    __table_args__ = (Index("ix_search_document_language_published", "language", "published_at"),)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id", ondelete="CASCADE"), primary_key=True,
                                          autoincrement=False)
    language: Mapped[str] = mapped_column(String(8))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    embargo_until: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    words: Mapped[str] = mapped_column(Text().with_variant(TSVECTOR(), "postgresql"))
