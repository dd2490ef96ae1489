"""Stripe's word on memberships, applied to members: by webhook or by `members sync`.

Events arrive late, twice, in parallel and out of order. So every handler
re-reads the subscription from Stripe and stores what Stripe says now; a read
older than the one already stored is dropped, and each event id is applied once.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from .. import timeutil
from ..extensions import db
from ..models import Member, Signup, StripeEvent, Tier
from ..numbers import ascii_int
from ..writes import end_read, private_write
from . import signin, stripe_api, webhooks
from .service import has_access, known_language, normalise_email
from .stripe_api import customer_id, price_ids

log = logging.getLogger(__name__)

OPEN = {"active", "trialing", "past_due"}


@dataclass
class Outcome:
    """What applying Stripe state did, and who is owed a welcome mail once it is committed."""

    members: list[Member] = field(default_factory=list)
    welcome: list[int] = field(default_factory=list)
    ignored: str | None = None


def tier_for(subscription: dict) -> Tier | None:
    ids = price_ids(subscription)
    if not ids:
        return None
    return db.session.scalar(select(Tier).where(Tier.price_id.in_(ids)).limit(1))


def _member_for(subscription: dict, email: str | None) -> Member | None:
    customer = customer_id(subscription)
    member = db.session.scalar(
        select(Member).where(Member.stripe_subscription_id == subscription["id"]).with_for_update()
    ) or (customer and db.session.scalar(
        select(Member).where(Member.stripe_customer_id == customer).with_for_update()
    ))
    if member is not None:
        return member
    if email is None:
        return None
    member = db.session.scalar(select(Member).where(Member.email == email).with_for_update())
    if member is None:
        member = Member(email=email, token_version=1, status="incomplete")
        db.session.add(member)
    return member


def period_end(subscription: dict) -> tuple[datetime | None, bool]:
    """When the paid period ends (the renewal date), and whether the membership ends with it.

    Older API shapes carry the period on the subscription, newer ones on each item.
    """
    end = subscription.get("current_period_end")
    if end is None:
        items = (subscription.get("items") or {}).get("data") or []
        end = items[0].get("current_period_end") if items else None
    moment = datetime.fromtimestamp(end, timezone.utc) if isinstance(end, int) else None
    return moment, bool(subscription.get("cancel_at_period_end"))


def customer_email(subscription: dict, email_hint: str | None = None) -> str | None:
    """The address a subscription's member is found or made by, asking Stripe only when no member knows it.

    Call outside any transaction: it may ask Stripe.
    """
    hint = normalise_email(email_hint or "")
    if hint:
        return hint
    customer = customer_id(subscription)
    matches = [Member.stripe_subscription_id == subscription["id"]]
    if customer:
        matches.append(Member.stripe_customer_id == customer)
    known = db.session.scalar(select(Member.id).where(or_(*matches)).limit(1))
    ours = tier_for(subscription) is not None
    end_read()  # nothing stays open while Stripe is asked
    if known is not None or not ours or not customer:
        return None
    return normalise_email(stripe_api.retrieve_customer(customer).get("email") or "")


def apply_subscription(subscription: dict, read_at: datetime, outcome: Outcome, email_hint: str | None = None,
                       failed_at: datetime | None = None) -> None:
    """Store what Stripe says of one subscription, if it is for one of our tiers. Asks Stripe nothing.

    read_at is when it was asked for, so a reading that overtook a newer one loses to it.
    """
    tier = tier_for(subscription)
    if tier is None:
        outcome.ignored = "not one of our tiers"
        return
    member = _member_for(subscription, normalise_email(email_hint or ""))
    if member is None:
        outcome.ignored = "no email for the customer"
        return
    if member.stripe_read_at is not None and read_at <= member.stripe_read_at:
        outcome.ignored = "an older reading than the one stored"
        return
    status = subscription.get("status") or "incomplete"
    current = member.stripe_subscription_id
    if current and current != subscription["id"] and member.status in OPEN and status not in OPEN:
        # The end of an older subscription never closes a newer one that is running.
        outcome.ignored = "an ended subscription other than the member's current one"
        return
    language = known_language(stripe_api.language_of(subscription))
    if language and (member.language is None or current != subscription["id"]):
        # A subscription our Checkout made says which language's pages it was bought from. It names the
        # member's language when they have none yet or subscribe anew; later events of the same subscription
        # leave alone the language they chose since (a sign-in form's).
        member.language = language
    member.status = status
    member.tier_id = tier.id
    member.stripe_subscription_id = subscription["id"]
    member.stripe_customer_id = customer_id(subscription) or member.stripe_customer_id
    member.stripe_read_at = read_at
    member.period_end, member.cancel_at_period_end = period_end(subscription)
    if status == "past_due":
        member.past_due_since = min(filter(None, [member.past_due_since, failed_at, read_at]))
    elif status in ("active", "trialing"):
        member.past_due_since = None
    db.session.flush()
    outcome.members.append(member)
    if has_access(member) and member.welcomed_at is None:
        claimed = db.session.execute(
            update(Member).where(Member.id == member.id, Member.welcomed_at.is_(None)).values(welcomed_at=read_at)
        ).rowcount
        if claimed:
            # Queued in this transaction: the welcome and the membership commit together or not at all.
            signin.queue_welcome(member)
            outcome.welcome.append(member.id)


@dataclass
class Reading:
    """What an event makes us ask Stripe, and its answer: read before any transaction opens."""

    subscription_id: str | None = None
    email_hint: str | None = None
    failed_at: datetime | None = None
    signup_id: int | None = None
    ignored: str | None = None
    subscription: dict | None = None
    email: str | None = None
    read_at: datetime | None = None


def on_subscription(obj: dict, event: dict) -> Reading:
    return Reading(subscription_id=webhooks.ref(obj, "id"))


def on_checkout_completed(obj: dict, event: dict) -> Reading:
    details = webhooks.mapping(obj, "customer_details")
    reading = Reading(email_hint=webhooks.text(details, "email") or webhooks.text(obj, "customer_email"),
                      subscription_id=webhooks.ref(obj, "subscription"))
    reference, mode = webhooks.text(obj, "client_reference_id"), webhooks.text(obj, "mode")
    # Another product's Checkout may carry any reference: only ours (a sign-up id) is looked up.
    signup_id = ascii_int(reference)
    if signup_id is not None:
        signup = db.session.get(Signup, signup_id)
        if signup is not None:
            reading.signup_id, reading.email_hint = signup.id, signup.email
        end_read()  # Stripe is asked next
    if (mode or "subscription") != "subscription":
        reading.ignored, reading.subscription_id = "not a subscription checkout", None
    return reading


def _invoice_subscription(invoice: dict) -> str | None:
    if invoice.get("subscription") is None:  # newer API versions moved it
        details = webhooks.mapping(webhooks.mapping(invoice, "parent"), "subscription_details")
        return webhooks.ref(details, "subscription")
    return webhooks.ref(invoice, "subscription")


def on_invoice_paid(obj: dict, event: dict) -> Reading:
    return Reading(subscription_id=_invoice_subscription(obj))


def on_invoice_failed(obj: dict, event: dict) -> Reading:
    subscription_id = _invoice_subscription(obj)
    return Reading(subscription_id=subscription_id, failed_at=webhooks.moment(event, "created") or timeutil.now())


HANDLERS = {
    "checkout.session.completed": on_checkout_completed,
    "customer.subscription.created": on_subscription,
    "customer.subscription.updated": on_subscription,
    "customer.subscription.deleted": on_subscription,
    "invoice.paid": on_invoice_paid,
    "invoice.payment_succeeded": on_invoice_paid,
    "invoice.payment_failed": on_invoice_failed,
}


def _already_applied(event_id: str) -> bool:
    applied = db.session.get(StripeEvent, event_id) is not None
    end_read()  # no transaction stays open: Stripe may be asked next
    return applied


def _ask_stripe(reading: Reading) -> None:
    """Fill in the subscription as Stripe has it now, and its customer's email if we need it."""
    if reading.ignored:
        return
    if not reading.subscription_id:
        reading.ignored = "no subscription"
        return
    reading.read_at = timeutil.now()  # before asking: the answer is at least this fresh
    reading.subscription = stripe_api.retrieve_subscription(reading.subscription_id)
    reading.email = customer_email(reading.subscription, reading.email_hint)


def handle_event(event: dict) -> Outcome:
    """Apply one event from webhooks.read, once.

    Raises StripeUnavailable (answer 503: Stripe retries) or webhooks.BadEvent (400: retrying cannot help).

    Stripe is asked first, with no transaction open; then one short write applies
    the answer and records the event.
    """
    handler = HANDLERS.get(event.get("type"))
    if handler is None:
        return Outcome(ignored="an event type we do not use")
    obj = webhooks.data_object(event)
    if _already_applied(event["id"]):
        return Outcome(ignored="already applied")
    reading = handler(obj, event)
    try:
        _ask_stripe(reading)
    except stripe_api.StripeNotFound as exc:
        # Stripe no longer knows it (deleted, test data, another account): retrying would never help.
        log.warning("stripe event %s (%s) names a subscription Stripe does not know: %s",
                    event["id"], event.get("type"), exc)
        reading.ignored, reading.subscription = "Stripe does not know the subscription", None
    return _write(reading, event)


def apply_checkout(session: dict) -> Outcome:
    """Apply a Checkout Session read from Stripe as its completed event would, without an event to record.

    For /join/success, which may be reached before the webhook. Call outside any transaction: it asks Stripe.
    """
    reading = on_checkout_completed(session, {})
    _ask_stripe(reading)
    return _write(reading, None)


def _write(reading: Reading, event: dict | None) -> Outcome:
    """One short write: the sign-up completed, the subscription stored, and the event (if any) recorded once."""
    for attempt in (1, 2):
        outcome = Outcome(ignored=reading.ignored)
        try:
            with private_write():
                if event is not None and db.session.get(StripeEvent, event["id"]) is not None:
                    return Outcome(ignored="already applied")
                if reading.signup_id is not None:
                    signup = db.session.get(Signup, reading.signup_id)
                    signup.completed_at = signup.completed_at or timeutil.now()
                if reading.subscription is not None:
                    apply_subscription(reading.subscription, reading.read_at, outcome, email_hint=reading.email,
                                       failed_at=reading.failed_at)
                if event is not None:
                    db.session.add(StripeEvent(id=event["id"], type=event["type"], received_at=timeutil.now()))
            return outcome
        except IntegrityError:
            # The same event delivered in parallel won, or a parallel event made the same member first:
            # the second try finds it.
            if attempt == 2 or (event is not None and _already_applied(event["id"])):
                return Outcome(ignored="already applied")
    raise AssertionError("unreachable")


def sync_all() -> tuple[int, list[int]]:
    """Reconcile every subscription on the Stripe account; returns (applied, members welcomed).

    Each subscription is stamped with when its page was asked for, not when it is
    applied, so a webhook that ran in between (a cancellation) is never overwritten.
    """
    applied, welcome = 0, []
    for read_at, subscriptions in stripe_api.subscription_pages():
        for subscription in subscriptions:
            email = customer_email(subscription)
            outcome = Outcome()
            with private_write():
                apply_subscription(subscription, read_at, outcome, email_hint=email)
            applied += len(outcome.members)
            welcome += outcome.welcome
    return applied, welcome
