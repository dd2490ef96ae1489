"""One person, one subscription: at most one Checkout per address, reused until it is paid or expires.

The continue link's POST arrives again and again: a reload, the back button, a
double click, two tabs. Each finds the address's open sign-up (a unique column
claims it) and the Checkout Stripe made for it, instead of making another. The
Stripe call that creates a Checkout carries the sign-up's idempotency key, so
requests that overlap, or a retry after a lost answer, get the same session.
Stripe is never called inside a transaction: the claim is committed first.
"""
from __future__ import annotations

import logging
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from .. import languages, timeutil
from ..extensions import db
from ..models import Member, Signup, Tier
from ..urls import absolute
from ..writes import end_read, private_write
from . import billing, signin, stripe_api, webhooks
from .join import JoinResult, payments_unavailable
from .service import find, has_access, known_language

log = logging.getLogger(__name__)

CHECKOUT_ID = re.compile(r"cs_[A-Za-z0-9_]{1,250}")
# A paid Checkout holds the address this long after the payment is confirmed (or, unconfirmed, after the
# session would have expired): a reload right after paying must not lead to a second subscription.
SETTLING = timedelta(hours=1)


@dataclass
class Claim:
    """The address's open sign-up, as read in the transaction that claimed or found it."""

    signup_id: int
    tier_id: int
    session_id: str | None
    key: str
    expires_at: datetime | None
    completed_at: datetime | None
    language: str  # the page's that made the sign-up: its Checkout is created in it, every time alike


def start(email: str, tier: Tier, lang: str) -> JoinResult:
    """The Checkout a mailed link's POST leads to: the address's open one, or a new one; none for a member.

    `lang` is the language of the page the link was opened on: Checkout, and the pages after it, are in it.
    """
    member = find(email)
    if member is not None and has_access(member):
        # An active member is mailed a sign-in link instead of a second subscription.
        signin.queue_signin(email, lang)  # in a private_write() of its own (members.mail)
        return JoinResult(already_member=True)
    customer = member.stripe_customer_id if member else None
    tier_id, price_id = tier.id, tier.price_id
    end_read()  # nothing stays open while Stripe is asked
    try:
        # A turn frees the address from a Checkout that cannot serve; the next makes one. A third is for races.
        for _ in range(3):
            claim = _claim(email, tier_id, lang)
            now = timeutil.now()
            if claim.completed_at is None and claim.expires_at is not None and now >= claim.expires_at + SETTLING:
                _release(claim.signup_id)  # long past its expiry, whatever became of it: no need to ask Stripe
                continue
            try:
                session = _session_for(claim, email, customer, price_id)
            except stripe_api.StripeNotFound:
                if claim.session_id is None:
                    raise
                # Stripe no longer knows it (another account or mode, or long gone): nothing there can be paid.
                _release(claim.signup_id)
                continue
            status = session.get("status")
            if status == "open" and claim.tier_id == tier_id:
                return JoinResult(checkout_url=session["url"], checkout_session_id=session["id"])
            if status == "open":
                # Another tier chosen from a newer mail: the first Checkout must not stay payable beside it.
                stripe_api.expire_checkout_session(session["id"])
            elif status == "complete" and _settling(claim, now):
                return JoinResult(paid_session_id=session["id"])
            _release(claim.signup_id)
    except stripe_api.StripeUnavailable as exc:
        log.warning("checkout could not start: %s", exc)
        return payments_unavailable()
    log.warning("checkout could not start: the address's sign-up kept changing")
    return payments_unavailable()


def _claim(email: str, tier_id: int, lang: str) -> Claim:
    """The address's open sign-up, made now if it has none (one wins when requests race)."""
    for _ in range(2):
        try:
            with private_write():
                signup = db.session.scalar(select(Signup).where(Signup.open_email == email))
                if signup is None:
                    signup = Signup(email=email, tier_id=tier_id, open_email=email, language=lang,
                                    idempotency_key=secrets.token_hex(24))
                    db.session.add(signup)
                    db.session.flush()
                claim = Claim(signup.id, signup.tier_id, signup.checkout_session_id, signup.idempotency_key,
                              signup.checkout_expires_at, signup.completed_at,
                              known_language(signup.language) or languages.default())
        except IntegrityError:  # a parallel request claimed the address first: use its sign-up
            continue
        return claim
    raise stripe_api.StripeUnavailable("the address's sign-up could not be claimed")


def _release(signup_id: int) -> None:
    """Free the address from a sign-up whose Checkout can no longer be paid (the sign-up row stays)."""
    with private_write():
        db.session.execute(update(Signup).where(Signup.id == signup_id).values(open_email=None))


def _session_for(claim: Claim, email: str, customer: str | None, price_id: str) -> dict:
    """The claim's Checkout as Stripe has it now, created (idempotently) if it has none yet."""
    if claim.session_id is not None:
        return stripe_api.retrieve_checkout_session(claim.session_id)
    # The sign-up's language, not this request's: a retry under the same idempotency key must ask the same.
    where = languages.prefix_values(claim.language)
    try:
        session = stripe_api.create_checkout_session(
            price_id=price_id,
            email=email,
            customer=customer,
            reference=str(claim.signup_id),
            # Stripe fills in {CHECKOUT_SESSION_ID}; it must reach Stripe unencoded.
            success_url=absolute("members.join_success", **where) + "?session_id={CHECKOUT_SESSION_ID}",
            cancel_url=absolute("members.join", **where),
            idempotency_key=claim.key,
            language=claim.language,
        )
    except stripe_api.StripeConflict:
        # A parallel request with this key is still creating it: wait for that one to record it.
        return stripe_api.retrieve_checkout_session(_recorded_session(claim.signup_id))
    expires = session.get("expires_at")
    with private_write():
        db.session.execute(update(Signup).where(Signup.id == claim.signup_id, Signup.checkout_session_id.is_(None))
                           .values(checkout_session_id=session["id"], checkout_expires_at=datetime.fromtimestamp(
                               expires, timezone.utc) if isinstance(expires, int) else None))
    return session


def _recorded_session(signup_id: int) -> str:
    """The Checkout id another request stores for a sign-up, waited for as long as a Stripe call may take."""
    deadline = time.monotonic() + float(current_app.config["STRIPE_TIMEOUT"])
    while True:
        session_id = db.session.scalar(select(Signup.checkout_session_id).where(Signup.id == signup_id))
        end_read()  # the next look must see what the other request committed meanwhile
        if session_id is not None:
            return session_id
        if time.monotonic() > deadline:
            raise stripe_api.StripeUnavailable("a parallel request did not record its Checkout")
        time.sleep(0.1)


def _settling(claim: Claim, now: datetime) -> bool:
    """Whether a paid Checkout is recent enough that its membership may still be on its way."""
    since = claim.completed_at or claim.expires_at
    return since is None or now < since + SETTLING


def paid_member(session_id: str) -> Member | None:
    """The member a Checkout has made, once Stripe confirms its payment; None before, or if it is not ours.

    The caller decides whether this browser may be signed in as them; this only asks whether it is paid.
    Reached before the webhook, it applies the Checkout itself, as the webhook will (which then changes nothing).
    """
    if not CHECKOUT_ID.fullmatch(session_id):
        return None
    email = db.session.scalar(select(Signup.email).where(Signup.checkout_session_id == session_id))
    member = find(email) if email else None
    if email is None or (member is not None and has_access(member)):
        return member
    end_read()  # nothing stays open while Stripe is asked
    try:
        session = stripe_api.retrieve_checkout_session(session_id)
        if session.get("status") != "complete" or session.get("payment_status") not in ("paid",
                                                                                        "no_payment_required"):
            return None
        billing.apply_checkout(session)
    except (stripe_api.StripeUnavailable, webhooks.BadEvent) as exc:
        log.warning("checkout %s could not be confirmed: %s", session_id, exc)
        return None
    member = find(email)
    return member if member is not None and has_access(member) else None
