"""The Stripe webhook over HTTP, given bytes no Stripe would send: always 400 and one log line, never 500.

Each bad request is a variation of one good event about a real (localstripe) subscription, so the
same event well formed would make a member: after every bad one, nothing has changed.
"""
from __future__ import annotations

import http.client
import json
import logging
import time
import uuid
from urllib.parse import urlsplit

import pytest

from conftest import WEBHOOK_SECRET
from stripe_standin import sign
from test_membership import plan_and_tier, token_of

pytestmark = pytest.mark.slow


def post(url: str, body: bytes, headers: dict) -> tuple[int, str]:
    """POST with http.client, which sends header values as given, raw bytes included."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=15)
    try:
        connection.putrequest("POST", parts.path)
        for name, value in {"Content-Type": "application/json", "Content-Length": str(len(body)), **headers}.items():
            connection.putheader(name, value)
        connection.endheaders(body)
        answer = connection.getresponse()
        return answer.status, answer.read().decode("utf-8", "replace")
    finally:
        connection.close()


def signed(body: bytes | dict | list | str | None) -> tuple[bytes, dict]:
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    return payload, {"Stripe-Signature": sign(payload, WEBHOOK_SECRET)}


def event(subscription_id: str, **changes) -> dict:
    base = {"id": "evt_" + uuid.uuid4().hex[:16], "object": "event", "type": "customer.subscription.created",
            "created": int(time.time()), "data": {"object": {"id": subscription_id, "object": "subscription"}}}
    return {**base, **changes}


def checkout(subscription_id: str, **fields) -> dict:
    obj = {"id": "cs_test_x", "object": "checkout.session", "mode": "subscription", "subscription": subscription_id,
           "customer_email": "x@example.org", **fields}
    return event(subscription_id, type="checkout.session.completed", data={"object": obj})


def invoice(subscription_id: str, kind="invoice.paid", **fields) -> dict:
    obj = {"id": "in_x", "object": "invoice", "subscription": subscription_id, **fields}
    return event(subscription_id, type=kind, data={"object": obj})


def bad_requests(sub: str) -> dict[str, tuple[bytes, dict]]:
    """name -> (body, headers) of requests that must each be refused."""
    good = json.dumps(event(sub)).encode()
    now = int(time.time())
    cases = {
        "no signature": (good, {}),
        "empty signature": (good, {"Stripe-Signature": ""}),
        "non-ASCII signature": (good, {"Stripe-Signature": b"t=1,v1=\xc3\xa9"}),
        "non-ASCII signature, current time": (good, {"Stripe-Signature": f"t={now},v1=".encode() + b"\xc3\xa9" * 32}),
        "garbage signature": (good, {"Stripe-Signature": "hello"}),
        "no timestamp": (good, {"Stripe-Signature": "v1=" + "0" * 64}),
        "timestamp not a number": (good, {"Stripe-Signature": "t=abc,v1=" + "0" * 64}),
        "timestamp of 5000 digits": (good, {"Stripe-Signature": "t=" + "9" * 5000 + ",v1=" + "0" * 64}),
        "no v1": (good, {"Stripe-Signature": f"t={now},v0=abc"}),
        "another secret": (good, {"Stripe-Signature": sign(good, "whsec_other")}),
        "stale": (good, {"Stripe-Signature": sign(good, WEBHOOK_SECRET, now - 3600)}),
        "signature for other bytes": (good + b" ", {"Stripe-Signature": sign(good, WEBHOOK_SECRET)}),
        "huge header": (good, {"Stripe-Signature": sign(good, WEBHOOK_SECRET) + ",v1=" + "a" * 6000}),
        "not UTF-8": signed(b"\xff\xfe{}"),
        "not JSON": signed(b"this is not json"),
        "empty body": signed(b""),
        "JSON array": signed([]),
        "JSON string": signed("evt"),
        "JSON null": signed(None),
        "nested 100000 deep": signed(b"[" * 100000 + b"]" * 100000),
        "integer of 5000 digits": signed(b'{"id": ' + b"1" * 5000 + b"}"),
        "no id": signed({k: v for k, v in event(sub).items() if k != "id"}),
        "id a number": signed(event(sub, id=12345)),
        "id a list": signed(event(sub, id=["evt_1"])),
        "id holding NUL": signed(event(sub, id="evt_\x00abc")),
        "id of 10000 characters": signed(event(sub, id="evt_" + "a" * 10000)),
        "id with a slash": signed(event(sub, id="evt_../x")),
        "no type": signed({k: v for k, v in event(sub).items() if k != "type"}),
        "type a list": signed(event(sub, type=["customer.subscription.created"])),
        "type holding NUL": signed(event(sub, type="customer.subscription.created\x00")),
        "no data": signed({k: v for k, v in event(sub).items() if k != "data"}),
        "data a string": signed(event(sub, data="object")),
        "data.object missing": signed(event(sub, data={})),
        "data.object a list": signed(event(sub, data={"object": [sub]})),
        "data.object null": signed(event(sub, data={"object": None})),
        "object id a list": signed(event(sub, data={"object": {"id": [sub]}})),
        "object id holding NUL": signed(event(sub, data={"object": {"id": sub + "\x00"}})),
        "object id a path": signed(event(sub, data={"object": {"id": "../customers/cus_1"}})),
        "object id a number": signed(event(sub, data={"object": {"id": 7}})),
        "checkout: customer_details a string": signed(checkout(sub, customer_details="x@example.org")),
        "checkout: email a number": signed(checkout(sub, customer_details={"email": 5})),
        "checkout: email holding NUL": signed(checkout(sub, customer_email="x\x00@example.org")),
        "checkout: reference a list": signed(checkout(sub, client_reference_id=["1"])),
        "checkout: reference holding NUL": signed(checkout(sub, client_reference_id="1\x00")),
        "checkout: mode a dict": signed(checkout(sub, mode={"a": 1})),
        "checkout: subscription a number": signed(checkout(sub, subscription=42)),
        "invoice: subscription a list": signed(invoice(sub, subscription=[sub])),
        "invoice: parent a string": signed(invoice(sub, subscription=None, parent="sub")),
        "invoice: subscription_details a list": signed(invoice(sub, subscription=None,
                                                               parent={"subscription_details": []})),
        "failed invoice: created a string": signed({**invoice(sub, "invoice.payment_failed"), "created": "today"}),
        "failed invoice: created beyond any year": signed({**invoice(sub, "invoice.payment_failed"),
                                                          "created": 10**20}),
        "failed invoice: created true": signed({**invoice(sub, "invoice.payment_failed"), "created": True}),
    }
    return cases


def warnings_from_app(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.startswith("syndicate") and r.levelno >= logging.WARNING]


def ledger(site) -> tuple[int, int]:
    from sqlalchemy import func, select

    from syndicate.extensions import db
    from syndicate.models import Member, StripeEvent

    with site.app.app_context():
        counts = db.session.scalar(select(func.count()).select_from(StripeEvent)), \
            db.session.scalar(select(func.count()).select_from(Member))
        db.session.remove()
    return counts


def test_webhooks_that_cannot_be_read_are_400_logged_once_and_change_nothing(site, caplog):
    plan = plan_and_tier(site)
    site.localstripe.register_webhook(site.url + "/nowhere", "whsec_other")  # only our requests reach the hook
    subscription = site.subscribe("hooked@example.org", plan).id
    hook = site.url + "/stripe/webhook"
    before = ledger(site)
    failures = []
    for name, (body, headers) in bad_requests(subscription).items():
        caplog.clear()
        with caplog.at_level(logging.INFO):
            status, answer = post(hook, body, headers)
        logged = warnings_from_app(caplog)
        if status != 400 or len(logged) != 1 or "Traceback" in answer or json.loads(answer)["error"]["code"] not in (
                "bad_signature", "bad_event"):
            failures.append((name, status, logged, answer[:200]))
    assert failures == []
    assert ledger(site) == before and token_of(site, "hooked@example.org") is None

    # Types we do not handle are acknowledged whatever they hold, and recorded nowhere.
    for data in ({"object": {"id": subscription}}, "x", None):
        status, answer = post(hook, *signed(event(subscription, type="product.created", data=data)))
        assert status == 200 and json.loads(answer)["ignored"]
    assert ledger(site) == before

    # The same event well formed is applied: the requests above were refused for their faults alone.
    status, _ = post(hook, *signed(event(subscription)))
    assert status == 200 and token_of(site, "hooked@example.org") is not None
