"""A thin wrapper over the Stripe client: one function per Stripe call, no globals.

Everything returns plain dicts, so the rest of the code never depends on the
library's object types, and reads both the current API shapes and older ones.
"""
from __future__ import annotations

from datetime import datetime
from typing import Iterator

import stripe
from flask import current_app, has_request_context

from .. import timeutil

# Pinned so a change of the account's default API version cannot change the shapes we read. It is the
# version stripe-python 16 is built for: pyproject.toml bounds stripe to that major, and they move together.
API_VERSION = "2026-10-28.endive"


class StripeUnavailable(Exception):
    """Stripe could not be reached or refused the call."""


class StripeNotFound(StripeUnavailable):
    """Stripe answered 404: it does not know the object (deleted, or from another account or mode)."""


def configured() -> bool:
    return bool(current_app.config["STRIPE_SECRET_KEY"])


def _client() -> stripe.StripeClient:
    config = current_app.config
    base = config["STRIPE_API_BASE"]
    return stripe.StripeClient(
        config["STRIPE_SECRET_KEY"],
        stripe_version=API_VERSION,
        base_addresses={"api": base} if base else None,
        # The library waits 80 s by default, past gunicorn's worker timeout.
        http_client=stripe.new_default_http_client(timeout=float(config["STRIPE_TIMEOUT"])),
        # Within a request one try: the person (or Stripe, for a webhook) retries. A CLI can wait.
        max_network_retries=0 if has_request_context() else 2,
    )


class StripeConflict(StripeUnavailable):
    """Stripe answered 409: another request with the same idempotency key is still running."""


def _unavailable(exc: stripe.StripeError) -> StripeUnavailable:
    kind = {404: StripeNotFound, 409: StripeConflict}.get(exc.http_status, StripeUnavailable)
    return kind(f"{type(exc).__name__}: {exc.user_message or exc.code or 'error'}")


def _call(fn, *args, **kwargs) -> dict:
    try:
        return fn(*args, **kwargs).to_dict()
    except stripe.StripeError as exc:
        raise _unavailable(exc) from exc


# The languages Stripe's hosted pages (Checkout, the billing portal) are written in, as its `locale` takes them.
STRIPE_LOCALES = {tag.lower(): tag for tag in (
    "bg", "cs", "da", "de", "el", "en", "en-GB", "es", "es-419", "et", "fi", "fil", "fr", "fr-CA", "hr", "hu", "id",
    "it", "ja", "ko", "lt", "lv", "ms", "mt", "nb", "nl", "pl", "pt", "pt-BR", "ro", "ru", "sk", "sl", "sv", "th",
    "tr", "vi", "zh", "zh-HK", "zh-TW")}


def stripe_locale(lang: str) -> str:
    """Stripe's locale for one of our languages; "auto" (the browser's) for one Stripe does not write."""
    return STRIPE_LOCALES.get(lang.lower()) or STRIPE_LOCALES.get(lang.split("-")[0].lower()) or "auto"


def create_checkout_session(*, price_id: str, email: str | None, customer: str | None, reference: str,
                            success_url: str, cancel_url: str, idempotency_key: str, language: str) -> dict:
    """A subscription Checkout; a repeat with the same idempotency key (within Stripe's day) gets the same session.

    The page is in `language` (Stripe's `locale`), and the subscription carries it in its metadata, so
    that whichever event makes the member (and however late) knows what language to write to them in.
    """
    params = {
        "mode": "subscription",
        "line_items": [{"price": price_id, "quantity": 1}],
        "client_reference_id": reference,
        "success_url": success_url,
        "cancel_url": cancel_url,
        "locale": stripe_locale(language),
        "metadata": {"language": language},
        "subscription_data": {"metadata": {"language": language}},
    }
    # One customer per member: reuse the one Stripe knows, else let Checkout make it from the email.
    if customer:
        params["customer"] = customer
    else:
        params["customer_email"] = email
    return _call(_client().v1.checkout.sessions.create, params, {"idempotency_key": idempotency_key})


def retrieve_checkout_session(session_id: str) -> dict:
    return _call(_client().v1.checkout.sessions.retrieve, session_id)


def expire_checkout_session(session_id: str) -> dict:
    """Close an open Checkout so it can no longer be paid."""
    return _call(_client().v1.checkout.sessions.expire, session_id)


def create_portal_session(customer: str, return_url: str, language: str) -> dict:
    """The billing portal, in `language` where Stripe writes it."""
    return _call(_client().v1.billing_portal.sessions.create,
                 {"customer": customer, "return_url": return_url, "locale": stripe_locale(language)})


def language_of(subscription: dict) -> str | None:
    """The language our Checkout wrote into a subscription's metadata (None for the Dashboard's, or another's)."""
    metadata = subscription.get("metadata")
    value = metadata.get("language") if isinstance(metadata, dict) else None
    return value if isinstance(value, str) else None


def retrieve_subscription(subscription_id: str) -> dict:
    return _call(_client().v1.subscriptions.retrieve, subscription_id)


def retrieve_customer(customer_id: str) -> dict:
    return _call(_client().v1.customers.retrieve, customer_id)


def subscription_pages() -> Iterator[tuple[datetime, list[dict]]]:
    """Every subscription of the account, canceled ones included: (when the page was read, its subscriptions)."""
    client = _client()
    params = {"status": "all", "limit": current_app.config["STRIPE_PAGE_SIZE"]}
    while True:
        read_at = timeutil.now()  # taken before asking: a page is no newer than the moment it was requested
        try:
            page = client.v1.subscriptions.list(params)
        except stripe.StripeError as exc:
            raise _unavailable(exc) from exc
        subscriptions = [s.to_dict() for s in page.data]
        yield read_at, subscriptions
        if not page.has_more or not subscriptions:
            return
        params = {**params, "starting_after": subscriptions[-1]["id"]}


class BadSignature(Exception):
    """A webhook body whose Stripe-Signature does not verify (or is stale, or is no signature at all)."""


def verified_body(payload: bytes, signature: str) -> str:
    """The raw webhook body as text once its Stripe-Signature verifies; BadSignature otherwise.

    Only verifies: parsing is the caller's, so a signed body of any shape is the caller's to refuse.
    """
    try:
        stripe.WebhookSignature.verify_header(payload, signature, current_app.config["STRIPE_WEBHOOK_SECRET"],
                                              stripe.Webhook.DEFAULT_TOLERANCE)
    except (stripe.SignatureVerificationError, ValueError, TypeError) as exc:
        # ValueError: a body that is not UTF-8; TypeError: text compare_digest refuses.
        raise BadSignature(type(exc).__name__) from None
    return payload.decode("utf-8")


def price_ids(subscription: dict) -> list[str]:
    """The price ids a subscription is for: items[].price on current shapes, plan on older ones."""
    ids = []
    for item in (subscription.get("items") or {}).get("data") or []:
        price = item.get("price") or item.get("plan") or {}
        if price.get("id"):
            ids.append(price["id"])
    plan = subscription.get("plan") or {}
    if plan.get("id"):
        ids.append(plan["id"])
    return ids


def customer_id(obj: dict) -> str | None:
    customer = obj.get("customer")
    return customer.get("id") if isinstance(customer, dict) else customer
