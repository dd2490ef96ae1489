"""Member tokens in feeds: echoed only as we make them, cached per member, in self links and ids,
and a token that stopped working says so in the feed instead of silently giving the public one."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import feedparser
import pytest
from lxml import etree

from conftest import SITE, ago, last_line, member_token

FORMATS = ["atom", "rss", "json"]
ATOM = "{http://www.w3.org/2005/Atom}"
STOPPED_TITLE = "This member feed address no longer works"


@pytest.fixture
def coverage(newsroom):
    """Three days of coverage: the oldest is for members, the two newest are free."""
    newsroom.story(title="Live", slug="live", published_at=ago(days=9))
    for days in (9, 2, 1):
        newsroom.entry("live", headline=f"Day {days}", published_at=ago(days=days))


def well_formed(response, fmt: str):
    """The document parsed strictly: XML by lxml, JSON by json."""
    assert response.status_code == 200, response.data
    if fmt == "json":
        return json.loads(response.data)
    return etree.fromstring(response.data)


def self_and_id(doc, fmt: str) -> tuple[str, str | None]:
    """A document's self link and (Atom) id."""
    if fmt == "json":
        return doc["feed_url"], None
    if fmt == "rss":
        return doc.find(f"channel/{ATOM}link[@rel='self']").get("href"), None
    return doc.find(f"{ATOM}link[@rel='self']").get("href"), doc.find(f"{ATOM}id").text


def items(response, fmt: str) -> list[tuple[str, str, str]]:
    """(id, title, link) of each item in document order."""
    if fmt == "json":
        return [(i["id"], i["title"], i["url"]) for i in response.json["items"]]
    parsed = feedparser.parse(response.data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return [(e.id, e.title, e.link) for e in parsed.entries]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_token_is_echoed_only_as_we_make_it(app, client, runner, coverage, fmt):
    from syndicate import documents

    token = member_token(runner)
    clean = client.get(f"/feeds/latest.{fmt}?token={token}")
    well_formed(clean, fmt)
    with app.app_context():
        cache = documents.cache()
    held = len(cache.items)
    for junk in ('""', "<<", "&&", '"><', "\u2028"):
        # Decoders forgive trailing junk, so each of these still proves membership.
        response = client.get(f"/feeds/latest.{fmt}?token={quote(token + junk, safe='')}")
        doc = well_formed(response, fmt)
        body = response.get_data(as_text=True)
        assert "Day 9" in body, "still a member's document"
        assert body.count("token=") == body.count(f"token={token}") > 0, junk
        assert self_and_id(doc, fmt)[0] == f"{SITE}/feeds/latest.{fmt}?token={token}"
        assert response.data == clean.data
        assert response.headers["Cache-Control"].startswith("private")
    assert len(cache.items) == held, "one document per member, not one per spelling"


def test_members_documents_are_cached_per_member(app, client, runner, coverage):
    from syndicate import documents

    tokens = [member_token(runner, f"m{n}@example.org") for n in range(3)]
    with app.app_context():
        cache = documents.cache()
    client.get("/feeds/latest.atom")
    before = len(cache.items)
    for token in tokens:
        for junk in ("", "<<", '""'):
            assert client.get(f"/feeds/latest.atom?token={quote(token + junk, safe='')}").status_code == 200
    # The members' shared rendering, then one document for each member.
    assert len(cache.items) == before + 1 + len(tokens)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("path", ["/feeds/latest", "/stories/live/feed", f"/archive/{{day}}"])
def test_self_link_and_id_carry_the_token(client, runner, coverage, fmt, path):
    token = member_token(runner)
    day = (datetime.now(timezone(timedelta(hours=4))) - timedelta(days=9)).date().isoformat()
    path = path.format(day=day)
    doc = well_formed(client.get(f"{path}.{fmt}?token={token}"), fmt)
    self_url, feed_id = self_and_id(doc, fmt)
    assert self_url == f"{SITE}{path}.{fmt}?token={token}"
    if feed_id is not None:
        assert feed_id == f"{SITE}{path}?token={token}"
    # With the token in a header, the reader already knows how to ask: links stay clean.
    bearer = well_formed(client.get(f"{path}.{fmt}", headers={"Authorization": f"Bearer {token}"}), fmt)
    self_url, feed_id = self_and_id(bearer, fmt)
    assert self_url == f"{SITE}{path}.{fmt}"
    assert feed_id in (None, f"{SITE}{path}")


def stop_by_new_token(runner, token):
    result = runner.invoke(args=["members", "new-token", "reader@example.org"])
    assert result.exit_code == 0, result.output
    assert last_line(result.output) != token


def stop_by_lapse(runner, token):
    yesterday = (datetime.now(timezone(timedelta(hours=4))) - timedelta(days=1)).date().isoformat()
    member_token(runner, "reader@example.org", "--until", yesterday)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("stop", [stop_by_new_token, stop_by_lapse], ids=["new-token", "lapsed"])
def test_a_stopped_token_gets_the_public_feed_and_one_item_saying_so(client, runner, coverage, fmt, stop):
    token = member_token(runner)
    assert "Day 9" in client.get(f"/feeds/latest.{fmt}?token={token}").get_data(as_text=True)
    stop(runner, token)
    public = items(client.get(f"/feeds/latest.{fmt}"), fmt)
    for how in ({"query_string": {"token": token}}, {"headers": {"Authorization": f"Bearer {token}"}}):
        response = client.get(f"/feeds/latest.{fmt}", **how)
        well_formed(response, fmt)
        got = items(response, fmt)
        assert got[1:] == public, "otherwise the public document"
        notice_id, title, link = got[0]
        assert title == STOPPED_TITLE and link == f"{SITE}/account"
        assert notice_id.startswith("urn:uuid:")
        body = response.get_data(as_text=True)
        assert "Day 9" not in body and "token=" not in body
        assert f"{SITE}/join" in body
        assert response.headers["Cache-Control"].startswith("private")
    # The same id every time and in every feed, so a reader shows it once.
    assert items(client.get(f"/stories/live/feed.{fmt}?token={token}"), fmt)[0][0] == notice_id
    # A document that needs membership still needs it.
    day = (datetime.now(timezone(timedelta(hours=4))) - timedelta(days=9)).date().isoformat()
    assert client.get(f"/archive/{day}.{fmt}?token={token}").status_code == 401


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_token_that_is_not_ours_is_no_token(app, client, runner, coverage, fmt):
    token = member_token(runner)
    body, _, signature = token.rpartition(".")
    public = client.get(f"/feeds/latest.{fmt}").data
    for bad in (body + "." + signature[::-1], "garbage", token[:-3]):
        response = client.get(f"/feeds/latest.{fmt}?token={bad}")
        assert response.status_code == 200 and response.data == public
