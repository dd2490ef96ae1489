"""Pages and feeds answer alike: rendered once per content version and kind of reader, strong ETags,
304, gzip, Cache-Control that tells a shared cache what it may keep, and never a stale document."""
from __future__ import annotations

import gzip
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime

import pytest
from sqlalchemy import update

from conftest import SITE, ago, earlier_today, member_token, sign_in

PUBLIC = "public, max-age=0, s-maxage=2, stale-while-revalidate=1"
PRIVATE = "private, no-cache"


@pytest.fixture
def story(newsroom):
    newsroom.story(title="Live", slug="live")
    return [newsroom.entry("live", headline=f"Update {n}", published_at=earlier_today(0.5 + n / 10))["id"]
            for n in range(3)]


def today_path() -> str:
    from zoneinfo import ZoneInfo

    return "/archive/" + datetime.now(ZoneInfo("Asia/Tbilisi")).date().isoformat()


DOCUMENTS = ["/feeds/latest.atom", "/feeds/latest.rss", "/feeds/latest.json", "/", "/stories/live", "/archive/",
             "today"]


def resolve(path: str) -> str:
    return today_path() if path == "today" else path


def set_clock_of_last_change(app, moment: datetime) -> None:
    """Say when content last changed, as a write at that moment would have (and move the version on)."""
    from syndicate.extensions import db
    from syndicate.models import SiteState

    with app.app_context():
        db.session.execute(update(SiteState).where(SiteState.id == 1)
                           .values(version=SiteState.version + 1, changed_at=moment))
        db.session.commit()


@pytest.mark.parametrize("path", DOCUMENTS)
def test_etag_and_304(client, story, path):
    path = resolve(path)
    first = client.get(path)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert first.headers["Cache-Control"] == PUBLIC
    again = client.get(path)
    assert again.headers["ETag"] == etag and again.data == first.data  # stable bytes
    not_modified = client.get(path, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304 and not_modified.data == b""
    assert not_modified.headers["ETag"] == etag
    listed = client.get(path, headers={"If-None-Match": f'"other", {etag}'})
    assert listed.status_code == 304


@pytest.mark.parametrize("path", DOCUMENTS)
def test_rendered_once_per_version(app, client, newsroom, story, path):
    from syndicate import documents

    path = resolve(path)
    client.get(path)
    with app.app_context():
        cache = documents.cache()
        misses = cache.misses
    for _ in range(5):
        assert client.get(path).status_code == 200
    assert cache.misses == misses, "served again without rendering"
    newsroom.entry("live", headline="Later")
    assert b"Later" in client.get(path, headers={"Accept-Encoding": "identity"}).data or path == "/archive/"
    assert cache.misses == misses + 1


def test_last_modified_is_sent_once_its_second_is_over(app, client, story):
    # The clock is the database's record of the last change, set here rather than waited for.
    set_clock_of_last_change(app, datetime.now(timezone.utc) + timedelta(seconds=30))
    assert "Last-Modified" not in client.get("/feeds/latest.atom").headers  # that second has not ended

    changed = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=5, microseconds=-250_000)
    set_clock_of_last_change(app, changed)
    first = client.get("/feeds/latest.atom")
    last_modified = parsedate_to_datetime(first.headers["Last-Modified"])
    assert last_modified == changed.replace(microsecond=0) + timedelta(seconds=1)  # rounded up, never down
    header = first.headers["Last-Modified"]
    assert client.get("/feeds/latest.atom", headers={"If-Modified-Since": header}).status_code == 304
    earlier = format_datetime(last_modified - timedelta(seconds=5), usegmt=True)
    assert client.get("/feeds/latest.atom", headers={"If-Modified-Since": earlier}).status_code == 200


@pytest.mark.parametrize("change", ["add", "edit", "withdraw", "note"])
@pytest.mark.parametrize("path", ["/feeds/latest.atom", "/stories/live"])
def test_any_change_invalidates(client, newsroom, story, change, path):
    first = client.get(path)
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
    by_date = client.get(path, headers={"If-Modified-Since": last_modified})
    by_tag = client.get(path, headers={"If-None-Match": etag})
    assert by_tag.status_code == 200 and by_tag.headers["ETag"] != etag
    assert by_date.status_code == 200
    if change == "withdraw":
        assert b"Update 0" not in by_tag.data


def test_unrelated_change_keeps_etag(client, newsroom, story):
    newsroom.story(title="Members only", slug="closed", access="members")
    first = client.get("/feeds/latest.atom")
    newsroom.entry("closed", headline="Hidden from the public")
    assert client.get("/feeds/latest.atom", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


@pytest.mark.parametrize("path", ["/feeds/latest.atom", "/stories/live", "/", "/archive/"])
def test_a_signed_in_members_documents_are_private(client, runner, newsroom, story, path):
    newsroom.story(title="Members only", slug="closed", access="members")
    newsroom.entry("closed", headline="For members", body_text="Only members read this sentence in full. " * 3)
    public = client.get(path)
    sign_in(client, runner)
    member = client.get(path)
    assert public.headers["Cache-Control"] == PUBLIC
    assert member.headers["Cache-Control"] == PRIVATE
    assert member.headers["ETag"] != public.headers["ETag"]
    assert "Cookie" in member.headers["Vary"]


@pytest.mark.parametrize("how", ["query", "bearer"])
def test_token_documents_are_private_and_unreferred(client, runner, story, how):
    token = member_token(runner)
    if how == "query":
        member = client.get(f"/feeds/latest.atom?token={token}")
    else:
        member = client.get("/feeds/latest.atom", headers={"Authorization": f"Bearer {token}"})
    public = client.get("/feeds/latest.atom")
    assert public.headers["Cache-Control"] == PUBLIC and "Referrer-Policy" not in public.headers
    assert member.headers["Cache-Control"] == PRIVATE
    assert member.headers["Referrer-Policy"] == "no-referrer"
    assert "Authorization" in member.headers["Vary"]
    # A token that proves nothing still makes the answer private: the URL or header carries a secret.
    forged = client.get("/feeds/latest.atom", headers={"Authorization": "Bearer nonsense"})
    assert forged.headers["Cache-Control"] == PRIVATE and forged.headers["ETag"] == public.headers["ETag"]


def test_head_has_no_body(client, story):
    for path in ("/feeds/latest.atom", "/stories/live"):
        response = client.head(path)
        assert response.status_code == 200 and response.data == b""
        assert int(response.headers["Content-Length"]) == len(client.get(path).data)


@pytest.mark.parametrize("path", ["/feeds/latest.atom", "/stories/live", "/"])
def test_gzip_for_clients_that_ask(client, story, path):
    plain = client.get(path)
    packed = client.get(path, headers={"Accept-Encoding": "gzip, deflate"})
    assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.data) == plain.data
    assert packed.headers["ETag"] != plain.headers["ETag"]  # a strong ETag names one representation
    again = client.get(path, headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]})
    assert again.status_code == 304
    refused = client.get(path, headers={"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused.headers


def test_each_member_gets_their_own_links(client, runner, newsroom):
    newsroom.story(title="Old", slug="old", published_at=ago(days=9))
    for days in (9, 8, 7):  # three days of coverage: the oldest is for members
        newsroom.entry("old", headline=f"Day {days}", published_at=ago(days=days))
    first = member_token(runner, "one@example.org")
    second = member_token(runner, "two@example.org")
    one = client.get(f"/feeds/latest.json?token={first}")
    two = client.get(f"/feeds/latest.json?token={second}")
    archive_one, archive_two = one.json["_syndicate"]["prev_archive"], two.json["_syndicate"]["prev_archive"]
    assert archive_one.endswith(f"?token={first}") and archive_two.endswith(f"?token={second}")
    # Readers re-subscribe to the self link: it names each member's own document.
    assert one.json["feed_url"] == f"{SITE}/feeds/latest.json?token={first}"
    assert two.json["feed_url"] == f"{SITE}/feeds/latest.json?token={second}"
    assert one.headers["ETag"] != two.headers["ETag"]
    assert one.json["items"] == two.json["items"]
    assert client.get(f"/feeds/latest.json?token={first}", headers={"If-None-Match": one.headers["ETag"]}).status_code == 304


def test_the_cache_is_bounded_and_keeps_no_errors(app, client, story):
    from syndicate import documents

    with app.app_context():
        cache = documents.cache()
    cache.max_bytes = 6000
    for path in ("/feeds/latest", "/stories/live/feed"):
        for fmt in ("atom", "rss", "json"):
            assert client.get(f"{path}.{fmt}").status_code == 200
    assert 0 < cache.bytes <= 6000
    assert len(cache.items) < 6
    cache.max_bytes, cache.max_items = 10**9, 4
    for path in ("/", "/stories/live", "/archive/", "/feeds/latest.atom", "/feeds/latest.rss", "/feeds/latest.json"):
        client.get(path)
    assert len(cache.items) == 4
    held = dict(cache.items)
    for n in range(40):  # missing documents: answered every time, kept never
        assert client.get(f"/archive/1900-01-{n % 28 + 1:02d}").status_code == 404
        assert client.get(f"/archive/1900-01-{n % 28 + 1:02d}.atom").status_code == 404
        assert client.get(f"/stories/missing-{n}").status_code == 404
        assert client.get(f"/stories/live?page={n + 2}").status_code == 404
    assert dict(cache.items) == held


@pytest.mark.parametrize("host_header", [{"Host": "evil.example"}, {"X-Forwarded-Host": "evil.example"}])
def test_links_never_come_from_the_request(app, client, story, host_header):
    app.config["TRUSTED_PROXIES"] = 1  # even behind a proxy that is trusted for addresses
    for _ in range(3):
        poisoned = client.get("/feeds/latest.rss", headers=host_header)
        assert b"evil.example" not in poisoned.data
    clean = client.get("/feeds/latest.rss")
    assert b"evil.example" not in clean.data and SITE.encode() in clean.data
    page = client.get("/stories/live", headers=host_header)
    assert b"evil.example" not in page.data


def test_private_documents_advertise_no_hub(app, client, runner, story):
    app.config["WEBSUB_HUB"] = "https://hub.example/"
    token = member_token(runner)
    public = client.get("/feeds/latest.atom")
    member = client.get(f"/feeds/latest.atom?token={token}")
    assert b"hub.example" in public.data
    assert b"hub.example" not in member.data and b'rel="self"' in member.data
