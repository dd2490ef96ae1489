"""What editors did (the desk's log) and the answers kept for retried requests."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class EditorialLog(db.Model):
    """One change to content and who made it, written in the transaction that makes the change."""

    __tablename__ = "editorial_log"
    __table_args__ = (Index("ix_editorial_log_at", "at", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("editor.id", ondelete="SET NULL"))
    # Kept as written then, so the log still reads right if the editor is renamed or removed.
    editor_name: Mapped[str] = mapped_column(String(200))
    via: Mapped[str] = mapped_column(String(16))  # desk | api | cli
    action: Mapped[str] = mapped_column(String(16))  # publish | correct | edit | withdraw | story
    story_id: Mapped[int | None] = mapped_column(ForeignKey("story.id", ondelete="SET NULL"))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("entry.id", ondelete="SET NULL"))
    headline: Mapped[str] = mapped_column(String(300))
    detail: Mapped[str | None] = mapped_column(Text)


class IdempotentRequest(db.Model):
    """The first answer to a request sent with an idempotency key, per editor, kept for retries."""

    __tablename__ = "idempotent_request"
    __table_args__ = (UniqueConstraint("editor_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    editor_id: Mapped[int] = mapped_column(ForeignKey("editor.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    # SHA-256 of the method, path and body: the same key with another request is refused.
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    # JSON: the headers the answer carried that a retry needs too (a PATCH's ETag); None for most.
    headers: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
