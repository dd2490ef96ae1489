"""A withdrawn update reaches feed readers: for SYNDICATE_WITHDRAWN_DAYS every feed that would hold it
carries an item with its id, a newer `updated`, a title saying it was removed and the public note alone."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import feedparser
import pytest

from conftest import SITE, earlier_today, member_token

FORMATS = ["atom", "rss", "json"]
HEADLINE = "Families shelter in the school on Rustaveli Street"
BODY = "Nino Beridze, who runs the shelter, says forty families sleep in the gym."
NOTE = "This update was removed to protect people it named."
REMOVED = "This update was removed"


def today() -> str:
    return datetime.now(timezone(timedelta(hours=4))).date().isoformat()  # Asia/Tbilisi, no DST


FEEDS = ["/feeds/latest", "/stories/live/feed", "/regions/karabakh/feed", "/archive/{today}"]


@pytest.fixture
def live(newsroom):
    """Today's live day in a covered region: the update that endangers someone, between two others."""
    newsroom.region("karabakh", "Nagorno-Karabakh", covered=True)
    newsroom.cli("naming-note", "set", "A note on naming.")
    newsroom.story(title="Live", slug="live", regions=["karabakh"], published_at=earlier_today(0.1))
    newsroom.entry("live", headline="Earlier update", published_at=earlier_today(0.3))
    shelter = newsroom.entry("live", headline=HEADLINE, body_text=BODY, published_at=earlier_today(0.5), key_event=True)
    newsroom.entry("live", headline="Later update", published_at=earlier_today(0.7))
    return shelter


def read_items(response, fmt: str) -> list[dict]:
    """Each item's id, title, text, link and updated time, as a client reads them."""
    assert response.status_code == 200, response.data
    if fmt == "json":
        return [{"id": i["id"], "title": i["title"], "text": i["content_html"], "link": i["url"],
                 "updated": datetime.fromisoformat(i["date_modified"]), "extra": i.get("_syndicate", {}),
                 "tags": i.get("tags", [])} for i in response.json["items"]]
    parsed = feedparser.parse(response.data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return [{"id": e.id, "title": e.title, "text": e.content[0].value if "content" in e else e.summary,
             "link": e.link, "updated": datetime.fromisoformat(e.updated), "tags": e.get("tags", []),
             "extra": {k: v for k, v in e.items() if k.startswith("syndicate_")}} for e in parsed.entries]


def by_id(items: list[dict], entry_id: str) -> dict:
    return next(i for i in items if i["id"] == entry_id)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_withdrawn_update_is_replaced_in_every_feed(client, runner, newsroom, live, fmt):
    token = member_token(runner)
    urls = [f"{path.format(today=today())}.{fmt}{query}" for path in FEEDS for query in ("", f"?token={token}")]
    entry_id = f"urn:uuid:{live['uid']}"
    before = {url: by_id(read_items(client.get(url), fmt), entry_id) for url in urls}
    assert all(item["title"] == HEADLINE for item in before.values())

    assert newsroom.withdraw(live["id"], reason="Named a volunteer", public_note=NOTE).status_code == 200
    for url in urls:
        response = client.get(url)
        body = response.get_data(as_text=True)
        assert "Rustaveli" not in body and "Beridze" not in body, url
        items = read_items(response, fmt)
        assert [i["title"] for i in items] == ["Later update", REMOVED, "Earlier update"], url  # where it sat
        notice = by_id(items, entry_id)
        assert notice["updated"] > before[url]["updated"], url
        assert notice["text"] == f"<p>{NOTE}</p>"
        assert notice["link"] == f"{SITE}/stories/live/updates/{live['uid']}"  # the page keeps the note there
        assert not notice["tags"] and not notice["extra"], "nothing of the update but its place"


def test_without_a_note_the_notice_says_a_neutral_sentence(client, newsroom, live):
    assert newsroom.withdraw(live["id"], reason="Named a volunteer").status_code == 200
    for fmt in FORMATS:
        notice = by_id(read_items(client.get(f"/stories/live/feed.{fmt}"), fmt), f"urn:uuid:{live['uid']}")
        assert notice["title"] == REMOVED and notice["text"] == "<p>The newsroom removed this update.</p>"
        assert notice["link"] == f"{SITE}/stories/live"  # no note stands on the page: the story, not the update


def test_members_stories_notices_are_for_members(client, runner, newsroom, live):
    newsroom.story(title="Inside", slug="inside", access="members", published_at=earlier_today(0.1))
    secret = newsroom.entry("inside", headline="Members' update", published_at=earlier_today(0.6))
    token = member_token(runner)
    newsroom.withdraw(secret["id"], reason="x", public_note=NOTE)
    member = read_items(client.get(f"/feeds/latest.json?token={token}"), "json")
    assert by_id(member, f"urn:uuid:{secret['uid']}")["title"] == REMOVED
    public = client.get("/feeds/latest.json").get_data(as_text=True)
    assert secret["uid"] not in public


@pytest.mark.parametrize("app_config", [{"FEED_LIMIT": 2}])
def test_the_notice_is_carried_past_the_feed_limit(client, newsroom, live):
    """A reader may hold an update that has since scrolled out: its notice is not counted in the limit."""
    newsroom.withdraw(live["id"], reason="x", public_note=NOTE)
    newsroom.entry("live", headline="Newest update", published_at=earlier_today(0.9))
    for fmt in FORMATS:
        titles = [i["title"] for i in read_items(client.get(f"/feeds/latest.{fmt}"), fmt)]
        assert titles == ["Newest update", "Later update", REMOVED]


@pytest.mark.parametrize("app_config", [{"WITHDRAWN_DAYS": 0}])
def test_past_withdrawn_days_the_update_simply_goes(client, newsroom, live):
    newsroom.withdraw(live["id"], reason="x", public_note=NOTE)
    for fmt in FORMATS:
        body = client.get(f"/feeds/latest.{fmt}").get_data(as_text=True)
        assert live["uid"] not in body and REMOVED not in body


# ---------------------------------------------------------------- real feed readers, over HTTP


def _api(base: str, editor: str, path: str, body: dict) -> dict:
    import json
    import urllib.request

    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST", headers={
        "Authorization": f"Bearer {editor}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


class FeedparserReader:
    """What feedparser-based tools do: keep every item they fetched by id, and replace it when it comes again."""

    def __init__(self, urls: list[str]):
        self.urls = urls
        self.held: dict[tuple[str, str], tuple[str, str]] = {}

    def refresh(self) -> None:
        for url in self.urls:
            parsed = feedparser.parse(url)
            assert parsed.bozo == 0 and parsed.status == 200, (url, parsed.get("bozo_exception"))
            for e in parsed.entries:
                self.held[(url, e.id)] = (e.title, e.content[0].value if "content" in e else e.summary)


@pytest.mark.slow
def test_feed_readers_replace_a_withdrawn_update(database_url, tmp_path):
    """`reader` (all three formats) and a feedparser tool subscribe to public and member feeds, then
    refresh after the withdrawal: what they store holds none of the update's headline or text."""
    from reader import make_reader

    from conftest import last_line
    from servers import Gunicorn, run_cli

    env = {"SYNDICATE_DATABASE_URL": database_url, "SYNDICATE_SECRET_KEY": "withdrawal-readers"}
    with Gunicorn(env, workers=2, log_dir=tmp_path) as server:
        base, env = server.url, server.env
        editor = last_line(run_cli(env, "editors", "add", "desk"))
        token = last_line(run_cli(env, "members", "comp", "reader@example.org"))
        _api(base, editor, "/api/stories", {"title": "Live", "slug": "live", "published_at": earlier_today(0.1)})
        _api(base, editor, "/api/stories/live/entries", {"headline": "Earlier update", "body_text": "Quiet.",
                                                         "published_at": earlier_today(0.3)})
        shelter = _api(base, editor, "/api/stories/live/entries", {"headline": HEADLINE, "body_text": BODY,
                                                                   "published_at": earlier_today(0.5)})
        urls = [f"{base}{path}.{fmt}{query}" for path in ("/feeds/latest", "/stories/live/feed")
                for fmt in FORMATS for query in ("", f"?token={token}")]

        subscriber = make_reader(str(tmp_path / "reader.sqlite"))
        for url in urls:
            subscriber.add_feed(url)
        tool = FeedparserReader([url for url in urls if ".json" not in url])  # feedparser reads no JSON Feed

        def refresh() -> None:
            subscriber.update_feeds(scheduled=False)  # "refresh now", not on its schedule
            for url in urls:
                assert subscriber.get_feed(url).last_exception is None, url
            tool.refresh()

        def stored(entry) -> str:
            return " ".join([entry.title or "", entry.summary or "", *(c.value for c in entry.content)])

        refresh()
        entry_id = f"urn:uuid:{shelter['uid']}"
        held = [e for e in subscriber.get_entries() if e.id == entry_id]
        assert len(held) == len(urls) and all(HEADLINE in stored(e) and "Beridze" in stored(e) for e in held)
        assert all(tool.held[(url, entry_id)][0] == HEADLINE for url in tool.urls)

        _api(base, editor, f"/api/entries/{shelter['id']}/withdraw", {"reason": "Named a volunteer",
                                                                      "public_note": NOTE})
        refresh()
        everything = " ".join(stored(e) for e in subscriber.get_entries())
        assert "Rustaveli" not in everything and "Beridze" not in everything
        held = [e for e in subscriber.get_entries() if e.id == entry_id]
        assert len(held) == len(urls) and all(e.title == REMOVED and NOTE in stored(e) for e in held)
        for url in tool.urls:
            title, text = tool.held[(url, entry_id)]
            assert title == REMOVED and text == f"<p>{NOTE}</p>", url
        assert not any("Rustaveli" in title + text or "Beridze" in text for title, text in tool.held.values())
        subscriber.close()
