"""What we keep about people, and for how long: one purge function per kind of record.

Each purge takes the moment to judge by (`now`, so tests set the clock) and how
long that kind is kept, deletes what is older, and says how many rows went.
PURGES is the list the service and `syndicate purge` run; a module that keeps
another kind of record about people adds its own function to it.
The service runs them at its start and hourly after that (syndicate.background).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, or_

from .extensions import db
from .models import FeedNetwork, OutboxMail, SignedInSession, Signup, UsedSigninLink
from .writes import private_write

log = logging.getLogger(__name__)

# (now, kept) -> rows deleted. kept is SYNDICATE_RETENTION_DAYS as a timedelta.
Purge = Callable[[datetime, timedelta], int]

# A used link's record must outlive the link itself, or the link would work a second time:
# the longest any sign-in link lives (a welcome mail's, 7 days), with an hour to spare.
LONGEST_LINK = timedelta(days=7, hours=1)


def _delete(statement) -> int:
    """One short private write transaction around one DELETE."""
    with private_write():
        deleted = db.session.execute(statement).rowcount
    return deleted or 0


def purge_outbox(now: datetime, kept: timedelta) -> int:
    """Mail sent or given up (the sender deletes it at once; this catches what older versions kept),
    and mail nobody could send for the whole retention period."""
    return _delete(delete(OutboxMail).where(or_(OutboxMail.state != "pending", OutboxMail.created_at < now - kept)))


def purge_feed_networks(now: datetime, kept: timedelta) -> int:
    """Which networks fetched a member's feed, by the hour."""
    return _delete(delete(FeedNetwork).where(FeedNetwork.hour < now - kept))


def purge_used_links(now: datetime, kept: timedelta) -> int:
    """Used sign-in links (members' and the desk's), once the links themselves have expired."""
    return _delete(delete(UsedSigninLink).where(UsedSigninLink.used_at < now - max(kept, LONGEST_LINK)))


def purge_abandoned_signups(now: datetime, kept: timedelta) -> int:
    """Sign-ups sent to Stripe Checkout that never completed."""
    return _delete(delete(Signup).where(Signup.completed_at.is_(None), Signup.created_at < now - kept))


def purge_expired_sessions(now: datetime, kept: timedelta) -> int:
    """Members' and editors' sign-ins past their expiry (signing out deletes the row at once)."""
    return _delete(delete(SignedInSession).where(SignedInSession.expires_at <= now))


PURGES: list[Purge] = [purge_outbox, purge_feed_networks, purge_used_links, purge_abandoned_signups,
                       purge_expired_sessions]


def purge_all(now: datetime) -> dict[str, int]:
    """Run every purge against `now`; rows deleted by each, by its name."""
    kept = timedelta(days=current_app.config["RETENTION_DAYS"])
    counts = {}
    for purge in PURGES:
        counts[purge.__name__.removeprefix("purge_")] = purge(now, kept)
    return counts
