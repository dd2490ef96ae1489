"""The web desk over HTTP (no browser): who gets in, CSRF, revoking, one change per form, stale edits,
and the API rules the desk shares (ETag and If-Match, public ids, Idempotency-Key).

Mail goes to the instance outbox (no SMTP server set), where the tests read the sign-in links.
"""
from __future__ import annotations

import email
import email.policy
import html
import re
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import pytest

from conftest import last_line, member_token
from servers import wait_for

TBILISI = ZoneInfo("Asia/Tbilisi")
EMAIL = "ana@example.org"


# ---------------------------------------------------------------- helpers


def mailed_links(app, path: str = "/desk/signin/") -> list[str]:
    outbox = Path(app.instance_path) / "outbox"
    texts = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default).get_content()
             for p in sorted(outbox.glob("*.eml"))] if outbox.exists() else []
    return [link.replace("http://newsroom.test", "") for text in texts
            for link in re.findall(r"http://newsroom\.test" + re.escape(path) + r"\S+", text)]


def form_values(page: str) -> dict[str, str]:
    """The hidden fields of the first form that has them (csrf_token, idempotency_key, etag)."""
    return {name: html.unescape(value)
            for name, value in re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', page)}


def add_editor(runner, name="ana", address=EMAIL) -> str:
    result = runner.invoke(args=["editors", "add", name, "--email", address])
    assert result.exit_code == 0, result.output
    return last_line(result.output)


def sign_in(app, client, address=EMAIL) -> None:
    before = len(mailed_links(app))
    page = client.get("/desk/signin").get_data(as_text=True)
    assert client.post("/desk/signin", data={"email": address, **form_values(page)}).status_code == 200
    # The outbox sends after the request: wait for the mail.
    link = wait_for(lambda: mailed_links(app)[before:], what="the desk sign-in mail")[0]
    page = client.get(link).get_data(as_text=True)
    response = client.post(link, data=form_values(page))
    assert response.status_code == 303, response.get_data(as_text=True)


class Desk:
    """One editor's browser, without the browser: fetch a desk page, fill its form, send it."""

    def __init__(self, client):
        self.client = client

    def get(self, path: str) -> str:
        response = self.client.get(path)
        assert response.status_code == 200, (path, response.status_code, response.location)
        return response.get_data(as_text=True)

    def submit(self, page_path: str, action: str, **fields):
        hidden = form_values(self.get(page_path))
        return self.client.post(action, data={**hidden, **fields})


@pytest.fixture
def live(newsroom):
    """Yesterday's live day, in a covered region."""
    newsroom.region("nagorno-karabakh", "Nagorno-Karabakh", covered=True)
    newsroom.cli("gazetteer", "add", "Shusha", "Shushi")
    yesterday = datetime.now(TBILISI).date() - timedelta(days=1)
    label = f"{yesterday.day} {yesterday.strftime('%B %Y')}"
    newsroom.story(title=f"Live updates: Day 39 of the war, {label}", slug=f"live-{yesterday.isoformat()}",
                   summary="The day as it unfolded.", kind="live", regions=["nagorno-karabakh"],
                   published_at=datetime.combine(yesterday, time(7), tzinfo=TBILISI).isoformat())
    return f"live-{yesterday.isoformat()}"


@pytest.fixture
def desk(app, client, runner, live):
    add_editor(runner)
    sign_in(app, client)
    return Desk(client)


def entry_count(newsroom, slug) -> int:
    return len(feedparser.parse(newsroom.client.get(f"/stories/{slug}/feed.atom").data).entries)


# ---------------------------------------------------------------- signing in


def test_editor_signs_in_with_a_single_use_link(app, client, runner, caplog):
    add_editor(runner)
    assert client.get("/desk/").status_code == 303  # no session: to the sign-in page
    assert client.get("/desk/").location.endswith("/desk/signin")

    page = client.get("/desk/signin").get_data(as_text=True)
    known = client.post("/desk/signin", data={"email": "ANA@example.org", **form_values(page)})
    unknown = client.post("/desk/signin", data={"email": "nobody@example.org", **form_values(page)})
    assert known.status_code == unknown.status_code == 200
    assert known.data == unknown.data  # the page does not say who is an editor
    links = wait_for(lambda: mailed_links(app), what="the desk sign-in mail")
    assert len(links) == 1
    assert links[0].rsplit("/", 1)[1] not in caplog.text

    # Opening the link (as a mail scanner does) changes nothing: still no session, link still good.
    assert client.head(links[0]).status_code == 200
    page = client.get(links[0])
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/desk/").status_code == 303
    used = client.post(links[0], data=form_values(page.get_data(as_text=True)))
    assert used.status_code == 303
    marker = [c for c in used.headers.getlist("Set-Cookie") if c.startswith("signed_in=")]
    assert marker and "signed_in=1;" in marker[0]
    assert all(part in marker[0] for part in ("HttpOnly", "SameSite=Lax", "Path=/"))
    home = client.get("/desk/")
    assert home.status_code == 200 and "There is no live blog yet" in home.get_data(as_text=True)
    assert home.headers["Cache-Control"] == "private, no-store"

    # Used once: the second POST fails (from another browser too).
    other = app.test_client()
    assert other.post(links[0], data=form_values(other.get("/desk/signin").get_data(as_text=True))).status_code == 400

    signout = client.post("/desk/signout", data=form_values(home.get_data(as_text=True)))
    assert signout.status_code == 303
    gone = [c for c in signout.headers.getlist("Set-Cookie") if c.startswith("signed_in=")]
    assert gone and "Max-Age=0" in gone[0]
    assert client.get("/desk/").status_code == 303


def test_a_readers_session_is_not_an_editors(app, client, runner):
    add_editor(runner)
    runner.invoke(args=["members", "comp", "reader@example.org", "--mail"])
    link = mailed_links(app, "/signin/")[0]
    page = client.get(link).get_data(as_text=True)
    assert client.post(link, data=form_values(page)).status_code == 303
    assert client.get("/account").status_code == 200  # a signed-in member...
    response = client.get("/desk/log")
    assert response.status_code == 303 and response.location.endswith("/desk/signin")  # ...is no editor


@pytest.fixture
def app_config():
    return {"SIGNIN_RATE_LIMIT": "3 per minute"}


def test_desk_signin_is_rate_limited(client):
    hidden = form_values(client.get("/desk/signin").get_data(as_text=True))
    statuses = [client.post("/desk/signin", data={"email": f"x{n}@example.org", **hidden}).status_code
                for n in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_revoke_ends_the_token_and_the_desk_session(app, client, runner, newsroom, live):
    token = add_editor(runner)
    sign_in(app, client)
    # A link asked for before the revocation must not work after it either.
    hidden = form_values(client.get("/desk/signin").get_data(as_text=True))
    before = len(mailed_links(app))
    client.post("/desk/signin", data={"email": EMAIL, **hidden})
    unused = wait_for(lambda: mailed_links(app)[before:], what="the second desk sign-in mail")[-1]
    api = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/desk/stories/{live}").status_code == 200
    assert client.post(f"/api/stories/{live}/entries", json={"headline": "a", "body_text": "b"},
                       headers=api).status_code == 201

    result = runner.invoke(args=["editors", "revoke", "ana"])
    assert result.exit_code == 0, result.output
    response = client.get(f"/desk/stories/{live}")
    assert response.status_code == 303 and response.location.endswith("/desk/signin")
    refused = client.post(f"/api/stories/{live}/entries", json={"headline": "a", "body_text": "b"}, headers=api)
    assert refused.status_code == 401 and "WWW-Authenticate" in refused.headers
    fresh = app.test_client()
    assert fresh.post(unused, data=form_values(fresh.get("/desk/signin").get_data(as_text=True))).status_code == 400
    assert runner.invoke(args=["editors", "revoke", "nobody"]).exit_code != 0
    assert "revoked" in runner.invoke(args=["editors", "list"]).output


def test_editors_add_checks_the_address(runner):
    assert runner.invoke(args=["editors", "add", "x", "--email", "not an address"]).exit_code != 0
    assert runner.invoke(args=["editors", "add", "x", "--email", "x@example.org"]).exit_code == 0
    taken = runner.invoke(args=["editors", "add", "y", "--email", "X@example.org"])
    assert taken.exit_code != 0


# ---------------------------------------------------------------- the forms


def test_every_desk_form_needs_its_csrf_token(desk, newsroom, live):
    entry = newsroom.entry(live, headline="Standing update")
    uid = entry["uid"]
    posts = {
        f"/desk/stories/{live}/entries": {"headline": "h", "body": "b", "idempotency_key": "k1"},
        f"/desk/stories/{live}/preview": {"headline": "h", "body": "b", "idempotency_key": "k1"},
        f"/desk/stories/{live}/next": {"title": "t", "idempotency_key": "k2"},
        f"/desk/entries/{uid}/correct": {"headline": "h", "body": "b", "correction": "c", "idempotency_key": "k3"},
        f"/desk/entries/{uid}/withdraw": {"reason": "r", "idempotency_key": "k4"},
        "/desk/signout": {},
        "/desk/signin": {"email": EMAIL},
    }
    for path, data in posts.items():
        assert desk.client.post(path, data=data).status_code == 400, path
    assert entry_count(newsroom, live) == 1
    assert newsroom.client.get(f"/api/entries/{uid}", headers=newsroom.headers).json["status"] == "published"
    assert desk.client.get("/desk/log").status_code == 200  # still signed in


def test_publish_from_the_desk_once_per_form(desk, newsroom, live):
    fields = {"headline": "Shelling near Shusha", "body": "Residents sheltered.\n\n- two houses hit\n- no casualties",
              "regions": ["nagorno-karabakh"], "syndicate": "on", "key_event": "on"}
    hidden = form_values(desk.get(f"/desk/stories/{live}"))
    first = desk.client.post(f"/desk/stories/{live}/entries", data={**hidden, **fields})
    again = desk.client.post(f"/desk/stories/{live}/entries", data={**hidden, **fields})  # a double click
    assert first.status_code == again.status_code == 303
    assert first.location == again.location
    assert entry_count(newsroom, live) == 1

    page = desk.client.get(first.location).get_data(as_text=True)
    assert "Published. It is on the live page now." in page
    assert "Shusha appears without its other name" in page  # the gazetteer warned, and did not block

    # On the live page and in the feed on the next request, as the preview showed it.
    live_page = newsroom.client.get(f"/stories/{live}").get_data(as_text=True)
    assert "Shelling near Shusha" in live_page
    assert "<ul><li>two houses hit</li><li>no casualties</li></ul>" in live_page
    feed = feedparser.parse(newsroom.client.get(f"/stories/{live}/feed.atom").data)
    assert feed.entries[0].title == "Shelling near Shusha"

    # The same key with other text is not a resend: nothing is published, and the editor is told.
    other = desk.client.post(f"/desk/stories/{live}/entries", data={**hidden, **fields, "headline": "Another"})
    assert other.status_code == 409 and "already used" in other.get_data(as_text=True)
    assert entry_count(newsroom, live) == 1

    log = desk.get("/desk/log")
    assert log.count("</strong> published") == 1 and "ana</strong> published" in log


def test_embargo_and_syndicate_flag_from_the_desk(app, desk, runner, newsroom, live):
    key = last_line(runner.invoke(args=["partners", "add", "Partner"]).output)
    later = (datetime.now(TBILISI) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    hidden = form_values(desk.get(f"/desk/stories/{live}"))
    embargoed = desk.client.post(f"/desk/stories/{live}/entries", data={
        **hidden, "headline": "Embargoed", "body": "Not yet.", "syndicate": "on", "embargo": later})
    hidden = form_values(desk.get(f"/desk/stories/{live}"))
    private = desk.client.post(f"/desk/stories/{live}/entries", data={**hidden, "headline": "Ours only",
                                                                       "body": "Not for partners."})
    assert embargoed.status_code == private.status_code == 303
    uid = re.search(r"published=([0-9a-f-]+)", embargoed.location).group(1)
    state = newsroom.client.get(f"/api/entries/{uid}", headers=newsroom.headers).json
    assert datetime.fromisoformat(state["embargo_until"]).astimezone(TBILISI).strftime("%Y-%m-%dT%H:%M") == later
    assert entry_count(newsroom, live) == 2  # readers see both at once
    pulled = newsroom.client.get("/syndication/entries.json", headers={"Authorization": f"Bearer {key}"}).json
    assert pulled["items"] == []  # partners get neither yet


def test_refused_compose_keeps_the_text(desk, newsroom, live):
    hidden = form_values(desk.get(f"/desk/stories/{live}"))
    response = desk.client.post(f"/desk/stories/{live}/entries",
                                data={**hidden, "headline": "", "body": "Kept text", "embargo": "soon"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Write a headline." in page and "Kept text" in page and "Give the embargo" in page
    assert entry_count(newsroom, live) == 0


def test_preview_is_what_publishing_stores(desk, newsroom, live):
    hidden = form_values(desk.get(f"/desk/stories/{live}"))
    text = ("**Bold** and *italic*, [a link](https://example.org/a_b) and https://example.org/x.\n\n"
            "<script>alert(1)</script> [bad](javascript:alert(1))")
    preview = desk.client.post(f"/desk/stories/{live}/preview", headers={"Accept": "application/json"},
                               data={**hidden, "headline": "Shushi", "body": text})
    assert preview.status_code == 200
    shown = preview.json["html"]
    assert "<strong>Bold</strong>" in shown and "<em>italic</em>" in shown
    assert '<a href="https://example.org/a_b" rel="noopener noreferrer">a link</a>' in shown
    assert "<script>" not in shown and "&lt;script&gt;" in shown and 'href="javascript' not in shown
    assert preview.json["warnings"] == ["Shushi appears without its other name; the style is Shusha (Shushi)."]
    assert entry_count(newsroom, live) == 0  # previewing publishes nothing

    page = desk.client.post(f"/desk/stories/{live}/preview", data={**hidden, "headline": "Shushi", "body": text})
    assert page.status_code == 200 and "Preview: exactly what will be published" in page.get_data(as_text=True)

    published = desk.client.post(f"/desk/stories/{live}/entries", data={**hidden, "headline": "Shushi", "body": text})
    uid = re.search(r"published=([0-9a-f-]+)", published.location).group(1)
    stored = newsroom.client.get(f"/api/entries/{uid}", headers=newsroom.headers).json["body_html"]
    assert stored == shown


def test_start_the_next_day(desk, newsroom, live):
    page = desk.get(f"/desk/stories/{live}/next")
    today = datetime.now(TBILISI).date()
    label = f"{today.day} {today.strftime('%B %Y')}"
    title = f"Live updates: Day 40 of the war, {label}"
    assert html.escape(title) in page
    response = desk.submit(f"/desk/stories/{live}/next", f"/desk/stories/{live}/next", title=title,
                           summary="The day as it unfolded.")
    assert response.status_code == 303
    new_slug = f"live-{today.isoformat()}"
    assert response.location == f"/desk/stories/{new_slug}"
    public = newsroom.client.get(f"/stories/{new_slug}").get_data(as_text=True)
    assert "The day as it unfolded." in public and f'href="/stories/{live}"' in public  # series joined
    assert f'href="/stories/{new_slug}"' in newsroom.client.get(f"/stories/{live}").get_data(as_text=True)
    # Today's day is open, so the one after it cannot start yet.
    assert "starts at midnight" in desk.get(f"/desk/stories/{new_slug}/next")
    assert desk.client.get("/desk/").location == f"/desk/stories/{new_slug}"


def next_day_form(live: str) -> dict:
    today = datetime.now(TBILISI).date()
    return {"title": f"Live updates: Day 40 of the war, {today.day} {today.strftime('%B %Y')}",
            "summary": "The day as it unfolded."}


def series_days(newsroom, slug: str) -> set[str]:
    """The live days a day's public page links to, and itself: its whole series."""
    page = newsroom.client.get(f"/stories/{slug}").get_data(as_text=True)
    return {slug, *re.findall(r'href="/stories/(live-[0-9-]+)"', page)}


def test_a_second_tab_starting_the_same_day_lands_on_it(desk, newsroom, live):
    """Two tabs opened "start the next day"; the second is sent after the first opened it."""
    path = f"/desk/stories/{live}/next"
    first_tab, second_tab = form_values(desk.get(path)), form_values(desk.get(path))
    assert first_tab["idempotency_key"] != second_tab["idempotency_key"]
    new_slug = f"live-{datetime.now(TBILISI).date().isoformat()}"
    first = desk.client.post(path, data={**first_tab, **next_day_form(live)})
    second = desk.client.post(path, data={**second_tab, **next_day_form(live)})
    assert first.status_code == second.status_code == 303
    assert first.location == second.location == f"/desk/stories/{new_slug}"
    assert "already started" in desk.get(second.location)
    assert series_days(newsroom, live) == series_days(newsroom, new_slug) == {live, new_slug}
    assert newsroom.client.get(f"/stories/{new_slug}-2").status_code == 404


def test_two_tabs_sent_at_once_open_one_day(app, desk, newsroom, live):
    """The same, with both forms sent at the same moment to a threaded server."""
    import http.client
    import threading
    from urllib.parse import urlencode

    from servers import LiveServer, free_port

    path = f"/desk/stories/{live}/next"
    tabs = [form_values(desk.get(path)) for _ in range(2)]
    cookie = f"session={desk.client.get_cookie('session').value}"
    start = threading.Barrier(2)
    answers = []

    with LiveServer(app, free_port()) as server:
        def send(tab):
            connection = http.client.HTTPConnection("127.0.0.1", int(server.url.rsplit(":", 1)[1]), timeout=60)
            body = urlencode({**tab, **next_day_form(live)})
            start.wait()
            connection.request("POST", path, body=body, headers={
                "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
            answer = connection.getresponse()
            answers.append((answer.status, answer.getheader("Location")))
            connection.close()

        threads = [threading.Thread(target=send, args=(tab,)) for tab in tabs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(90)
    new_slug = f"live-{datetime.now(TBILISI).date().isoformat()}"
    assert answers == [(303, f"/desk/stories/{new_slug}")] * 2
    assert series_days(newsroom, live) == series_days(newsroom, new_slug) == {live, new_slug}


def test_the_api_refuses_a_second_live_day_of_a_series_on_one_date(newsroom, live):
    day = {"kind": "live", "series": "war", "published_at": datetime.now(TBILISI).replace(hour=0, minute=5)
           .isoformat()}
    newsroom.story(title="Day one", slug="war-day-one", **day)
    again = newsroom.client.post("/api/stories", json={"title": "Day one again", "slug": "war-day-one-b", **day},
                                 headers=newsroom.headers)
    assert again.status_code == 409 and again.json["error"]["code"] == "day_taken"
    newsroom.story(title="Article", slug="war-analysis", **{**day, "kind": "article"})  # articles are not days


# ---------------------------------------------------------------- corrections, withdrawals, two editors


def test_correction_needs_its_text_and_is_shown_dated(desk, newsroom, live):
    uid = newsroom.entry(live, headline="Talks in Geneva", body_text="Ministers meet in Geneva.")["uid"]
    refused = desk.submit(f"/desk/entries/{uid}/correct", f"/desk/entries/{uid}/correct",
                          headline="Talks in Vienna", body="Ministers meet in Vienna.", correction="")
    assert refused.status_code == 422 and "Say what was corrected" in refused.get_data(as_text=True)
    assert "Geneva" in newsroom.client.get(f"/api/entries/{uid}", headers=newsroom.headers).json["headline"]

    done = desk.submit(f"/desk/entries/{uid}/correct", f"/desk/entries/{uid}/correct", headline="Talks in Vienna",
                       body="Ministers meet in Vienna.", correction="An earlier version said Geneva.")
    assert done.status_code == 303
    state = newsroom.client.get(f"/api/entries/{uid}", headers=newsroom.headers).json
    assert state["headline"] == "Talks in Vienna" and state["body_html"] == "<p>Ministers meet in Vienna.</p>"
    assert [c["text"] for c in state["corrections"]] == ["An earlier version said Geneva."]
    assert "Correction, <time datetime=" in newsroom.client.get(f"/stories/{live}").get_data(as_text=True)
    assert "Correction: An earlier version said Geneva." in desk.get("/desk/log")


def test_two_editors_editing_the_same_update(app, desk, runner, newsroom, live):
    add_editor(runner, "ben", "ben@example.org")
    other = app.test_client()
    sign_in(app, other, "ben@example.org")
    ben = Desk(other)
    uid = newsroom.entry(live, headline="Convoy crosses", body_text="Eleven lorries.")["uid"]
    ana_form = form_values(desk.get(f"/desk/entries/{uid}/correct"))
    ben_form = form_values(ben.get(f"/desk/entries/{uid}/correct"))

    first = desk.client.post(f"/desk/entries/{uid}/correct", data={
        **ana_form, "headline": "Convoy of eleven lorries crosses", "body": "Eleven lorries.", "correction": "Count."})
    assert first.status_code == 303
    stale = other.post(f"/desk/entries/{uid}/correct", data={
        **ben_form, "headline": "Convoy of twelve lorries crosses", "body": "Twelve.", "correction": "Count again."})
    assert stale.status_code == 409
    page = stale.get_data(as_text=True)
    assert "changed since you opened it" in page
    assert 'value="Convoy of eleven lorries crosses"' in page  # the current text to work from
    assert "Convoy of twelve lorries crosses" in page  # and Ben's, not lost
    state = newsroom.client.get(f"/api/entries/{uid}", headers=newsroom.headers).json
    assert state["headline"] == "Convoy of eleven lorries crosses" and len(state["corrections"]) == 1

    # Sent again from the refreshed form, Ben's edit goes through.
    again = other.post(f"/desk/entries/{uid}/correct", data={
        **form_values(page), "headline": "Convoy of twelve lorries crosses", "body": "Twelve.",
        "correction": "Count again."})
    assert again.status_code == 303
    log = desk.get("/desk/log")
    assert "ben</strong> corrected" in log and "ana</strong> corrected" in log


def test_withdraw_from_the_desk(desk, newsroom, live):
    uid = newsroom.entry(live, headline="Shelter address", body_text="Named a shelter.")["uid"]
    page = desk.get(f"/desk/entries/{uid}/withdraw")
    assert "They will receive a tombstone" in page
    assert "every page and feed" not in page  # feeds keep a removal notice under the same id
    assert "with the same id" in page and "This update was removed" in page
    refused = desk.submit(f"/desk/entries/{uid}/withdraw", f"/desk/entries/{uid}/withdraw", reason="")
    assert refused.status_code == 422
    hidden = form_values(page)
    fields = {"reason": "Risk to the families", "public_note": "Removed for safety."}
    done = desk.client.post(f"/desk/entries/{uid}/withdraw", data={**hidden, **fields})
    again = desk.client.post(f"/desk/entries/{uid}/withdraw", data={**hidden, **fields})
    assert done.status_code == again.status_code == 303
    story = desk.get(f"/desk/stories/{live}")
    assert "Withdrawn" in story and "Removed for safety." in story and "Risk to the families" in story
    # The desk says what happens, and only that: feeds carry a notice in the update's place.
    assert "gone from every page and feed" not in story
    assert "Pages show your public note in its place." in story
    assert ("For 30 days, every feed that would hold it carries an item with the same id titled "
            "“This update was removed”, whose only text is your public note") in story
    assert "Partners that received it get a tombstone" in story and "Partners never received" not in story
    assert "Shelter address" not in newsroom.client.get(f"/stories/{live}").get_data(as_text=True)
    assert desk.get("/desk/log").count("</strong> withdrew") == 1
    assert desk.client.get(f"/desk/entries/{uid}/correct").status_code == 303  # nothing left to correct


def test_log_is_newest_first_and_paged(desk, newsroom, live):
    for n in range(52):
        newsroom.entry(live, headline=f"Update number {n}")
    first = desk.get("/desk/log")
    assert first.index("Update number 51") < first.index("Update number 50")
    assert "Update number 1<" not in first and 'href="/desk/log?page=2"' in first
    second = desk.get("/desk/log?page=2")
    assert "Update number 1<" in second and "Update number 0<" in second and "started" in second
    for bad in ("0", "x", "²", "99"):
        assert desk.client.get(f"/desk/log?page={bad}").status_code == 404


def test_unknown_desk_addresses_are_404(desk):
    for path in ("/desk/stories/nope", "/desk/stories/a%00b", "/desk/entries/nope/correct",
                 "/desk/entries/99999999999/withdraw", "/desk/entries/%C2%B2/correct"):
        assert desk.client.get(path).status_code == 404, path


# ---------------------------------------------------------------- the API's side of the same rules


def test_api_etag_and_if_match(newsroom, live):
    created = newsroom.entry(live, headline="Toll rises", body_text="Twelve.")
    uid = created["uid"]
    got = newsroom.client.get(f"/api/entries/{uid}", headers=newsroom.headers)
    assert got.status_code == 200 and got.json["id"] == uid and got.json["headline"] == "Toll rises"
    etag = got.headers["ETag"]
    assert etag.startswith('"') and got.headers["Cache-Control"] == "private, no-cache"
    # The public id as feeds show it, and the row id, name the same entry.
    for ref in (f"urn:uuid:{uid}", str(created["id"])):
        assert newsroom.client.get(f"/api/entries/{ref}", headers=newsroom.headers).headers["ETag"] == etag

    edited = newsroom.client.patch(f"/api/entries/{uid}", json={"headline": "Toll rises to 21"},
                                   headers={**newsroom.headers, "If-Match": etag})
    assert edited.status_code == 200 and edited.headers["ETag"] != etag
    stale = newsroom.client.patch(f"/api/entries/{uid}", json={"headline": "Toll rises to 15"},
                                  headers={**newsroom.headers, "If-Match": etag})
    assert stale.status_code == 412 and stale.json["error"]["code"] == "changed"
    assert newsroom.client.get(f"/api/entries/{uid}", headers=newsroom.headers).json["headline"] == "Toll rises to 21"
    weak = newsroom.client.patch(f"/api/entries/{uid}", json={"headline": "x"},
                                 headers={**newsroom.headers, "If-Match": "W/" + edited.headers["ETag"]})
    assert weak.status_code == 412
    star = newsroom.client.patch(f"/api/entries/{uid}", json={"headline": "Toll: 21"},
                                 headers={**newsroom.headers, "If-Match": "*"})
    assert star.status_code == 200
    for ref in ("nope", "00000000-0000-0000-0000-000000000000", "99999999999", "%C2%B2"):
        assert newsroom.client.get(f"/api/entries/{ref}", headers=newsroom.headers).status_code == 404
    assert newsroom.client.get(f"/api/entries/{uid}").status_code == 401
    paths = newsroom.client.get("/api/openapi.json").json["paths"]
    assert "get" in paths["/api/entries/{entry_id}"] and "412" in paths["/api/entries/{entry_id}"]["patch"]["responses"]


def test_api_idempotency_key(runner, newsroom, live):
    key = {"Idempotency-Key": "retry-1"}
    body = {"headline": "Once only", "body_text": "Sent twice."}
    first = newsroom.client.post(f"/api/stories/{live}/entries", json=body, headers={**newsroom.headers, **key})
    second = newsroom.client.post(f"/api/stories/{live}/entries", json=body, headers={**newsroom.headers, **key})
    assert first.status_code == second.status_code == 201
    assert first.json == second.json and second.headers.get("Idempotent-Replayed") == "true"
    assert entry_count(newsroom, live) == 1

    reused = newsroom.client.post(f"/api/stories/{live}/entries", json={**body, "headline": "Other"},
                                  headers={**newsroom.headers, **key})
    assert reused.status_code == 422 and reused.json["error"]["code"] == "idempotency_key_reused"

    # Keys belong to one editor: another editor's same key is a new request.
    other = {"Authorization": "Bearer " + last_line(runner.invoke(args=["editors", "add", "ben"]).output)}
    third = newsroom.client.post(f"/api/stories/{live}/entries", json=body, headers={**other, **key})
    assert third.status_code == 201 and third.json["id"] != first.json["id"]
    assert entry_count(newsroom, live) == 2

    uid = first.json["uid"]
    gone = [newsroom.client.post(f"/api/entries/{uid}/withdraw", json={"reason": "x"},
                                 headers={**newsroom.headers, "Idempotency-Key": "w-1"}) for _ in range(2)]
    assert [g.status_code for g in gone] == [200, 200] and gone[0].json == gone[1].json
    assert newsroom.client.post(f"/api/entries/{uid}/withdraw", json={"reason": "x"},
                                headers=newsroom.headers).status_code == 409  # without a key: a real second try

    story = {"title": "An article", "kind": "article"}
    made = [newsroom.client.post("/api/stories", json=story, headers={**newsroom.headers, "Idempotency-Key": "s-1"})
            for _ in range(2)]
    assert [m.status_code for m in made] == [201, 201] and made[0].json == made[1].json
    assert newsroom.client.post(f"/api/stories/{live}/entries", json=body,
                                headers={**newsroom.headers, "Idempotency-Key": "bad key"}).status_code == 400
    refused = newsroom.client.post(f"/api/stories/{live}/entries", json={"headline": ""},
                                   headers={**newsroom.headers, "Idempotency-Key": "k-422"})
    assert refused.status_code == 422  # a refused request keeps nothing: fixed and resent, it goes through
    fixed = newsroom.client.post(f"/api/stories/{live}/entries", json=body,
                                 headers={**newsroom.headers, "Idempotency-Key": "k-422"})
    assert fixed.status_code == 201


def test_member_token_is_not_an_editor_token(client, runner, live):
    token = member_token(runner)
    assert client.get("/desk/", headers={"Authorization": f"Bearer {token}"}).status_code == 303


# ---------------------------------------------------------------- markup the desk refuses (issue 15)

# Deeply nested quotes (HTMLTooDeep and RecursionError in the old parser), a text the old parser
# read in quadratic time, and a 99 KB run of brackets that outlasted gunicorn's timeout.
REFUSED_MARKUP = {
    "quotes 45 deep": ("> " * 45 + "x", "nest more than"),
    "quotes 400 deep": ("> " * 400, "nest more than"),
    "8000 bold marks": ("**a " * 8000, "marks"),
    "99,000 brackets": ("[" * 99_000, "marks"),
}


@pytest.mark.parametrize("name", REFUSED_MARKUP)
def test_markup_the_desk_refuses_is_a_422_with_its_reason(desk, newsroom, live, name):
    body, reason = REFUSED_MARKUP[name]
    hidden = form_values(desk.get(f"/desk/stories/{live}"))
    fields = {**hidden, "headline": "Refused", "body": body}
    preview = desk.client.post(f"/desk/stories/{live}/preview", headers={"Accept": "application/json"}, data=fields)
    assert preview.status_code == 422 and reason in preview.json["error"]["fields"]["body"]
    for action in (f"/desk/stories/{live}/preview", f"/desk/stories/{live}/entries"):
        page = desk.client.post(action, data=fields)
        assert page.status_code == 422
        assert reason in html.unescape(page.get_data(as_text=True)), action
    assert entry_count(newsroom, live) == 0

    uid = newsroom.entry(live, headline="Talks", body_text="Ministers meet.")["uid"]
    corrected = desk.submit(f"/desk/entries/{uid}/correct", f"/desk/entries/{uid}/correct", headline="Talks",
                            body=body, correction="Longer text.")
    assert corrected.status_code == 422 and reason in html.unescape(corrected.get_data(as_text=True))
    assert newsroom.client.get(f"/api/entries/{uid}", headers=newsroom.headers).json["body_html"] == \
        "<p>Ministers meet.</p>"


def test_the_desk_reads_only_its_documented_marks(desk, live):
    hidden = form_values(desk.get(f"/desk/stories/{live}"))
    text = ("# not a heading\n\n    not code\n\n`not code` ![not an image](https://example.org/i.png) "
            "[relative](/x) <b>typed</b> &amp;\n\n> quoted **bold**\n\n- one\n- two\n\n1. first\n\nline\nbreak")
    shown = desk.client.post(f"/desk/stories/{live}/preview", headers={"Accept": "application/json"},
                             data={**hidden, "headline": "Marks", "body": text}).json["html"]
    assert shown == (
        "<p># not a heading</p><p>not code</p>"
        '<p>`not code` !<a href="https://example.org/i.png" rel="noopener noreferrer">not an image</a> '
        "[relative](/x) &lt;b&gt;typed&lt;/b&gt; &amp;amp;</p>"
        "<blockquote><p>quoted <strong>bold</strong></p></blockquote>"
        "<ul><li>one</li><li>two</li></ul><ol><li>first</li></ol><p>line<br>break</p>")
