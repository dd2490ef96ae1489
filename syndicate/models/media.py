"""Uploaded images and the re-encoded sizes kept of each: the only form in which an image is stored."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow


class Image(db.Model):
    """One uploaded picture: its words and who brought it. The upload itself is never kept."""

    __tablename__ = "image"
    id: Mapped[int] = mapped_column(primary_key=True)
    # Random, not a hash of the upload: a hash would let anyone holding the original photo
    # confirm that the newsroom published it.
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    alt: Mapped[str] = mapped_column(Text)
    caption: Mapped[str | None] = mapped_column(Text)
    credit: Mapped[str | None] = mapped_column(String(300))
    # The largest size kept, after orientation: what a page reserves before the picture loads.
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("editor.id", ondelete="SET NULL"))

    renditions: Mapped[list[ImageRendition]] = relationship(
        back_populates="image", order_by="ImageRendition.width", cascade="all, delete-orphan", lazy="selectin")


class ImageRendition(db.Model):
    """One width of an image, re-encoded without metadata; its bytes load only when served."""

    __tablename__ = "image_rendition"
    __table_args__ = (UniqueConstraint("image_id", "width", "format"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    image_id: Mapped[int] = mapped_column(ForeignKey("image.id", ondelete="CASCADE"))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(8))  # jpeg | webp
    size: Mapped[int] = mapped_column(Integer)  # bytes: feeds' enclosures say it
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the bytes: the ETag
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)

    image: Mapped[Image] = relationship(back_populates="renditions")
