"""Starting a membership: a pending sign-up and a Stripe Checkout Session for it."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from ..extensions import db
from ..models import Signup, Tier
from ..urls import absolute
from ..writes import begin_private_write
from . import signin, stripe_api
from .service import find, has_access, normalise_email

log = logging.getLogger(__name__)

UNAVAILABLE = "Payments cannot be taken right now. Please try again in a few minutes."


@dataclass
class JoinResult:
    checkout_url: str | None = None
    errors: dict[str, str] = field(default_factory=dict)
    unavailable: bool = False


def _tier(tier_id: str) -> Tier | None:
    # ASCII digits only: "²".isdigit() is true, and int("²") raises.
    if not (tier_id.isascii() and tier_id.isdigit() and len(tier_id) < 10):
        return None
    return db.session.get(Tier, int(tier_id))


def start(email: str, tier_id: str) -> JoinResult:
    """Send anyone, member or not, to Checkout: the answer never tells whose address it is.

    An address that already holds a membership is also sent a sign-in link,
    so its owner learns there is nothing to pay. Stripe is called with no
    transaction open: the sign-up is committed first and completed after.
    """
    normal = normalise_email(email)
    tier = _tier(tier_id)
    errors = {}
    if normal is None:
        errors["email"] = "Please give an email address we can write to."
    if tier is None:
        errors["tier"] = "Please choose a membership."
    if errors:
        return JoinResult(errors=errors)

    member = find(normal)
    customer = member.stripe_customer_id if member else None
    already = member is not None and has_access(member)
    begin_private_write()
    signup = Signup(email=normal, tier_id=tier.id)
    db.session.add(signup)
    if already:
        signin.queue_signin(normal)
    db.session.commit()
    signup_id, price_id = signup.id, tier.price_id

    try:
        checkout = stripe_api.create_checkout_session(
            price_id=price_id,
            email=normal,
            customer=customer,
            reference=str(signup_id),
            # Stripe fills in {CHECKOUT_SESSION_ID}; it must reach Stripe unencoded.
            success_url=absolute("members.join_success") + "?session_id={CHECKOUT_SESSION_ID}",
            cancel_url=absolute("members.join"),
        )
    except stripe_api.StripeUnavailable as exc:
        log.warning("checkout could not start: %s", exc)
        return JoinResult(errors={"form": UNAVAILABLE}, unavailable=True)

    begin_private_write()
    db.session.get(Signup, signup_id).checkout_session_id = checkout["id"]
    db.session.commit()
    return JoinResult(checkout_url=checkout["url"])
