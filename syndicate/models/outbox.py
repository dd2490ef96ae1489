"""Mail waiting to leave: written in the sender's transaction, sent later by the outbox."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class OutboxMail(db.Model):
    """One message to send, or (kind "signin", "desk_signin", "join") a request to resolve into one when sending.

    state: pending while it waits. A message that has left, has been given up, or
    turns out to be owed to nobody (a sign-in request for an address that is no
    member's) is deleted: the body holds sign-in links. Rows an older version kept
    as "sent" or "failed" are deleted by retention.purge_outbox.
    """

    __tablename__ = "outbox_mail"
    __table_args__ = (Index("ix_outbox_mail_due", "state", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="mail")
    to_addr: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(500), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    message_id: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A sender owns the row until then; a sender that died lets it go when the lease runs out.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(300))
    # A request's: the language of the form that asked, which its mail is written in (None: the default).
    language: Mapped[str | None] = mapped_column(String(35))
