"""Work a web process does beside its requests, from the moment it starts: sending the mail
outbox and deleting what we no longer keep about people.

gunicorn starts it in each worker (post_worker_init in gunicorn.conf.py), `syndicate demo`
beside its server, and `syndicate background` as a process of its own (deploy/) for a
server that runs no gunicorn.conf.py. Several at once are safe: senders lease each row,
and purging twice deletes nothing twice.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import Flask

from . import retention, timeutil
from .members import outbox

log = logging.getLogger(__name__)

PURGE_EVERY = timedelta(hours=1)


class PurgeSchedule:
    """Runs retention.purge_all at the first round and then at most once per PURGE_EVERY."""

    def __init__(self):
        self.last: datetime | None = None

    def __call__(self) -> None:
        now = timeutil.now()
        if self.last is not None and now - self.last < PURGE_EVERY:
            return
        counts = retention.purge_all(now)
        self.last = now  # after success: a purge the database refused is tried again next round
        if any(counts.values()):
            log.info("purged %s", ", ".join(f"{count} {kind}" for kind, count in counts.items() if count))


def start(app: Flask) -> outbox.Sender:
    """Start this process's background thread for the app (once; later calls change nothing)."""
    sender = outbox.sender(app)
    if not sender.forever:
        sender.start(chores=[PurgeSchedule()])
    return sender
