"""WebSub: tell the hub which feeds changed, after the change commits, off the request path.

Writers name the feeds they touched (content.state.bump); once the transaction
commits, the topics go on a queue that a background thread sends to the hub,
retrying with growing pauses. An editor never waits for the hub, and a hub
that is down loses nothing a later ping does not repeat.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from flask import Flask, current_app
from sqlalchemy import event

from .. import parts
from ..extensions import db
from ..urls import site_root

log = logging.getLogger(__name__)

ALWAYS = ("/feeds/latest.rss", "/feeds/latest.atom", "/feeds/latest.json",
          "/syndication/entries.atom", "/syndication/entries.json")


class Publisher:
    def __init__(self, hub: str, retries: int):
        self.hub = hub
        self.retries = retries
        self.queue: queue.Queue[list[str]] = queue.Queue()
        self.thread = threading.Thread(target=self._run, name="websub-publisher", daemon=True)
        self.thread.start()

    def publish(self, topics: list[str]) -> None:
        self.queue.put(topics)

    def _run(self) -> None:
        while True:
            topics = self.queue.get()
            for attempt in range(self.retries + 1):
                if self._send(topics):
                    break
                time.sleep(min(0.25 * 2 ** attempt, 30))
            else:
                log.warning("the WebSub hub refused %d topics %d times; a later change pings again",
                            len(topics), self.retries + 1)
            self.queue.task_done()

    def _send(self, topics: list[str]) -> bool:
        body = urllib.parse.urlencode([("hub.mode", "publish")] + [("hub.url", t) for t in topics]).encode()
        request = urllib.request.Request(self.hub, data=body, method="POST",
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return 200 <= response.status < 300
        except (urllib.error.URLError, OSError) as exc:
            log.info("WebSub ping failed: %s", exc)
            return False


class Pings:
    """One app's publisher, made (with its thread) at the first ping, for the hub configured then."""

    def __init__(self):
        self.lock = threading.Lock()
        self.current: Publisher | None = None

    def publisher(self, hub: str, retries: int) -> Publisher:
        # Under a threaded worker two first commits can arrive at once: one publisher thread per hub.
        with self.lock:
            if self.current is None or self.current.hub != hub:
                self.current = Publisher(hub, retries)
            return self.current


def publisher() -> Publisher | None:
    hub = current_app.config["WEBSUB_HUB"]
    if not hub:
        return None
    return parts.current().websub.publisher(hub, current_app.config["WEBSUB_RETRIES"])


def init_app(app: Flask) -> None:
    """The app's Pings; the session listeners below serve every app, each with its own hub."""
    parts.of(app).websub = Pings()


# db.session is shared by every app in the process, so the listeners are registered once, here.
@event.listens_for(db.session, "after_commit")
def _after_commit(session):
    touched = session.info.pop("websub_topics", None)
    if touched is None:
        return
    try:
        hub = publisher()
        if hub is not None:
            root = site_root()
            hub.publish([root + path for path in sorted(set(ALWAYS) | touched)])
    except Exception:  # noqa: BLE001 (a ping must never break a write that has committed)
        log.exception("could not queue a WebSub ping")


@event.listens_for(db.session, "after_rollback")
def _after_rollback(session):
    session.info.pop("websub_topics", None)
