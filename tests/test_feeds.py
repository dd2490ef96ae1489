"""Feeds read by feedparser as a real client, in all three formats from one definition."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import feedparser
import pytest
from lxml import etree

from conftest import SITE, ago, member_token

FORMATS = ["atom", "rss", "json"]
NS = "https://syndicate.invalid/ns/1.0"
NOTE = "We do not use qualifiers such as de facto for institutions in the regions we cover."


def local_day(days_ago: int) -> str:
    tz = timezone(timedelta(hours=4))  # Asia/Tbilisi has no DST
    return (datetime.now(tz) - timedelta(days=days_ago)).date().isoformat()


@pytest.fixture
def coverage(newsroom):
    """Three live days in a covered region, plus an uncovered public article."""
    newsroom.region("karabakh", "Nagorno-Karabakh", covered=True)
    newsroom.region("georgia", "Georgia", covered=False)
    newsroom.cli("naming-note", "set", NOTE)
    ids = {}
    for days_ago in (6, 3, 0):
        slug = f"live-{days_ago}"
        newsroom.story(title=f"Live day {days_ago}", slug=slug, regions=["karabakh"], series="war",
                       published_at=ago(days=days_ago, minutes=30))
        ids[days_ago] = [
            newsroom.entry(slug, headline=f"Update {days_ago}.{n}", published_at=ago(days=days_ago, minutes=n),
                           key_event=n == 2)["id"]
            for n in (1, 2)
        ]
    newsroom.story(title="Metro opens", slug="metro", kind="article", access="public", regions=["georgia"],
                   published_at=ago(days=8))
    ids["metro"] = newsroom.entry("metro", headline="Metro opens", published_at=ago(days=8))["id"]
    return ids


def parse(response):
    assert response.status_code == 200, response.data
    parsed = feedparser.parse(response.data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return parsed


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("path", ["/feeds/latest", "/stories/live-0/feed", "/regions/karabakh/feed"])
def test_subscription_feeds_parse_with_their_media_type(client, coverage, path, fmt):
    response = client.get(f"{path}.{fmt}")
    expected = {"atom": "application/atom+xml", "rss": "application/rss+xml", "json": "application/feed+json"}
    assert response.mimetype == expected[fmt]
    if fmt == "json":
        check_json_feed(response.json)
    else:
        parsed = parse(response)
        assert parsed.entries, "feed should not be empty"
        for entry in parsed.entries:
            assert entry.link.startswith(SITE + "/")


def check_json_feed(feed: dict):
    """JSON Feed 1.1's required fields, and ours."""
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(feed["title"], str) and feed["title"]
    assert feed["feed_url"].startswith(SITE)
    assert feed["home_page_url"].startswith(SITE)
    ids = [item["id"] for item in feed["items"]]
    assert len(ids) == len(set(ids))
    for item in feed["items"]:
        assert isinstance(item["id"], str)
        assert item.get("content_html") or item.get("content_text")
        assert item["url"].startswith(SITE)
        datetime.fromisoformat(item["date_published"])


def test_latest_is_newest_first_and_holds_only_free_entries(client, coverage):
    parsed = parse(client.get("/feeds/latest.atom"))
    titles = [e.title for e in parsed.entries]
    # Days 0 and 3 are the two most recent days of coverage; day 6 is members-only; the article is public.
    assert titles == ["Update 0.1", "Update 0.2", "Update 3.1", "Update 3.2", "Metro opens"]


def test_members_get_everything_in_latest(client, runner, coverage):
    token = member_token(runner)
    parsed = parse(client.get(f"/feeds/latest.atom?token={token}"))
    assert [e.title for e in parsed.entries][-3:] == ["Update 6.1", "Update 6.2", "Metro opens"]


def test_naming_note_attached_to_covered_entries_only(client, coverage):
    feed = client.get("/feeds/latest.json").json
    by_title = {item["title"]: item for item in feed["items"]}
    assert by_title["Update 0.1"]["_syndicate"]["naming_note"] == NOTE
    assert NOTE in by_title["Update 0.1"]["content_html"]
    assert "naming_note" not in by_title["Metro opens"].get("_syndicate", {})
    assert NOTE not in by_title["Metro opens"]["content_html"]

    root = etree.fromstring(client.get("/feeds/latest.atom").data)
    entries = root.findall("{http://www.w3.org/2005/Atom}entry")
    notes = {e.findtext("{http://www.w3.org/2005/Atom}title"): e.findtext(f"{{{NS}}}namingNote") for e in entries}
    assert notes["Update 3.2"] == NOTE and notes["Metro opens"] is None
    rss = etree.fromstring(client.get("/feeds/latest.rss").data)
    assert [i.findtext(f"{{{NS}}}namingNote") for i in rss.iter("item")].count(NOTE) == 4


def test_naming_note_change_shows_on_next_request(client, newsroom, coverage):
    first = client.get("/feeds/latest.json")
    newsroom.cli("naming-note", "set", "A revised note on naming.")
    second = client.get("/feeds/latest.json", headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200
    assert second.json["items"][0]["_syndicate"]["naming_note"] == "A revised note on naming."


# A story's language must be one of the site's: this newsroom writes in three.
@pytest.mark.parametrize("app_config", [{"LANGUAGES": "en,ru,de"}])
def test_naming_note_falls_back_to_english(client, newsroom, coverage):
    newsroom.cli("naming-note", "set", "Примечание о названиях.", "--lang", "ru")
    newsroom.story(title="По-русски", slug="ru-day", language="ru", regions=["karabakh"])
    newsroom.story(title="In German", slug="de-day", language="de", regions=["karabakh"])
    newsroom.entry("ru-day", headline="Обновление")
    newsroom.entry("de-day", headline="Aktualisierung")
    assert client.get("/stories/ru-day/feed.json").json["items"][0]["_syndicate"]["naming_note"] == \
        "Примечание о названиях."
    assert client.get("/stories/de-day/feed.json").json["items"][0]["_syndicate"]["naming_note"] == NOTE


def test_entry_ids_stable_across_edits(client, newsroom, coverage):
    entry_id = coverage[0][0]
    before = {e.title: e for e in parse(client.get("/feeds/latest.atom")).entries}["Update 0.1"]
    response = newsroom.patch(entry_id, headline="Update 0.1, revised", correction="An earlier version misnamed the town.")
    assert response.status_code == 200
    after = {e.title: e for e in parse(client.get("/feeds/latest.atom")).entries}["Update 0.1, revised"]
    assert after.id == before.id
    assert after.updated_parsed > before.updated_parsed or after.updated != before.updated
    assert after.published == before.published
    assert "An earlier version misnamed the town." in after.content[0].value


@pytest.mark.parametrize("fmt", FORMATS)
def test_withdrawn_entry_gone_from_every_feed(client, newsroom, coverage, fmt):
    for path in ("/feeds/latest", "/stories/live-0/feed", "/regions/karabakh/feed", f"/archive/{local_day(0)}"):
        client.get(f"{path}.{fmt}")  # warm the cache
    assert newsroom.withdraw(coverage[0][0], reason="source safety", public_note="Removed.").status_code == 200
    for path in ("/feeds/latest", "/stories/live-0/feed", "/regions/karabakh/feed", f"/archive/{local_day(0)}"):
        body = client.get(f"{path}.{fmt}").get_data(as_text=True)
        assert "Update 0.1" not in body
        assert "Update 0.2" in body


def test_archive_documents_link_each_other(client, runner, coverage):
    token = member_token(runner)
    days = [local_day(6), local_day(3), local_day(0)]
    oldest = parse(client.get(f"/archive/{local_day(8)}.atom?token={token}"))
    assert "prev-archive" not in {link.rel for link in oldest.feed.links}
    old = parse(client.get(f"/archive/{days[0]}.atom?token={token}"))
    links = {link.rel: link.href for link in old.feed.links}
    assert links["next-archive"] == f"{SITE}/archive/{days[1]}.atom?token={token}"
    assert links["prev-archive"] == f"{SITE}/archive/{local_day(8)}.atom?token={token}"
    assert links["current"].startswith(f"{SITE}/feeds/latest.atom")
    assert links["payment"] == f"{SITE}/join"
    middle = parse(client.get(f"/archive/{days[1]}.atom?token={token}"))
    links = {link.rel: link.href for link in middle.feed.links}
    assert links["prev-archive"].startswith(f"{SITE}/archive/{days[0]}.atom")
    assert links["next-archive"].startswith(f"{SITE}/archive/{days[2]}.atom")


def test_past_days_are_marked_archive_and_today_is_not(client, coverage):
    fh = "{http://purl.org/syndication/history/1.0}archive"
    past = etree.fromstring(client.get(f"/archive/{local_day(3)}.atom").data)
    today = etree.fromstring(client.get(f"/archive/{local_day(0)}.atom").data)
    assert past.find(fh) is not None
    assert today.find(fh) is None
    assert client.get(f"/archive/{local_day(3)}.json").json["_syndicate"]["archive"] is True
    assert "archive" not in client.get(f"/archive/{local_day(0)}.json").json["_syndicate"]


def test_subscription_feed_links_prev_archive_to_newest_past_day(client, coverage):
    parsed = parse(client.get("/feeds/latest.atom"))
    links = {link.rel: link.href for link in parsed.feed.links}
    assert links["prev-archive"] == f"{SITE}/archive/{local_day(3)}.atom"
    assert links["self"] == f"{SITE}/feeds/latest.atom"
    assert client.get("/feeds/latest.json").json["_syndicate"]["prev_archive"] == f"{SITE}/archive/{local_day(3)}.json"


def test_day_documents_are_complete(client, runner, newsroom, coverage):
    token = member_token(runner)
    for n in range(3, 60):
        newsroom.entry("live-3", headline=f"Extra {n}", published_at=ago(days=3, seconds=n))
    parsed = parse(client.get(f"/archive/{local_day(3)}.atom", headers={"Authorization": f"Bearer {token}"}))
    assert len(parsed.entries) == 59  # beyond SYNDICATE_FEED_LIMIT (50)


def test_day_without_coverage_is_404_and_bad_day_is_404(client, coverage):
    assert client.get(f"/archive/{local_day(1)}.atom").status_code == 404
    assert client.get("/archive/2026-13-40.atom").status_code == 404
    assert client.get("/feeds/latest.xml").status_code == 404


def test_hub_advertised_when_set(app, client, coverage):
    app.config["WEBSUB_HUB"] = "https://hub.example.org/"
    parsed = parse(client.get("/feeds/latest.atom"))
    assert {"rel": "hub", "href": "https://hub.example.org/"}.items() <= \
        {k: v for link in parsed.feed.links if link.rel == "hub" for k, v in link.items()}.items()
    assert client.get("/feeds/latest.json").json["hubs"] == [{"type": "WebSub", "url": "https://hub.example.org/"}]


@pytest.mark.parametrize("fmt", FORMATS)
def test_control_characters_never_break_xml(client, newsroom, coverage, fmt):
    nasty = "Bad\x00 \x07bytes\x1b and \ufffe end"
    newsroom.entry("live-0", headline=nasty, body_html=f"<p>{nasty}</p><script>alert(1)</script>")
    response = client.get(f"/feeds/latest.{fmt}")
    if fmt == "json":
        item = response.json["items"][0]
        assert item["title"] == "Bad bytes and  end"
        assert "<script" not in item["content_html"]
    else:
        parsed = parse(response)
        assert parsed.entries[0].title == "Bad bytes and  end"


def test_feed_ids_and_categories(client, coverage):
    feed = client.get("/regions/karabakh/feed.json").json
    assert all(item["id"].startswith("urn:uuid:") for item in feed["items"])
    assert all(item["_syndicate"]["regions"] == ["karabakh"] for item in feed["items"])
    parsed = parse(client.get("/regions/karabakh/feed.atom"))
    assert parsed.entries[0].tags[0].term == "karabakh"
    assert parsed.entries[0].tags[0].label == "Nagorno-Karabakh"
