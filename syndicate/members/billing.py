"""Stripe's word on memberships, applied to members: by webhook or by `members sync`.

Events arrive late, twice, in parallel and out of order. So every handler
re-reads the subscription from Stripe and stores what Stripe says now; a read
older than the one already stored is dropped, and each event id is applied once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from .. import timeutil
from ..extensions import db
from ..models import Member, Signup, StripeEvent, Tier
from . import stripe_api
from .service import has_access, normalise_email
from ..writes import begin_write
from .stripe_api import customer_id, price_ids

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


def _member_for(subscription: dict, email_hint: str | None) -> Member | None:
    customer = customer_id(subscription)
    member = db.session.scalar(
        select(Member).where(Member.stripe_subscription_id == subscription["id"]).with_for_update()
    ) or (customer and db.session.scalar(
        select(Member).where(Member.stripe_customer_id == customer).with_for_update()
    ))
    if member is not None:
        return member
    email = normalise_email(email_hint or "") or normalise_email(
        stripe_api.retrieve_customer(customer).get("email") or "" if customer else "")
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


def apply_subscription(subscription: dict, read_at: datetime, outcome: Outcome, email_hint: str | None = None,
                       failed_at: datetime | None = None) -> None:
    """Store what Stripe says of one subscription, if it is for one of our tiers."""
    tier = tier_for(subscription)
    if tier is None:
        outcome.ignored = "not one of our tiers"
        return
    member = _member_for(subscription, email_hint)
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
            outcome.welcome.append(member.id)


def _reread(subscription_id: str | None, outcome: Outcome, **kwargs) -> None:
    if not subscription_id:
        outcome.ignored = "no subscription"
        return
    read_at = timeutil.now()
    apply_subscription(stripe_api.retrieve_subscription(subscription_id), read_at, outcome, **kwargs)


def on_subscription(obj: dict, event: dict, outcome: Outcome) -> None:
    _reread(obj.get("id"), outcome)


def on_checkout_completed(obj: dict, event: dict, outcome: Outcome) -> None:
    email = (obj.get("customer_details") or {}).get("email") or obj.get("customer_email")
    reference = obj.get("client_reference_id")
    if reference and str(reference).isdigit():
        signup = db.session.get(Signup, int(reference))
        if signup is not None:
            signup.completed_at = signup.completed_at or timeutil.now()
            email = signup.email
    if obj.get("mode", "subscription") != "subscription":
        outcome.ignored = "not a subscription checkout"
        return
    _reread(obj.get("subscription"), outcome, email_hint=email)


def _invoice_subscription(invoice: dict) -> str | None:
    subscription = invoice.get("subscription")
    if subscription is None:  # newer API versions moved it
        details = (invoice.get("parent") or {}).get("subscription_details") or {}
        subscription = details.get("subscription")
    return subscription.get("id") if isinstance(subscription, dict) else subscription


def on_invoice_paid(obj: dict, event: dict, outcome: Outcome) -> None:
    _reread(_invoice_subscription(obj), outcome)


def on_invoice_failed(obj: dict, event: dict, outcome: Outcome) -> None:
    failed_at = datetime.fromtimestamp(event.get("created") or timeutil.now().timestamp(), timezone.utc)
    _reread(_invoice_subscription(obj), outcome, failed_at=failed_at)


HANDLERS = {
    "checkout.session.completed": on_checkout_completed,
    "customer.subscription.created": on_subscription,
    "customer.subscription.updated": on_subscription,
    "customer.subscription.deleted": on_subscription,
    "invoice.paid": on_invoice_paid,
    "invoice.payment_succeeded": on_invoice_paid,
    "invoice.payment_failed": on_invoice_failed,
}


def handle_event(event: dict) -> Outcome:
    """Apply one verified webhook event, once. Raises StripeUnavailable (answer 503: Stripe retries)."""
    outcome = Outcome()
    handler = HANDLERS.get(event.get("type"))
    if handler is None:
        outcome.ignored = "an event type we do not use"
        return outcome
    begin_write()
    if db.session.get(StripeEvent, event["id"]) is not None:
        outcome.ignored = "already applied"
        db.session.rollback()
        return outcome
    try:
        handler(event["data"]["object"], event, outcome)
        db.session.add(StripeEvent(id=event["id"], type=event["type"], received_at=timeutil.now()))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # the same event, delivered in parallel, won
        return Outcome(ignored="already applied")
    except Exception:
        db.session.rollback()
        raise
    return outcome


def sync_all() -> tuple[int, list[int]]:
    """Reconcile every subscription on the Stripe account; returns (applied, members to welcome)."""
    applied, welcome = 0, []
    for subscription in stripe_api.all_subscriptions():
        outcome = Outcome()
        begin_write()
        apply_subscription(subscription, timeutil.now(), outcome)
        db.session.commit()
        applied += len(outcome.members)
        welcome += outcome.welcome
    return applied, welcome
