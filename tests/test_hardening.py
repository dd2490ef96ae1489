"""Hostile input and hardening: NUL and odd digits never a 500, bounded HTML, 401 challenges, cookies,
wrong partner keys, and logs that hold no secret and no forged line."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from conftest import ago, last_line, member_token
from syndicate.logs import escape_path, install, scrub, scrub_request_line, scrub_target
from syndicate.text import MAX_HTML_DEPTH, html_depth


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": False, "PARTNER_RATE_LIMIT": "5 per minute"}


@pytest.mark.parametrize("path, status", [
    ("/stories/%00", 404),
    ("/stories/a%00b/feed.json", 404),
    ("/regions/x%00/feed.rss", 404),
    ("/archive/2026-11-01%00.atom", 404),
    ("/signin/%00", 404),
    ("/feeds/latest.rss?token=%00", 400),
    ("/feeds/latest.atom?x%00=1", 400),
    ("/?q=a%00b", 400),
])
def test_nul_anywhere_is_a_clear_4xx(client, newsroom, path, status):
    newsroom.story(title="A", slug="a")
    assert client.get(path).status_code == status


def test_nul_in_a_form_field_is_400(client):
    assert client.post("/signin", data={"email": "a\x00@example.org"}).status_code == 400


@pytest.mark.parametrize("query", ["since=%C2%B2", "limit=%C2%B9", "since=%D9%A3", "limit=%EF%BC%95"])
def test_partner_cursor_and_limit_need_ascii_digits(client, runner, query):
    key = last_line(runner.invoke(args=["partners", "add", "P"]).output)
    response = client.get(f"/syndication/entries.json?{query}", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 400 and response.json["error"]["fields"]


def test_join_refuses_a_non_ascii_tier(app, client, runner):
    app.config["STRIPE_SECRET_KEY"] = "sk_test_unreachable"  # never called: the form is refused first
    runner.invoke(args=["tiers", "add", "--name", "Supporter", "--price", "price_s"])
    response = client.post("/join", data={"email": "a@example.org", "tier": "\u00b2"})
    assert response.status_code == 422 and "choose a membership" in response.get_data(as_text=True)


def nested(depth: int) -> str:
    return "<ul><li>" * depth + "deep" + "</li></ul>" * depth


def test_html_depth_reads_siblings_as_html_does():
    assert html_depth("<p>a<p>b<p>c") == 1
    assert html_depth("<ul><li>a<li>b</ul><br><hr/>") == 2
    assert html_depth(nested(10)) == 20
    assert html_depth("</p></div>text") == 1  # a stray </p> makes an empty p


def test_deeply_nested_html_is_refused_with_422_and_nothing_saved(newsroom, client):
    newsroom.story(title="Live", slug="live")
    response = client.post("/api/stories/live/entries", headers=newsroom.headers,
                           json={"headline": "Deep", "body_html": nested(5000)})
    assert response.status_code == 422 and "body_html" in response.json["error"]["fields"]
    feed = client.get("/stories/live/feed.json").json
    assert feed["items"] == []
    fine = newsroom.entry("live", headline="Lists", body_html=nested(MAX_HTML_DEPTH // 2))
    patched = newsroom.patch(fine["id"], body_html=nested(MAX_HTML_DEPTH))
    assert patched.status_code == 422
    # Paragraphs a parser reads as siblings are not depth, however many.
    assert newsroom.entry("live", headline="Many", body_html="<p>x" * 2000)["id"]


@pytest.mark.parametrize("path, accept, realm", [
    ("/api/stories", None, "editors"),
    ("/syndication/entries.atom", None, "partners"),
    ("/syndication/entries.json", "text/html,application/xhtml+xml,*/*;q=0.8", "partners"),
    ("/archive/{old}.atom", None, "members"),
    ("/archive/{old}.atom", "text/html,*/*;q=0.8", "members"),
])
def test_every_401_challenges_and_browsers_get_a_page(client, newsroom, path, accept, realm):
    newsroom.story(title="Old", slug="old")
    newsroom.entry("old", headline="Old news", published_at=ago(days=10))
    newsroom.entry("old", headline="Today", published_at=ago(minutes=5))
    newsroom.entry("old", headline="Yesterday", published_at=ago(days=1))
    day = (datetime.now(ZoneInfo("Asia/Tbilisi")) - timedelta(days=10)).date().isoformat()
    headers = {"Accept": accept} if accept else {}
    response = client.post(path, json={}) if path == "/api/stories" else \
        client.get(path.format(old=day), headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith(f'Bearer realm="{realm}"')
    if accept:
        assert response.mimetype == "text/html" and "<html" in response.get_data(as_text=True).lower()
    else:
        assert response.is_json and response.json["error"]["code"] in ("unauthorized", "members_only")


def test_a_wrong_editor_token_is_challenged_with_the_error(client):
    response = client.post("/api/stories", json={}, headers={"Authorization": "Bearer ed_wrong"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="editors", error="invalid_token"'


def test_session_cookie_is_lax_and_secure_in_production(database_url, tmp_path):
    from conftest import close_app, make_config
    from syndicate import create_app

    for env, secure in (("development", False), ("production", True)):
        app = create_app(make_config(database_url, ENV=env), instance_path=str(tmp_path / env))
        response = app.test_client().get("/signin")  # the form's CSRF secret opens a session
        cookie = response.headers["Set-Cookie"]
        assert "SameSite=Lax" in cookie and "HttpOnly" in cookie
        assert ("Secure" in cookie) is secure
        close_app(app)


def test_wrong_partner_keys_share_one_limit_per_address(client, runner):
    key = last_line(runner.invoke(args=["partners", "add", "P"]).output)
    statuses = [client.get("/syndication/entries.json", headers={"Authorization": f"Bearer pk_guess{n}"}).status_code
                for n in range(7)]
    assert statuses[:5] == [401] * 5 and statuses[5:] == [429, 429]
    assert client.get("/syndication/entries.json", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    other = client.get("/syndication/entries.json", headers={"Authorization": "Bearer pk_x"},
                       environ_base={"REMOTE_ADDR": "192.0.2.9"})
    assert other.status_code == 401


@pytest.mark.parametrize("raw, secret", [
    ("/feeds/latest.rss?token=SECRET", "SECRET"),
    ("/feeds/latest.rss?tok%65n=SECRET", "SECRET"),
    ("/feeds/latest.rss?TOKEN=SECRET&x=1", "SECRET"),
    ("/x?api_key=SECRET", "SECRET"),
    ("/x?access_token=SECRET", "SECRET"),
    ("/signin/SECRET.abc", "SECRET"),
    ("/sign%69n/SECRET.abc", "SECRET"),
    ("/join/continue?token=SECRET.abc", "SECRET"),  # the join link's token carries the address
])
def test_log_scrubbing_follows_what_the_app_parses(raw, secret):
    assert secret not in scrub_target(raw)
    assert secret not in scrub_request_line(f"GET {raw} HTTP/1.1")
    assert secret not in scrub(f"fetching {raw} failed")


def test_logged_paths_cannot_forge_a_line():
    assert "\n" not in escape_path("/stories/x\n[fake line]\x00") and "\x00" not in escape_path("/\x00")
    assert "\n" not in scrub_request_line("GET /x\r\nfake HTTP/1.1")


def test_app_log_lines_are_escaped_and_scrubbed(app):
    """Every handler of the app's loggers prints one line per record, whatever a path holds."""
    lines = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    logger = logging.getLogger("syndicate.test-escaping")
    handler = Collect()
    logger.addHandler(handler)
    try:
        install(logger)
        logger.warning("on %s", "/stories/x\n[fake line]\x00?token=SECRET")
    finally:
        logger.removeHandler(handler)
    assert len(lines) == 1 and "\n" not in lines[0] and "\x00" not in lines[0] and "SECRET" not in lines[0]


def test_app_tracebacks_are_scrubbed_and_keep_their_lines(app):
    """A traceback quotes what an exception said, a request's URL included."""
    lines = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    logger = logging.getLogger("syndicate.test-tracebacks")
    handler = Collect()
    logger.addHandler(handler)
    try:
        install(logger)
        try:
            raise RuntimeError("fetching /feeds/latest.rss?token=SECRET and /desk/signin/SECRET2 failed")
        except RuntimeError:
            logger.exception("while serving %s", "/join/continue?token=SECRET3")
    finally:
        logger.removeHandler(handler)
    assert len(lines) == 1 and "SECRET" not in lines[0]
    assert "Traceback (most recent call last)" in lines[0] and lines[0].count("\n") >= 3
    assert "RuntimeError: fetching /feeds/latest.rss?token=[scrubbed]" in lines[0]


def test_a_member_token_is_no_partner_key(client, runner):
    token = member_token(runner)
    assert client.get("/syndication/entries.json", headers={"Authorization": f"Bearer {token}"}).status_code == 401
