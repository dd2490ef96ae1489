"""Signed-in sessions, kept on the server so that they can be ended there."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class SignedInSession(db.Model):
    """One browser's sign-in, as a member or at the desk: deleting the row signs that browser out.

    The browser holds a random id in the signed session cookie; only its SHA-256
    is stored, so a copy of this table opens no session. version is the
    member's token_version or the editor's session_version at sign-in: raising
    either ends the session even if a sign-in raced the change. Nothing else
    about the person is kept, and a row is deletable once it expires.
    """

    __tablename__ = "signed_in_session"
    __table_args__ = (Index("ix_signed_in_session_subject", "purpose", "subject_id"),)
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(8))  # member | editor
    subject_id: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Fixed at sign-in (never slides), like the edge's signed_in marker that says it exists.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
