"""Outgoing mail, queued: `send` writes a row in the caller's write scope (or a private_write() of its own,
when none is open); the outbox sends it later.

No request ever waits for the mail server: the row commits with whatever
caused it (a membership, a sign-in request) and the outbox (members.outbox)
delivers it afterwards, with retries.
"""
from __future__ import annotations

from email.utils import make_msgid
from pathlib import Path

from flask import current_app

from ..extensions import db
from ..models import OutboxMail
from ..writes import private_write


def send(to: str, subject: str, body: str) -> None:
    """Queue a message; it leaves once the caller's transaction commits."""
    _queue(OutboxMail(kind="mail", to_addr=to, subject=subject, body=body))


def request_signin(email: str, lang: str | None) -> None:
    """Queue a sign-in request for an address, members' or not: the outbox decides whether a mail goes.

    Whether the address is a member's is looked up only when sending, so the
    request that asked does the same work, in the same time, for any address.
    `lang` is the language of the form that asked: the mail is written in it.
    """
    _queue(OutboxMail(kind="signin", to_addr=email, language=lang))


def request_desk_signin(email: str, lang: str | None) -> None:
    """Queue a desk sign-in request for any address: the outbox mails a link only if it is an editor's.

    `lang` is the language the desk's sign-in page was in: the mail is written in it.
    """
    _queue(OutboxMail(kind="desk_signin", to_addr=email, language=lang))


def request_join(email: str, tier_id: int, lang: str | None) -> None:
    """Queue a join request (the tier's id waits in the body): the outbox decides what the mail says.

    As with sign-in, membership is looked up only when sending: a member is
    mailed a sign-in link, anyone else a link that continues to payment, in `lang`.
    """
    _queue(OutboxMail(kind="join", to_addr=email, body=str(tier_id), language=lang))


def _queue(row: OutboxMail) -> None:
    """Add the row in the caller's write scope (it joins); with none open, in one of its own."""
    row.message_id = make_msgid(domain="syndicate.local")
    with private_write():
        db.session.add(row)
        db.session.info["outbox_pending"] = True


def outbox_path() -> Path:
    """Where mail is written as .eml files when no SMTP server is configured."""
    return Path(current_app.instance_path) / "outbox"
