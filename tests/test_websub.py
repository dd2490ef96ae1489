"""WebSub: feeds advertise the hub, and a change pings it after commit, off the request path, with retries."""
from __future__ import annotations

import threading
import urllib.parse

import feedparser
import pytest
from werkzeug.wrappers import Request, Response

from conftest import SITE, last_line
from servers import LiveServer, free_port, wait_for

pytestmark = pytest.mark.slow


class Hub:
    """A real HTTP receiver standing in for a WebSub hub: it refuses the first ping, then records."""

    def __init__(self):
        self.pings: list[list[str]] = []
        self.refused = 0
        self.release = threading.Event()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hub"

    def __call__(self, environ, start_response):
        request = Request(environ)
        self.release.wait(10)  # a slow hub: editors must not wait for it
        form = urllib.parse.parse_qs(request.get_data(as_text=True))
        if self.refused == 0:
            self.refused += 1
            return Response("busy", status=503)(environ, start_response)
        assert form["hub.mode"] == ["publish"]
        self.pings.append(form["hub.url"])
        return Response(status=204)(environ, start_response)


@pytest.fixture
def hub():
    receiver = Hub()
    with LiveServer(receiver, receiver.port):
        yield receiver
        receiver.release.set()


@pytest.fixture
def app_config(hub):
    return {"WEBSUB_HUB": hub.url}


def test_feeds_advertise_the_hub(client, runner, hub):
    parsed = feedparser.parse(client.get("/feeds/latest.atom").data)
    rels = {link.rel: link.href for link in parsed.feed.links}
    assert rels["hub"] == hub.url and rels["self"] == f"{SITE}/feeds/latest.atom"
    key = last_line(runner.invoke(args=["partners", "add", "P"]).output)
    partner = feedparser.parse(client.get("/syndication/entries.atom", headers={"Authorization": f"Bearer {key}"}).data)
    assert {link.rel: link.href for link in partner.feed.links}["hub"] == hub.url


def test_a_change_pings_the_hub_after_commit_and_retries(client, newsroom, hub):
    newsroom.story(title="Live", slug="live")  # a story alone touches the latest feeds
    entry = newsroom.entry("live", headline="Breaking")  # answered while the hub still hangs
    assert entry["id"] and hub.pings == []
    hub.release.set()
    wait_for(lambda: any(f"{SITE}/stories/live/feed.atom" in ping for ping in hub.pings), what="the ping")
    assert hub.refused == 1  # the first attempt failed and was retried
    ping = next(p for p in hub.pings if f"{SITE}/stories/live/feed.atom" in p)
    assert f"{SITE}/feeds/latest.atom" in ping and f"{SITE}/syndication/entries.json" in ping


def test_a_refused_write_pings_nothing(client, newsroom, hub):
    hub.release.set()
    hub.refused = 1
    newsroom.story(title="Live", slug="live")
    wait_for(lambda: hub.pings, what="the story's ping")
    before = len(hub.pings)
    response = client.post("/api/stories/live/entries", json={"headline": ""}, headers=newsroom.headers)
    assert response.status_code == 422
    newsroom.cli("gazetteer", "add", "Shusha", "Shushi")  # commits, but changes no feed
    # Pings leave in order, one at a time: once a later change's ping has arrived, any ping the two
    # writes above had queued would have arrived before it.
    newsroom.story(title="Marker", slug="marker")
    wait_for(lambda: len(hub.pings) > before, what="the marker's ping")
    assert len(hub.pings) == before + 1
    assert all("/stories/live/feed" not in url for url in hub.pings[-1])


def test_moving_an_entry_to_another_day_pings_both_days(client, newsroom, hub):
    from datetime import datetime, timedelta, timezone
    from zoneinfo import ZoneInfo

    hub.release.set()
    hub.refused = 1
    newsroom.story(title="Live", slug="live")
    wait_for(lambda: hub.pings, what="the story's ping")
    tz = ZoneInfo("Asia/Tbilisi")
    first = datetime.now(timezone.utc) - timedelta(days=3)
    entry = newsroom.entry("live", headline="Dated wrongly", published_at=first.isoformat())
    wait_for(lambda: any(f"/archive/{first.astimezone(tz).date()}.atom" in u for p in hub.pings for u in p),
             what="the first day's ping")
    before = len(hub.pings)
    moved = first - timedelta(days=2)
    response = client.patch(f"/api/entries/{entry['id']}", json={"published_at": moved.isoformat()},
                            headers=newsroom.headers)
    assert response.status_code == 200, response.json
    wait_for(lambda: len(hub.pings) > before, what="the move's ping")
    ping = hub.pings[before]
    assert f"{SITE}/archive/{moved.astimezone(tz).date()}.atom" in ping
    assert f"{SITE}/archive/{first.astimezone(tz).date()}.atom" in ping  # the day it left changed too
