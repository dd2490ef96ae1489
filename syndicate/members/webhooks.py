"""Reading a Stripe webhook: verified, then checked field by field, so that no bytes can get past a 400.

A correctly signed event can still be malformed (a test tool, a replayed
fixture, a future API shape). Every field a handler reads goes through one of
the readers here, which either return a value of the promised type or raise
BadEvent; nothing unchecked reaches the database or a URL sent to Stripe.
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone

from . import stripe_api

# Stripe's ids: a prefix and letters, digits or underscores, at most 255 (the ledger's column).
_ID = re.compile(r"[A-Za-z0-9_]{1,255}")
_SIGNATURE_MAX = 4096
_TYPE_MAX = 100
_TEXT_MAX = 1000


class BadEvent(ValueError):
    """A webhook that cannot be verified or read: answered 400, logged once, never applied."""

    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code, self.reason = code, reason


def read(payload: bytes, signature: str) -> dict:
    """The verified event as a dict whose id and type are sound; raises BadEvent otherwise."""
    if not signature:
        raise BadEvent("bad_signature", "no Stripe-Signature header")
    # The library compares with hmac.compare_digest, which raises TypeError on non-ASCII text.
    if not signature.isascii() or len(signature) > _SIGNATURE_MAX:
        raise BadEvent("bad_signature", "a Stripe-Signature header that is not ASCII or too long")
    try:
        body = stripe_api.verified_body(payload, signature)
    except stripe_api.BadSignature:
        raise BadEvent("bad_signature", "the Stripe-Signature does not verify") from None
    try:
        event = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser goes
        raise BadEvent("bad_event", "a signed body that is not JSON") from None
    if not isinstance(event, dict):
        raise BadEvent("bad_event", "a signed body that is not a JSON object")
    if not isinstance(event.get("id"), str) or not _ID.fullmatch(event["id"]):
        raise BadEvent("bad_event", "an event id that is missing or not a Stripe id")
    kind = event.get("type")
    if not isinstance(kind, str) or not 0 < len(kind) <= _TYPE_MAX or not kind.isprintable():
        raise BadEvent("bad_event", "an event type that is missing or not text")
    return event


def data_object(event: dict) -> dict:
    """The object an event is about (data.object)."""
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        raise BadEvent("bad_event", "an event whose data.object is missing or not an object")
    return obj


def mapping(obj: dict, key: str) -> dict:
    """A nested object, {} when absent or null."""
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadEvent("bad_event", f"{key} is not an object")
    return value


def text(obj: dict, key: str) -> str | None:
    """A string field (an email, a mode), None when absent or null."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > _TEXT_MAX or "\x00" in value:
        raise BadEvent("bad_event", f"{key} is not text")
    return value


def ref(obj: dict, key: str) -> str | None:
    """The id a field names, whether Stripe sent the id or the expanded object; None when absent."""
    value = obj.get(key)
    if isinstance(value, dict):
        value = value.get("id")
    if value is None:
        return None
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise BadEvent("bad_event", f"{key} is not a Stripe id")
    return value


def moment(obj: dict, key: str) -> datetime | None:
    """A Unix timestamp field as an aware datetime, None when absent."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**33:
        raise BadEvent("bad_event", f"{key} is not a Unix timestamp")
    return datetime.fromtimestamp(value, timezone.utc)
