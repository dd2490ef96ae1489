"""Editors who publish and members who read."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
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
    # Where the desk mails sign-in links; an editor without one uses the API only.
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    # Held in each desk session and checked on every desk request: raising it ends them all.
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


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

    tier_id: Mapped[int | None] = mapped_column(ForeignKey("tier.id"))
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255), index=True)
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(255), index=True)
    # When Stripe first reported the subscription past due: the grace period runs from here.
    past_due_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the Stripe state now stored was read from Stripe: an older read never overwrites a newer one.
    stripe_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    welcomed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The end of the paid period Stripe last reported: the renewal date, or the last day if it is cancelled.
    period_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_at_period_end: Mapped[bool] = mapped_column(default=False, server_default="0")
    # Set when the member's feed URL is fetched from unusually many networks.
    flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The language of the last form the member used (join, sign-in), which their mail is written in;
    # None for a member no form of ours made (the Dashboard, `members comp`): the site's default language.
    language: Mapped[str | None] = mapped_column(String(35))


class Tier(db.Model):
    """A membership level sold through one Stripe price (or, on older accounts, plan)."""

    __tablename__ = "tier"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    price_id: Mapped[str] = mapped_column(String(255), unique=True)
    amount: Mapped[int | None] = mapped_column(Integer)  # in the currency's minor unit
    currency: Mapped[str | None] = mapped_column(String(3))
    interval: Mapped[str | None] = mapped_column(String(8))  # month | year
    # The tier's name in other languages ({"ru": "Сторонник"}); `name` serves every language not named here.
    names: Mapped[dict | None] = mapped_column(JSON)


class Signup(db.Model):
    """A sign-up sent to Stripe Checkout, referenced by the session's client_reference_id.

    open_email is set while its Checkout may still be paid: unique, so an address has one at a time.
    """

    __tablename__ = "signup"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    tier_id: Mapped[int] = mapped_column(ForeignKey("tier.id"))
    checkout_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    open_email: Mapped[str | None] = mapped_column(String(320), unique=True)
    # Sent with every request that creates this sign-up's Checkout: Stripe answers a repeat with the same session.
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    checkout_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The language of the page the Checkout was started from: its Stripe Checkout is made in it.
    language: Mapped[str | None] = mapped_column(String(35))


class StripeEvent(db.Model):
    """A webhook event already applied: a second delivery changes nothing."""

    __tablename__ = "stripe_event"
    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UsedSigninLink(db.Model):
    """A sign-in link that has been used: each works once."""

    __tablename__ = "used_signin_link"
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FeedNetwork(db.Model):
    """A network a member's private feed was fetched from, once per hour."""

    __tablename__ = "feed_network"
    __table_args__ = (UniqueConstraint("member_id", "network", "hour"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    network: Mapped[str] = mapped_column(String(64))
    # Indexed for the last-24-hours counts and for retention's hourly delete of old rows.
    hour: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Partner(db.Model):
    """An outlet that republishes our reporting with a key."""

    __tablename__ = "partner"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    license: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PartnerPull(db.Model):
    """One pull of the syndication feed: who, when, from which cursor to which, and what it carried."""

    __tablename__ = "partner_pull"
    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cursor_in: Mapped[int] = mapped_column(Integer)
    cursor_out: Mapped[int] = mapped_column(Integer)
    entries: Mapped[int] = mapped_column(Integer)
    tombstones: Mapped[int] = mapped_column(Integer)
