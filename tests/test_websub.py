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
    import time

    time.sleep(0.5)
    assert len(hub.pings) == before
