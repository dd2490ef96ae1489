"""Members in the database: complimentary memberships, tokens, access checks."""
from __future__ import annotations

import re
from datetime import date

from flask import current_app
from sqlalchemy import select

from .. import languages, sessions, timeutil
from ..access import membership_open
from ..extensions import db
from ..models import Member, Tier
from ..writes import private_write
from .tokens import make_feed_token

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


def normalise_email(email: str) -> str | None:
    email = (email or "").strip()
    if len(email) > 320 or not _EMAIL.match(email):
        return None
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


def find(email: str) -> Member | None:
    normal = normalise_email(email)
    return db.session.scalar(select(Member).where(Member.email == normal)) if normal else None


def has_access(member: Member) -> bool:
    return membership_open(
        member.status, member.comp_until, member.past_due_since,
        timeutil.today(), timeutil.now(), current_app.config["GRACE_DAYS"],
    )


def language_of(member: Member) -> str:
    """The language the member's mail and links are in: the last form's they used, else the site's default."""
    return member.language if member.language in languages.configured() else languages.default()


def known_language(lang: str | None) -> str | None:
    """`lang` if it is one of the site's languages (a form's, Stripe's metadata), else None."""
    return lang if lang in languages.configured() else None


def comp(email: str, until: date | None) -> Member:
    """Create or extend a complimentary membership ending after the given local day."""
    normal = normalise_email(email)
    if normal is None:
        raise ValueError(f"{email!r} is not an email address")
    with private_write():
        member = find(normal) or Member(email=normal, token_version=1)
        member.status = "comp"
        member.comp_until = until
        db.session.add(member)
    return member


def replace_token(member: Member) -> str:
    """Issue a new feed token; every earlier one, and every session of the member's, stops working at once."""
    with private_write():
        member.token_version += 1
        sessions.end_all("member", member.id)
    return feed_token(member)


def feed_token(member: Member) -> str:
    return make_feed_token(member.id, member.token_version)


def upsert_tier(name: str, price_id: str, amount: int | None, currency: str | None, interval: str | None,
                names: dict[str, str] | None = None) -> Tier:
    """Create or update the tier that sells a price; `names` (by language) add to the ones it has."""
    with private_write():
        tier = db.session.scalar(select(Tier).where(Tier.price_id == price_id)) or Tier(price_id=price_id)
        tier.name, tier.amount, tier.currency, tier.interval = name, amount, (currency or "").lower() or None, interval
        if names:
            tier.names = {**(tier.names or {}), **names}  # a new dict: the JSON column sees the change
        db.session.add(tier)
    return tier


def all_tiers() -> list[Tier]:
    return list(db.session.scalars(select(Tier).order_by(Tier.amount, Tier.id)))
