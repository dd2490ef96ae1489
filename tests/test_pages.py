"""Reader pages over HTTP: live days, the archive, the home page."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import pytest

from conftest import ago


@pytest.fixture
def live(newsroom):
    newsroom.region("karabakh", "Nagorno-Karabakh", covered=True)
    newsroom.cli("naming-note", "set", "Our note on naming.")
    newsroom.story(title="Day 38", slug="day-38", series="war", regions=["karabakh"], published_at=ago(days=2, hours=1))
    newsroom.entry("day-38", headline="Yesterday's update", published_at=ago(days=2))
    newsroom.story(title="Day 39", slug="day-39", series="war", regions=["karabakh"], summary="Standfirst text.",
                   published_at=ago(hours=5))
    first = newsroom.entry("day-39", headline="Early update", published_at=ago(hours=4))
    newsroom.entry("day-39", headline="Key moment", key_event=True, published_at=ago(hours=3))
    gone = newsroom.entry("day-39", headline="Dangerous detail", published_at=ago(hours=2))
    newsroom.withdraw(gone["id"], reason="source safety", public_note="An update was removed for safety.")
    return first


def test_live_day_page(client, live):
    html = client.get("/stories/day-39").get_data(as_text=True)
    assert "Standfirst text." in html and "Our note on naming." in html
    assert html.index("Key moment") < html.index("Early update")  # newest first
    assert "Dangerous detail" not in html and "An update was removed for safety." in html
    assert 'class="entry key-event' in html
    assert 'href="/stories/day-38"' in html  # the other day of the series
    times = re.findall(r'<time datetime="([^"]+)">([^<]+)</time>', html)
    assert times, "timestamps carry <time datetime>"
    for stamp, shown in times[:3]:
        local = datetime.fromisoformat(stamp)
        assert local.utcoffset() == timedelta(hours=4)
        assert shown == local.strftime("%d %b %Y, %H:%M")


def test_json_ld(client, live):
    html = client.get("/stories/day-39").get_data(as_text=True)
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert data["@type"] == "LiveBlogPosting"
    assert [u["headline"] for u in data["liveBlogUpdate"]] == ["Key moment", "Early update"]
    assert data["isAccessibleForFree"] is True


def test_home_page(client, live):
    html = client.get("/").get_data(as_text=True)
    assert "Day 39" in html and "Become a member" in html and 'href="/join"' in html
    assert '<html lang="en">' in html and '<main id="main">' in html
    assert 'name="viewport"' in html


def test_archive_index_and_day(client, live):
    html = client.get("/archive/").get_data(as_text=True)
    local_now = datetime.now(timezone(timedelta(hours=4)))
    key_day, older_day = (local_now - timedelta(hours=3)).date(), (local_now - timedelta(days=2)).date()
    assert html.index(key_day.isoformat()) < html.index(older_day.isoformat())
    day = client.get(f"/archive/{key_day.isoformat()}").get_data(as_text=True)
    assert "Key moment" in day and "Dangerous detail" not in day
    assert client.get("/archive/1999-01-01").status_code == 404
    assert client.get("/archive/yesterday").status_code == 404


def test_pages_load_nothing_from_elsewhere(client, live):
    for path in ("/", "/stories/day-39", "/archive/", "/join"):
        response = client.get(path)
        html = response.get_data(as_text=True)
        for attr in re.findall(r'<(?:script|link|img|iframe)[^>]*(?:src|href)="([^"]+)"', html):
            assert attr.startswith("/"), (path, attr)
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/stories/nope")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "Not found" in response.get_data(as_text=True)


def test_join_says_memberships_are_not_open_without_stripe(client):
    assert "not open yet" in client.get("/join").get_data(as_text=True)
