"""Starting a membership: a pending sign-up and a Stripe Checkout Session for it."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import update

from ..extensions import db
from ..models import Member, Signup, Tier
from ..urls import absolute
from . import signin, stripe_api
from .service import find, has_access, normalise_email

log = logging.getLogger(__name__)


@dataclass
class JoinResult:
    checkout_url: str | None = None
    errors: dict[str, str] = field(default_factory=dict)


def start(email: str, tier_id: str) -> JoinResult:
    normal = normalise_email(email)
    tier = db.session.get(Tier, int(tier_id)) if tier_id.isdigit() and len(tier_id) < 10 else None
    errors = {}
    if normal is None:
        errors["email"] = "Please give an email address we can write to."
    if tier is None:
        errors["tier"] = "Please choose a membership."
    if errors:
        return JoinResult(errors=errors)

    member = find(normal)
    if member is not None and has_access(member):
        signin.send_signin_link(normal)
        return JoinResult()

    signup = Signup(email=normal, tier_id=tier.id)
    db.session.add(signup)
    db.session.flush()
    try:
        checkout = stripe_api.create_checkout_session(
            price_id=tier.price_id,
            email=normal,
            customer=member.stripe_customer_id if member else None,
            reference=str(signup.id),
            # Stripe fills in {CHECKOUT_SESSION_ID}; it must reach Stripe unencoded.
            success_url=absolute("members.join_success") + "?session_id={CHECKOUT_SESSION_ID}",
            cancel_url=absolute("members.join"),
        )
    except stripe_api.StripeUnavailable as exc:
        db.session.rollback()
        log.warning("checkout could not start: %s", exc)
        return JoinResult(errors={"form": "Payments cannot be taken right now. Please try again in a few minutes."})
    signup.checkout_session_id = checkout["id"]
    db.session.commit()
    return JoinResult(checkout_url=checkout["url"])


def welcome(member_id: int) -> None:
    """Send the welcome mail a new membership is owed; if mail fails, leave it owed for the next event or sync."""
    try:
        signin.send_welcome(member_id)
    except Exception:  # noqa: BLE001 (any mail failure: SMTP, DNS, disk)
        log.exception("welcome mail for member %s failed; it will be sent on the next Stripe event", member_id)
        db.session.rollback()
        db.session.execute(update(Member).where(Member.id == member_id).values(welcomed_at=None))
        db.session.commit()
