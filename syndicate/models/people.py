"""Editors who publish and members who read."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class Editor(db.Model):
    __tablename__ = "editor"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # SHA-256 of a 256-bit random token: a slow hash adds nothing at that entropy.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Member(db.Model):
    __tablename__ = "member"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    # Raised when the member asks for a new token: every older token stops working.
    token_version: Mapped[int] = mapped_column(Integer, default=1)
    # comp | active | trialing | past_due | canceled | unpaid | incomplete | incomplete_expired
    status: Mapped[str] = mapped_column(String(32), default="comp")
    # The last local day a complimentary membership covers (None: open-ended).
    comp_until: Mapped[date | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
