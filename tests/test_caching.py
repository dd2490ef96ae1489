"""Conditional requests and caching: strong ETags, Last-Modified, 304, and no stale content."""
from __future__ import annotations

from email.utils import format_datetime, parsedate_to_datetime
import time
from datetime import datetime, timedelta, timezone

import pytest

from conftest import ago, member_token


@pytest.fixture
def story(newsroom):
    newsroom.story(title="Live", slug="live")
    return [newsroom.entry("live", headline=f"Update {n}", published_at=ago(minutes=60 - n))["id"] for n in range(3)]


@pytest.mark.parametrize("fmt", ["atom", "rss", "json"])
def test_etag_and_304(client, story, fmt):
    first = client.get(f"/feeds/latest.{fmt}")
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert first.headers["Cache-Control"] == "public, no-cache"
    again = client.get(f"/feeds/latest.{fmt}")
    assert again.headers["ETag"] == etag and again.data == first.data  # stable bytes
    not_modified = client.get(f"/feeds/latest.{fmt}", headers={"If-None-Match": etag})
    assert not_modified.status_code == 304 and not_modified.data == b""
    assert not_modified.headers["ETag"] == etag
    listed = client.get(f"/feeds/latest.{fmt}", headers={"If-None-Match": f'"other", {etag}'})
    assert listed.status_code == 304


def test_if_modified_since(client, story):
    assert "Last-Modified" not in client.get("/feeds/latest.atom").headers  # changed this very second
    time.sleep(1.05)
    first = client.get("/feeds/latest.atom")
    last_modified = first.headers["Last-Modified"]
    assert client.get("/feeds/latest.atom", headers={"If-Modified-Since": last_modified}).status_code == 304
    earlier = format_datetime(parsedate_to_datetime(last_modified) - timedelta(seconds=5), usegmt=True)
    assert client.get("/feeds/latest.atom", headers={"If-Modified-Since": earlier}).status_code == 200


@pytest.mark.parametrize("change", ["add", "edit", "withdraw", "note"])
def test_any_change_invalidates(client, newsroom, story, change):
    first = client.get("/feeds/latest.atom")
    etag = first.headers["ETag"]
    # What a client that only keeps dates sends: the Last-Modified it was given, or when it fetched.
    last_modified = first.headers.get("Last-Modified") or format_datetime(datetime.now(timezone.utc), usegmt=True)
    if change == "add":
        newsroom.entry("live", headline="Breaking")
    elif change == "edit":
        assert newsroom.patch(story[0], headline="Edited").status_code == 200
    elif change == "withdraw":
        assert newsroom.withdraw(story[0], reason="safety").status_code == 200
    else:
        newsroom.region("zone", "Zone", covered=True)
        newsroom.cli("naming-note", "set", "A note.")
        newsroom.patch(story[2], regions=["zone"])
    # A client that sends only If-Modified-Since must not keep a withdrawn entry.
    by_date = client.get("/feeds/latest.atom", headers={"If-Modified-Since": last_modified})
    by_tag = client.get("/feeds/latest.atom", headers={"If-None-Match": etag})
    assert by_tag.status_code == 200 and by_tag.headers["ETag"] != etag
    assert by_date.status_code == 200
    if change == "withdraw":
        assert b"Update 0" not in by_tag.data


def test_unrelated_change_keeps_etag(client, newsroom, story):
    newsroom.story(title="Members only", slug="closed", access="members")
    first = client.get("/feeds/latest.atom")
    newsroom.entry("closed", headline="Hidden from the public")
    assert client.get("/feeds/latest.atom", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_member_and_public_documents_differ(client, runner, story):
    token = member_token(runner)
    public = client.get("/feeds/latest.atom")
    member = client.get(f"/feeds/latest.atom?token={token}")
    assert public.headers["ETag"] != member.headers["ETag"]
    assert member.headers["Cache-Control"] == "private, no-cache"
    assert "Authorization" in member.headers["Vary"]


def test_head_has_no_body(client, story):
    response = client.head("/feeds/latest.atom")
    assert response.status_code == 200 and response.data == b""
    assert int(response.headers["Content-Length"]) > 0


def test_gzip_for_readers_that_ask(client, story):
    import gzip

    plain = client.get("/feeds/latest.atom")
    packed = client.get("/feeds/latest.atom", headers={"Accept-Encoding": "gzip, deflate"})
    assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.data) == plain.data
    assert packed.headers["ETag"] != plain.headers["ETag"]  # a strong ETag names one representation
    again = client.get("/feeds/latest.atom", headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]})
    assert again.status_code == 304
    refused = client.get("/feeds/latest.atom", headers={"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused.headers


def test_each_member_gets_their_own_links(client, runner, story):
    first = member_token(runner, "one@example.org")
    second = member_token(runner, "two@example.org")
    one = client.get(f"/feeds/latest.json?token={first}")
    two = client.get(f"/feeds/latest.json?token={second}")
    assert one.json["feed_url"].endswith(f"?token={first}") and two.json["feed_url"].endswith(f"?token={second}")
    assert one.headers["ETag"] != two.headers["ETag"]
    assert one.json["items"] == two.json["items"]
    assert client.get(f"/feeds/latest.json?token={first}", headers={"If-None-Match": one.headers["ETag"]}).status_code == 304


def test_the_cache_is_bounded_by_bytes(app, client, story):
    from syndicate.feeds.cache import render_cache

    with app.app_context():
        cache = render_cache()
        cache.max_bytes = 6000
    for path in ("/feeds/latest", "/stories/live/feed"):
        for fmt in ("atom", "rss", "json"):
            assert client.get(f"{path}.{fmt}").status_code == 200
    assert 0 < cache.bytes <= 6000
    assert len(cache.items) < 6


@pytest.mark.parametrize("path", ["/feeds/latest.atom", "/stories/live/feed.json"])
def test_cached_answers_match_what_flask_renders(client, runner, story, path):
    """A second request is answered from the cache before Flask; it must be the same answer."""
    token = member_token(runner)
    for query, headers in (("", {}), (f"?token={token}", {}), ("", {"Accept-Encoding": "gzip"})):
        rendered = client.get(path + query, headers={**headers, "Cookie": "x=1"})  # cookies always go to Flask
        cached = client.get(path + query, headers=headers)
        assert cached.status_code == rendered.status_code == 200
        assert cached.data == rendered.data
        for name in ("ETag", "Cache-Control", "Content-Type", "Vary", "Last-Modified", "Content-Encoding",
                     "Referrer-Policy"):
            assert cached.headers.get(name) == rendered.headers.get(name), name
