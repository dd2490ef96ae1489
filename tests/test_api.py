"""The editorial API: what editors do, and the errors they get when something is off."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from conftest import SITE
from syndicate.extensions import db
from syndicate.models import Editor


def test_editor_token_is_stored_hashed(app, editor_token):
    with app.app_context():
        stored = db.session.scalars(select(Editor.token_hash)).all()
    assert stored and editor_token not in stored
    assert all(len(h) == 64 for h in stored)


def test_create_story_and_entry(client, newsroom):
    newsroom.region("karabakh", "Nagorno-Karabakh")
    story = newsroom.story(title="Live updates: Day 39", regions=["karabakh"], summary="The day in brief.")
    assert story["slug"] == "live-updates-day-39"
    assert story["url"] == f"{SITE}/stories/live-updates-day-39"
    entry = newsroom.entry(story["slug"], headline="Convoy crosses", body_html="<p>Eleven lorries.</p>",
                           published_at="2026-11-04T18:30:00+04:00", key_event=True)
    assert entry["url"].startswith(f"{SITE}/stories/live-updates-day-39/updates/")
    assert entry["warnings"] == []
    item = client.get("/stories/live-updates-day-39/feed.json").json["items"][0]
    assert item["date_published"] == "2026-11-04T14:30:00+00:00"  # stored UTC, offset honoured
    assert item["_syndicate"]["key_event"] is True


def test_explicit_published_at_decides_the_day(client, newsroom, runner):
    newsroom.story(title="Night", slug="night")
    # 01:30 local on 5 November is 21:30 UTC on the 4th: it belongs to the 5th.
    newsroom.entry("night", headline="After midnight", published_at="2025-11-04T21:30:00Z")
    from conftest import member_token

    token = member_token(runner)
    assert client.get(f"/archive/2025-11-05.json?token={token}").json["items"][0]["title"] == "After midnight"
    assert client.get(f"/archive/2025-11-04.json?token={token}").status_code == 404


def test_body_html_is_sanitised(client, newsroom):
    newsroom.story(title="S", slug="s")
    newsroom.entry("s", headline="H", body_html='<p onclick="x()">Hi <a href="javascript:alert(1)">x</a>'
                                                '<img src="https://tracker.example/p.gif"><script>bad()</script></p>')
    html = client.get("/stories/s/feed.json").json["items"][0]["content_html"]
    assert "onclick" not in html and "javascript:" not in html and "<img" not in html and "bad()" not in html
    assert "<p>Hi" in html


def test_body_text_becomes_paragraphs(client, newsroom):
    newsroom.story(title="S", slug="s")
    newsroom.entry("s", headline="H", body_text="First <b>para</b>.\n\nSecond.")
    html = client.get("/stories/s/feed.json").json["items"][0]["content_html"]
    assert html.startswith("<p>First &lt;b&gt;para&lt;/b&gt;.</p><p>Second.</p>")


def test_edit_with_correction_is_dated_by_the_server(client, newsroom):
    newsroom.story(title="S", slug="s")
    entry = newsroom.entry("s", headline="Toll rises to 12")
    response = newsroom.patch(entry["id"], headline="Toll rises to 21", correction="The toll was misreported as 12.")
    assert response.status_code == 200
    item = client.get("/stories/s/feed.json").json["items"][0]
    assert item["title"] == "Toll rises to 21"
    assert "Correction (" in item["content_html"] and "misreported as 12" in item["content_html"]
    page = client.get("/stories/s").get_data(as_text=True)
    assert "The toll was misreported as 12." in page


def test_an_instant_past_the_calendars_end_is_refused(newsroom):
    newsroom.story(title="S", slug="s")
    entry = newsroom.entry("s", headline="H")
    response = newsroom.patch(entry["id"], embargo_until="9999-12-31T23:59:59Z")
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {"embargo_until": "is too far in the future"}


def test_withdraw(client, newsroom):
    newsroom.story(title="S", slug="s")
    entry = newsroom.entry("s", headline="Shelter address")
    response = newsroom.withdraw(entry["id"], reason="Named a shelter", public_note="Removed for safety.")
    assert response.status_code == 200 and response.json["status"] == "withdrawn"
    page = client.get("/stories/s").get_data(as_text=True)
    assert "Shelter address" not in page and "Removed for safety." in page
    assert "Named a shelter" not in page  # the internal reason stays internal
    assert newsroom.withdraw(entry["id"], reason="again").status_code == 409
    assert newsroom.patch(entry["id"], headline="Back").status_code == 409


def test_gazetteer_warnings(newsroom):
    newsroom.cli("gazetteer", "add", "Shusha", "Shushi")
    newsroom.story(title="S", slug="s")
    warned = newsroom.entry("s", headline="Shelling in Shusha", body_text="Residents of Shusha sheltered.")
    assert len(warned["warnings"]) == 1 and "Shusha (Shushi)" in warned["warnings"][0]
    fine = newsroom.entry("s", headline="Shelling in Shusha (Shushi)")
    assert fine["warnings"] == []
    edited = newsroom.patch(fine["id"], headline="Shelling near Shushi")
    assert edited.status_code == 200 and "Shusha (Shushi)" in edited.json["warnings"][0]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic dXNlcjpwYXNz"}])
def test_requests_without_a_valid_token_are_401(client, headers):
    response = client.post("/api/stories", json={"title": "x"}, headers=headers)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"


def test_errors(client, newsroom):
    h = newsroom.headers
    newsroom.story(title="Taken", slug="taken")
    taken = client.post("/api/stories", json={"title": "Again", "slug": "taken"}, headers=h)
    assert taken.status_code == 409 and taken.json["error"]["fields"] == {"slug": "is taken"}
    assert client.post("/api/stories/nope/entries", json={"headline": "x", "body_text": "y"}, headers=h).status_code == 404
    assert client.patch("/api/entries/999999", json={"headline": "x"}, headers=h).status_code == 404
    bad = client.post("/api/stories/taken/entries", json={"headline": "", "published_at": "yesterday",
                                                          "regions": ["atlantis"], "colour": "red"}, headers=h)
    assert bad.status_code == 422
    assert set(bad.json["error"]["fields"]) == {"headline", "published_at", "colour", "body_html"}
    unknown_region = client.post("/api/stories/taken/entries", json={"headline": "x", "body_text": "y",
                                                                     "regions": ["atlantis"]}, headers=h)
    assert unknown_region.status_code == 422 and "atlantis" in unknown_region.json["error"]["fields"]["regions"]
    naive = client.post("/api/stories/taken/entries", json={"headline": "x", "body_text": "y",
                                                            "published_at": "2026-11-04T18:30:00"}, headers=h)
    assert "offset" in naive.json["error"]["fields"]["published_at"]
    future = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
    assert client.post("/api/stories/taken/entries", json={"headline": "x", "body_text": "y", "published_at": future},
                       headers=h).status_code == 422
    malformed = client.post("/api/stories", data=b"{not json", headers={**h, "Content-Type": "application/json"})
    assert malformed.status_code == 400 and malformed.json["error"]["code"] == "bad_request"
    deep = client.post("/api/stories", data=b"[" * 100_000 + b"]" * 100_000, headers=h)
    assert deep.status_code == 400


def test_body_over_the_limit_is_413(app, client, newsroom):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    newsroom.story(title="S", slug="s")
    response = client.post("/api/stories/s/entries", json={"headline": "x", "body_text": "y" * 5000},
                           headers=newsroom.headers)
    assert response.status_code == 413 and response.json["error"]["code"] == "too_large"


def test_openapi_is_public_and_describes_every_endpoint(client):
    spec = client.get("/api/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert set(spec["paths"]) == {"/api/stories", "/api/stories/{slug}/entries", "/api/entries/{entry_id}",
                                  "/api/entries/{entry_id}/withdraw", "/api/media"}
    entry_in = spec["components"]["schemas"]["EntryIn"]["properties"]
    assert {"image", "byline"} <= set(entry_in) and {"image", "byline"} <= set(spec["components"]["schemas"]["Entry"]["properties"])
    assert "multipart/form-data" in spec["paths"]["/api/media"]["post"]["requestBody"]["content"]
    assert spec["components"]["securitySchemes"]["editorToken"]["scheme"] == "bearer"


def test_unknown_api_path_and_method_are_json(client, newsroom):
    assert client.get("/api/nothing", headers=newsroom.headers).json["error"]["code"] == "not_found"
    response = client.get("/api/stories", headers=newsroom.headers)
    assert response.status_code == 405 and response.json["error"]["code"] == "method_not_allowed"


def test_api_is_rate_limited(app, client, newsroom):
    app.config["API_RATE_LIMIT"] = "3 per minute"
    # One budget for the whole API: calls to different routes count together.
    statuses = [client.post("/api/stories", json={}, headers=newsroom.headers).status_code,
                client.get("/api/entries/404", headers=newsroom.headers).status_code,
                client.post("/api/stories/nope/entries", json={}, headers=newsroom.headers).status_code,
                client.post("/api/stories", json={}, headers=newsroom.headers).status_code]
    assert statuses == [422, 404, 404, 429]
    limited = client.post("/api/stories", json={}, headers=newsroom.headers)
    assert limited.json["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) > 0


def test_self_closing_tags_count_as_the_parser_opens_them(client, newsroom):
    # <ul/> and <li/> open their elements in an HTML5 parser: 19,000 of them nest about 9,500 deep.
    newsroom.story(title="Live", slug="live")
    response = client.post("/api/stories/live/entries", headers=newsroom.headers,
                           json={"headline": "x", "body_html": "<ul/><li/>" * 19_000})
    assert response.status_code == 422
    assert "nests elements" in response.json["error"]["fields"]["body_html"]
    assert client.get("/stories/live/feed.json").json["items"] == []
