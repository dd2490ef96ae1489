"""The paywall: the access rule as a table, then through HTTP with member tokens."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from conftest import ago, last_line, member_token, sign_in
from syndicate.access import ANONYMOUS, Reader, entry_is_free, may_read, membership_open, public_window

D = date(2026, 11, 4)
WINDOW = frozenset({D, D - timedelta(days=3)})
NOW = datetime(2026, 11, 4, 12, tzinfo=timezone.utc)


@pytest.mark.parametrize("access, day, free", [
    ("standard", D, True),
    ("standard", D - timedelta(days=3), True),
    ("standard", D - timedelta(days=1), False),  # a quiet day is not in the window
    ("standard", D - timedelta(days=30), False),
    ("public", D - timedelta(days=300), True),
    ("members", D, False),
])
def test_entry_is_free(access, day, free):
    assert entry_is_free(access, day, WINDOW) is free
    assert may_read(ANONYMOUS, access, day, WINDOW) is free
    assert may_read(Reader(member_id=1), access, day, WINDOW) is True


@pytest.mark.parametrize("status, comp_until, past_due_since, open_", [
    ("comp", None, None, True),
    ("comp", D, None, True),  # the last day is included
    ("comp", D - timedelta(days=1), None, False),
    ("active", None, None, True),
    ("trialing", None, None, True),
    ("past_due", None, NOW - timedelta(days=6), True),
    ("past_due", None, NOW - timedelta(days=8), False),
    ("canceled", None, None, False),
    ("unpaid", None, None, False),
    ("incomplete_expired", None, None, False),
])
def test_membership_open(status, comp_until, past_due_since, open_):
    assert membership_open(status, comp_until, past_due_since, D, NOW, 7) is open_


def test_public_window_counts_days_with_coverage():
    days = [D, D - timedelta(days=4), D - timedelta(days=9)]
    assert public_window(days, 2) == {D, D - timedelta(days=4)}
    assert public_window([], 2) == frozenset()


@pytest.fixture
def old_and_new(newsroom):
    newsroom.story(title="Old day", slug="old")
    newsroom.entry("old", headline="Old news", published_at=ago(days=10))
    newsroom.story(title="Yesterday", slug="yesterday")
    newsroom.entry("yesterday", headline="Yesterday's news", published_at=ago(days=1))
    newsroom.story(title="Today", slug="today")
    newsroom.entry("today", headline="Today's news", published_at=ago(minutes=5))


def old_day() -> str:
    return (datetime.now(timezone(timedelta(hours=4))) - timedelta(days=10)).date().isoformat()


def test_old_archive_day_needs_a_token(client, runner, old_and_new):
    response = client.get(f"/archive/{old_day()}.atom")
    assert response.status_code == 401
    assert response.headers["Link"] == '</join>; rel="payment"'
    assert response.json["error"]["code"] == "members_only"
    token = member_token(runner)
    assert client.get(f"/archive/{old_day()}.atom?token={token}").status_code == 200
    assert client.get(f"/archive/{old_day()}.json", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_old_story_feed_is_401_for_the_public(client, old_and_new):
    assert client.get("/stories/old/feed.rss").status_code == 401
    assert client.get("/stories/today/feed.rss").status_code == 200


def test_tampered_token_is_no_token(client, runner, old_and_new):
    token = member_token(runner)
    import base64

    body, _, signature = token.rpartition(".")
    other_member = base64.urlsafe_b64encode(b"[2,1]").decode().rstrip("=")
    for bad in (body + "." + signature[::-1], token + "x", "garbage", "a" * 500, other_member + "." + signature):
        assert client.get(f"/archive/{old_day()}.atom?token={bad}").status_code == 401


def test_lapsed_membership_token_refused(client, runner, old_and_new):
    yesterday = (datetime.now(timezone(timedelta(hours=4))) - timedelta(days=1)).date().isoformat()
    token = member_token(runner, "lapsed@example.org", "--until", yesterday)
    assert client.get(f"/archive/{old_day()}.atom?token={token}").status_code == 401
    # Renewed: the same token works again.
    runner.invoke(args=["members", "comp", "lapsed@example.org"])
    assert client.get(f"/archive/{old_day()}.atom?token={token}").status_code == 200


def test_token_from_a_rotated_key(app, client, runner, old_and_new):
    token = member_token(runner)
    app.config["SECRET_KEY_FALLBACKS"] = [app.config["SECRET_KEY"]]
    app.config["SECRET_KEY"] = "a-brand-new-key"
    assert client.get(f"/archive/{old_day()}.atom?token={token}").status_code == 200
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert client.get(f"/archive/{old_day()}.atom?token={token}").status_code == 401
    fresh = last_line(runner.invoke(args=["members", "token", "reader@example.org"]).output)
    assert fresh != token
    assert client.get(f"/archive/{old_day()}.atom?token={fresh}").status_code == 200


def test_token_from_another_purpose_refused(app, client, runner, old_and_new):
    from itsdangerous import URLSafeSerializer

    member_token(runner)
    forged = URLSafeSerializer(app.config["SECRET_KEY"], salt="syndicate.signin").dumps([1, 1])
    assert client.get(f"/archive/{old_day()}.atom?token={forged}").status_code == 401


def test_token_responses_are_private_and_carry_the_token_in_feed_links(client, runner, old_and_new):
    token = member_token(runner)
    response = client.get(f"/archive/{old_day()}.atom?token={token}")
    assert response.headers["Cache-Control"].startswith("private")
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert f"/feeds/latest.atom?token={token}" in response.get_data(as_text=True)
    header = client.get(f"/archive/{old_day()}.atom", headers={"Authorization": f"Bearer {token}"})
    assert header.headers["Cache-Control"].startswith("private")
    assert "token=" not in header.get_data(as_text=True)
    public = client.get("/feeds/latest.atom")
    assert public.headers["Cache-Control"].startswith("public")


def test_members_token_command(runner, old_and_new):
    token = member_token(runner)
    result = runner.invoke(args=["members", "token", "reader@example.org"])
    assert result.exit_code == 0 and last_line(result.output) == token
    assert runner.invoke(args=["members", "token", "nobody@example.org"]).exit_code != 0
    assert runner.invoke(args=["members", "comp", "not-an-email"]).exit_code != 0
    assert runner.invoke(args=["members", "comp", "x@example.org", "--until", "soon"]).exit_code != 0


def test_pages_show_teasers_to_the_public_and_everything_to_members(client, runner, newsroom, old_and_new):
    words = " ".join(f"word{n}" for n in range(90))
    newsroom.entry("old", headline="Old long report", body_text=words, published_at=ago(days=10, minutes=1))
    newsroom.entry("old", headline="Old short report", body_text="Two short sentences. Nothing more.",
                   published_at=ago(days=10, minutes=2))
    page = client.get("/stories/old").get_data(as_text=True)
    assert "Old long report" in page and "Old short report" in page
    assert "word0 word1" in page and "word39…" in page and "word40" not in page
    assert "Two short sentences" not in page  # too short to tease without giving it away
    assert page.count('href="/join"') == 2  # the page's one invitation, and the header's link
    assert "Already a member?" in page and 'href="/signin"' in page
    assert '"isAccessibleForFree": false' in page
    # Pages go by the signed-in session: a token in a page's address opens nothing there.
    token = member_token(runner)
    assert "word89" not in client.get(f"/stories/old?token={token}").get_data(as_text=True)
    sign_in(client, runner)
    member_page = client.get("/stories/old")
    assert "word89" in member_page.get_data(as_text=True)
    assert member_page.headers["Cache-Control"].startswith("private")


def test_members_only_story_never_free(client, runner, newsroom):
    newsroom.story(title="Analysis", slug="analysis", access="members")
    newsroom.entry("analysis", headline="Deep analysis")
    assert client.get("/stories/analysis/feed.json").status_code == 401
    assert "Deep analysis" not in client.get("/feeds/latest.json").get_data(as_text=True)
    token = member_token(runner)
    assert client.get(f"/stories/analysis/feed.json?token={token}").json["items"][0]["title"] == "Deep analysis"


def test_quiet_weekend_keeps_the_window_open(client, newsroom):
    newsroom.story(title="Thursday", slug="thu")
    newsroom.entry("thu", headline="Thursday news", published_at=ago(days=4))
    newsroom.story(title="Friday", slug="fri")
    newsroom.entry("fri", headline="Friday news", published_at=ago(days=3))
    titles = [i["title"] for i in client.get("/feeds/latest.json").json["items"]]
    assert titles == ["Friday news", "Thursday news"]


def test_new_token_revokes_the_old_one(client, runner, old_and_new):
    old = member_token(runner)
    result = runner.invoke(args=["members", "new-token", "reader@example.org"])
    new = last_line(result.output)
    assert result.exit_code == 0 and new != old
    assert client.get(f"/archive/{old_day()}.atom?token={old}").status_code == 401
    assert client.get(f"/archive/{old_day()}.atom?token={new}").status_code == 200
    assert last_line(runner.invoke(args=["members", "token", "reader@example.org"]).output) == new


def test_account_lists_every_private_feed_and_guards_new_addresses(client, runner, newsroom):
    newsroom.region("karabakh", "Nagorno-Karabakh", covered=True)
    token = member_token(runner)
    sign_in(client, runner)
    page = client.get("/account").get_data(as_text=True)
    for fmt in ("rss", "atom", "json"):
        assert f"/feeds/latest.{fmt}?token={token}" in page
        assert f"/regions/karabakh/feed.{fmt}?token={token}" in page
    assert "Complimentary" in page and "with no end date" in page
    assert 'name="confirm"' in page and "stop working" in page
