"""Noticing leaked feed URLs: the networks a member's private feeds are fetched from.

Each worker remembers which (member, network, hour) it has already recorded, so
a feed reader polling all day costs one insert per hour, not one per fetch.
"""
from __future__ import annotations

import ipaddress
import logging
import threading
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import distinct, func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from .. import parts, timeutil
from ..extensions import db
from ..models import FeedNetwork, Member
from ..writes import private_write

log = logging.getLogger(__name__)

class SeenNetworks:
    """The (member, network, hour) keys this worker has recorded, so each is written once an hour."""

    LIMIT = 100_000

    def __init__(self):
        self.keys: set[tuple[int, str, datetime]] = set()
        self.lock = threading.Lock()

    def first(self, key: tuple[int, str, datetime]) -> bool:
        """Whether this is the key's first sighting (and remember it)."""
        with self.lock:
            if key in self.keys:
                return False
            if len(self.keys) > self.LIMIT:
                self.keys.clear()
            self.keys.add(key)
            return True


def init_app(app: Flask) -> None:
    parts.of(app).networks_seen = SeenNetworks()


def network_of(address: str | None) -> str | None:
    """The /24 (IPv4) or /48 (IPv6) an address belongs to: one household or office, roughly."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return None
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def record(member_id: int, address: str | None) -> None:
    network = network_of(address)
    if network is None:
        return
    hour = timeutil.now().replace(minute=0, second=0, microsecond=0)
    if not parts.current().networks_seen.first((member_id, network, hour)):
        return
    # A short write of its own, with no content lock, committed or rolled back before the feed is read.
    try:
        with private_write():
            db.session.add(FeedNetwork(member_id=member_id, network=network, hour=hour))
            db.session.flush()
            if networks_in_last_day(member_id) > current_app.config["TOKEN_NETWORK_LIMIT"]:
                member = db.session.get(Member, member_id)
                if member is not None and member.flagged_at is None:
                    member.flagged_at = timeutil.now()
    except IntegrityError:
        pass  # another worker recorded it this hour
    except SQLAlchemyError as exc:
        # Counting networks must never cost the reader their feed.
        log.warning("feed network of member %s not recorded: %s", member_id, type(exc).__name__)


def networks_in_last_day(member_id: int) -> int:
    since = timeutil.now() - timedelta(hours=24)
    return db.session.scalar(
        select(func.count(distinct(FeedNetwork.network))).where(FeedNetwork.member_id == member_id,
                                                                 FeedNetwork.hour >= since)
    )


def suspicious() -> list[tuple[Member, int]]:
    """Members whose feed URLs were fetched from more networks than the limit in the last 24 hours."""
    since = timeutil.now() - timedelta(hours=24)
    counts = (
        select(FeedNetwork.member_id, func.count(distinct(FeedNetwork.network)).label("networks"))
        .where(FeedNetwork.hour >= since).group_by(FeedNetwork.member_id)
        .having(func.count(distinct(FeedNetwork.network)) > current_app.config["TOKEN_NETWORK_LIMIT"])
        .subquery()
    )
    rows = db.session.execute(
        select(Member, counts.c.networks).join(counts, counts.c.member_id == Member.id)
        .order_by(counts.c.networks.desc())
    ).all()
    return [(member, networks) for member, networks in rows]
