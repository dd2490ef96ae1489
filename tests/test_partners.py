"""Partner syndication: keys, the change-log feed, cursors, tombstones, embargoes, limits, accounting."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import feedparser
import pytest
from lxml import etree

from conftest import SITE, last_line

AT = "{http://purl.org/atompub/tombstones/1.0}"
ATOM = "{http://www.w3.org/2005/Atom}"
NS = "{https://syndicate.invalid/ns/1.0}"


@pytest.fixture
def partner(runner) -> dict:
    result = runner.invoke(args=["partners", "add", "Border Times", "--license", "Licensed to Border Times."])
    assert result.exit_code == 0, result.output
    return {"Authorization": f"Bearer {last_line(result.output)}"}


@pytest.fixture
def desk(newsroom):
    newsroom.region("karabakh", "Nagorno-Karabakh", covered=True)
    newsroom.cli("naming-note", "set", "Our note on naming.")
    newsroom.story(title="Live", slug="live", regions=["karabakh"])
    return newsroom


def pull_json(client, headers, since=None, limit=None):
    query = {k: v for k, v in (("since", since), ("limit", limit)) if v is not None}
    response = client.get("/syndication/entries.json", query_string=query, headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def follow(client, headers, since=0, limit=None) -> tuple[list[dict], int, int]:
    """Follow cursors to the end: (items in order, final cursor, pages)."""
    items, pages = [], 0
    while True:
        feed = pull_json(client, headers, since, limit)
        pages += 1
        items += feed["items"]
        cursor = int(feed["_syndicate"]["cursor"])
        if not feed["items"]:
            return items, cursor, pages
        assert feed["next_url"] == f"{SITE}/syndication/entries.json?since={cursor}" + (f"&limit={limit}" if limit else "")
        since = cursor


def replay(items: list[dict]) -> dict[str, dict]:
    """What a partner holds after applying items in order."""
    held = {}
    for item in items:
        if "deleted" in item.get("_syndicate", {}):
            held.pop(item["id"], None)
        else:
            held[item["id"]] = item
    return held


def test_keys(client, runner, partner):
    assert client.get("/syndication/entries.atom", headers=partner).status_code == 200
    assert client.get("/syndication/entries.atom").status_code == 401
    assert client.get("/syndication/entries.atom", headers={"Authorization": "Bearer pk_wrong"}).status_code == 401
    assert runner.invoke(args=["partners", "add", "Border Times"]).exit_code != 0
    assert "Border Times\tactive" in runner.invoke(args=["partners", "list"]).output
    assert runner.invoke(args=["partners", "revoke", "Border Times"]).exit_code == 0
    response = client.get("/syndication/entries.atom", headers=partner)
    assert response.status_code == 401 and response.json["error"]["code"] == "unauthorized"


def test_key_is_stored_hashed(app, runner, partner):
    from syndicate.extensions import db
    from syndicate.models import Partner

    key = partner["Authorization"].split()[1]
    with app.app_context():
        stored = db.session.scalars(db.select(Partner.key_hash)).all()
    assert key not in stored and len(stored[0]) == 64


def test_default_licence(client, runner):
    key = last_line(runner.invoke(args=["partners", "add", "Valley Post"]).output)
    feed = pull_json(client, {"Authorization": f"Bearer {key}"})
    assert feed["_syndicate"]["license"] == "Republished by agreement with syndicate demo newsroom. All rights reserved."


def test_feed_holds_what_partners_may_take(client, desk, partner):
    shared = desk.entry("live", headline="Convoy crosses", body_html="<p>Eleven lorries.</p>")
    desk.entry("live", headline="Not for partners", syndicate=False)
    desk.entry("live", headline="Embargoed", embargo_until=(datetime.now(timezone.utc) + timedelta(hours=2)).isoformat())
    gone = desk.entry("live", headline="Withdrawn before any pull")
    desk.withdraw(gone["id"], reason="safety")
    desk.story(title="Exclusive", slug="exclusive", syndicate=False)
    desk.entry("exclusive", headline="Exclusive story")

    feed = pull_json(client, partner)
    titles = [item.get("title") for item in feed["items"]]
    # The withdrawn entry was released before the pull, so partners get its tombstone.
    assert titles == ["Convoy crosses", None]
    item = feed["items"][0]
    assert item["url"] == shared["url"]
    assert "Eleven lorries." in item["content_html"] and "Our note on naming." in item["content_html"]
    assert f'Originally published by syndicate demo newsroom: <a href="{shared["url"]}">' in item["content_html"]
    assert item["_syndicate"]["naming_note"] == "Our note on naming."
    assert feed["_syndicate"]["license"] == "Licensed to Border Times."


def test_atom_with_feedparser_and_rfc6721_tombstone(client, desk, partner):
    kept = desk.entry("live", headline="Kept")
    gone = desk.entry("live", headline="Source named")
    first = client.get("/syndication/entries.atom", headers=partner)
    parsed = feedparser.parse(first.data)
    assert parsed.bozo == 0
    assert [e.title for e in parsed.entries] == ["Kept", "Source named"]
    assert parsed.feed.rights == "Licensed to Border Times."
    cursor = etree.fromstring(first.data).findtext(f"{NS}cursor")
    assert {l.rel: l.href for l in parsed.feed.links}["next"] == f"{SITE}/syndication/entries.atom?since={cursor}"

    desk.withdraw(gone["id"], reason="source safety", public_note="Removed to protect a source.")
    second = client.get(f"/syndication/entries.atom?since={cursor}", headers=partner)
    root = etree.fromstring(second.data)
    assert root.findall(f"{ATOM}entry") == []
    tomb = root.find(f"{AT}deleted-entry")
    assert tomb is not None and tomb.get("ref") == next(e.id for e in parsed.entries if e.title == "Source named")
    datetime.fromisoformat(tomb.get("when"))
    assert tomb.findtext(f"{AT}comment") == "Removed to protect a source."
    assert "Source named" not in second.get_data(as_text=True)
    assert feedparser.parse(second.data).bozo == 0
    assert kept["id"]


def test_cursor_pages_and_limits(client, desk, partner):
    for n in range(7):
        desk.entry("live", headline=f"Update {n}")
    items, cursor, pages = follow(client, partner, limit=3)
    assert [i["title"] for i in items] == [f"Update {n}" for n in range(7)]  # oldest change first
    assert pages == 4  # 3 + 3 + 1, then an empty page that keeps the cursor
    assert pull_json(client, partner, since=cursor)["_syndicate"]["cursor"] == str(cursor)
    for bad in ("x", "-1", "0", "1.5"):
        response = client.get(f"/syndication/entries.json?limit={bad}", headers=partner)
        assert response.status_code == 400 and response.json["error"]["code"] == "bad_request"
    assert client.get("/syndication/entries.json?since=abc", headers=partner).status_code == 400
    assert client.get("/syndication/entries.json?since=999999", headers=partner).status_code == 400
    many = client.get("/syndication/entries.json?limit=100000", headers=partner)
    assert many.status_code == 200 and "limit=500" in many.json["next_url"]


def test_edits_reenter_once_per_page_in_their_latest_state(client, desk, partner):
    entry = desk.entry("live", headline="Toll: 12")
    desk.patch(entry["id"], headline="Toll: 15")
    desk.patch(entry["id"], headline="Toll: 21", correction="Earlier versions undercounted.")
    feed = pull_json(client, partner)
    assert [i["title"] for i in feed["items"]] == ["Toll: 21"]
    assert "Earlier versions undercounted." in feed["items"][0]["content_html"]


def test_losing_the_syndicate_flag_is_a_tombstone(client, desk, partner):
    entry = desk.entry("live", headline="Shared, then not")
    cursor = pull_json(client, partner)["_syndicate"]["cursor"]
    assert desk.patch(entry["id"], syndicate=False).status_code == 200
    feed = pull_json(client, partner, since=cursor)
    assert feed["items"][0]["content_text"] == "" and "deleted" in feed["items"][0]["_syndicate"]
    assert feed["items"][0]["id"].startswith("urn:uuid:")


def test_embargo_lifting_is_a_change_and_embargoed_withdrawals_leave_no_trace(app, client, desk, partner):
    from syndicate.extensions import db
    from syndicate.models import Entry

    later = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    held = desk.entry("live", headline="Under embargo", embargo_until=later)
    secret = desk.entry("live", headline="Embargoed then withdrawn", embargo_until=later)
    desk.withdraw(secret["id"], reason="safety")
    cursor = pull_json(client, partner)["_syndicate"]["cursor"]
    desk.entry("live", headline="Meanwhile")
    with app.app_context():  # the embargo runs out (time passes, not an edit)
        db.session.get(Entry, held["id"]).embargo_until = datetime.now(timezone.utc) - timedelta(seconds=1)
        db.session.commit()
    feed = pull_json(client, partner, since=cursor)
    assert [i.get("title") for i in feed["items"]] == ["Meanwhile", "Under embargo"]
    everything, _, _ = follow(client, partner)
    assert "Embargoed then withdrawn" not in str(everything)
    assert all("deleted" not in i.get("_syndicate", {}) for i in everything)


def test_naming_note_change_does_not_reenter_entries(client, desk, partner):
    desk.entry("live", headline="One")
    cursor = pull_json(client, partner)["_syndicate"]["cursor"]
    desk.cli("naming-note", "set", "A revised note.")
    assert pull_json(client, partner, since=cursor)["items"] == []


def test_replaying_from_the_start_reconstructs_the_live_set(client, desk, partner):
    ids = [desk.entry("live", headline=f"E{n}")["id"] for n in range(8)]
    desk.withdraw(ids[1], reason="x")
    desk.patch(ids[2], headline="E2 edited")
    desk.patch(ids[3], syndicate=False)
    desk.patch(ids[3], syndicate=True)
    desk.patch(ids[4], syndicate=False)
    items, _, _ = follow(client, partner, limit=2)
    held = replay(items)
    assert sorted(i["title"] for i in held.values()) == ["E0", "E2 edited", "E3", "E5", "E6", "E7"]


def test_partner_rate_limit(app, client, partner, runner):
    app.config["PARTNER_RATE_LIMIT"] = "2 per minute"
    other = {"Authorization": f"Bearer {last_line(runner.invoke(args=['partners', 'add', 'Other']).output)}"}
    assert [client.get("/syndication/entries.json", headers=partner).status_code for _ in range(3)] == [200, 200, 429]
    limited = client.get("/syndication/entries.json", headers=partner)
    assert int(limited.headers["Retry-After"]) > 0 and limited.json["error"]["code"] == "rate_limited"
    assert client.get("/syndication/entries.json", headers=other).status_code == 200  # per key


def test_pulls_are_logged_and_counted(client, desk, partner, runner):
    desk.entry("live", headline="A")
    gone = desk.entry("live", headline="B")
    cursor = pull_json(client, partner)["_syndicate"]["cursor"]
    desk.withdraw(gone["id"], reason="x")
    pull_json(client, partner, since=cursor)
    runner.invoke(args=["partners", "add", "Quiet Partner"])
    table = runner.invoke(args=["partners", "stats"]).output.splitlines()
    row = next(line for line in table if line.startswith("Border Times"))
    assert row.split()[2:5] == ["2", "2", "1"]
    assert "never" in next(line for line in table if line.startswith("Quiet Partner"))
