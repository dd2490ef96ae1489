"""Reader pages over HTTP: live days, the archive, the home page."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import pytest

from conftest import ago


@pytest.fixture
def live(newsroom):
    newsroom.region("karabakh", "Nagorno-Karabakh", covered=True)
    newsroom.cli("naming-note", "set", "Our note on naming.")
    newsroom.story(title="Day 38", slug="day-38", series="war", regions=["karabakh"], published_at=ago(days=2, hours=1))
    newsroom.entry("day-38", headline="Yesterday's update", published_at=ago(days=2))
    newsroom.story(title="Day 39", slug="day-39", series="war", regions=["karabakh"], summary="Standfirst text.",
                   published_at=ago(hours=5))
    first = newsroom.entry("day-39", headline="Early update", published_at=ago(hours=4))
    newsroom.entry("day-39", headline="Key moment", key_event=True, published_at=ago(hours=3))
    gone = newsroom.entry("day-39", headline="Dangerous detail", published_at=ago(hours=2))
    newsroom.withdraw(gone["id"], reason="source safety", public_note="An update was removed for safety.")
    return first


def test_live_day_page(client, live):
    html = client.get("/stories/day-39").get_data(as_text=True)
    assert "Standfirst text." in html and "Our note on naming." in html
    assert html.index("Key moment") < html.index("Early update")  # newest first
    assert "Dangerous detail" not in html and "An update was removed for safety." in html
    assert 'class="entry key-event' in html
    assert 'href="/stories/day-38"' in html  # the other day of the series
    times = re.findall(r'<time datetime="([^"]+)">([^<]+)</time>', html)
    assert times, "timestamps carry <time datetime>"
    for stamp, shown in times[:3]:
        local = datetime.fromisoformat(stamp)
        assert local.utcoffset() == timedelta(hours=4)
        assert shown == local.strftime("%d %b %Y, %H:%M") + " GMT+4"  # the zone is said


def test_json_ld(client, live):
    html = client.get("/stories/day-39").get_data(as_text=True)
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert data["@type"] == "LiveBlogPosting"
    assert [u["headline"] for u in data["liveBlogUpdate"]] == ["Key moment", "Early update"]
    assert data["isAccessibleForFree"] is True


def test_home_page(client, live):
    html = client.get("/").get_data(as_text=True)
    assert "Day 39" in html and "Become a member" in html and 'href="/join"' in html
    assert '<html lang="en">' in html and '<main id="main">' in html
    assert 'name="viewport"' in html


def test_archive_index_and_day(client, live):
    html = client.get("/archive/").get_data(as_text=True)
    local_now = datetime.now(timezone(timedelta(hours=4)))
    key_day, older_day = (local_now - timedelta(hours=3)).date(), (local_now - timedelta(days=2)).date()
    assert html.index(key_day.isoformat()) < html.index(older_day.isoformat())
    day = client.get(f"/archive/{key_day.isoformat()}").get_data(as_text=True)
    assert "Key moment" in day and "Dangerous detail" not in day
    assert client.get("/archive/1999-01-01").status_code == 404
    assert client.get("/archive/yesterday").status_code == 404


def test_pages_load_nothing_from_elsewhere(client, live):
    for path in ("/", "/stories/day-39", "/archive/", "/join"):
        response = client.get(path)
        html = response.get_data(as_text=True)
        for attr in re.findall(r'<(?:script|link|img|iframe)[^>]*(?:src|href)="([^"]+)"', html):
            assert attr.startswith("/"), (path, attr)
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/stories/nope")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "Not found" in response.get_data(as_text=True)


def test_join_says_memberships_are_not_open_without_stripe(client):
    assert "not open yet" in client.get("/join").get_data(as_text=True)


@pytest.fixture
def long_day(app, newsroom):
    """Eight updates on one live day, three to a page; the oldest is a key event, one was withdrawn."""
    app.config["PAGE_SIZE"] = 3
    newsroom.story(title="Day 40", slug="day-40", published_at=ago(hours=10))
    made = [newsroom.entry("day-40", headline=f"Update {n}", key_event=n == 0, published_at=ago(minutes=300 - n))
            for n in range(8)]
    newsroom.withdraw(made[5]["id"], reason="source safety", public_note="Removed for safety.")
    return [m["url"].rsplit("/", 1)[1] for m in made]  # public ids, oldest first


def headlines(html: str) -> list[str]:
    return re.findall(r'<h2 class="headline">([^<]+)</h2>', html)


def test_live_day_is_paged_with_key_events_first(client, long_day):
    first = client.get("/stories/day-40").get_data(as_text=True)
    assert headlines(first) == ["Update 7", "Update 6"]  # and Update 5's withdrawal note
    assert "Removed for safety." in first
    key_events = first[first.index('id="key-events-heading"'):first.index('<ol class="entries">')]
    assert f'href="/stories/day-40/updates/{long_day[0]}"' in key_events and "Update 0" in key_events
    assert re.search(r'Last updated <time datetime="[^"]+">', first)
    assert 'rel="next" href="/stories/day-40?page=2"' in first
    second = client.get("/stories/day-40?page=2").get_data(as_text=True)
    assert headlines(second) == ["Update 4", "Update 3", "Update 2"]
    assert 'rel="prev" href="/stories/day-40"' in second and "key-events-heading" not in second
    assert headlines(client.get("/stories/day-40?page=3").get_data(as_text=True)) == ["Update 1", "Update 0"]
    for page in ("4", "0", "-1", "abc", "²", "1e3", ""):
        assert client.get(f"/stories/day-40?page={page}").status_code == 404, page


def test_permalinks_lead_to_the_page_that_holds_the_update(client, long_day):
    for index, page in ((7, None), (4, 2), (0, 3)):
        response = client.get(f"/stories/day-40/updates/{long_day[index]}")
        assert response.status_code == 302
        # The update rides along in the query, so the page it lands on can preview that update when shared.
        query = (f"?page={page}&" if page else "?") + f"update={long_day[index]}"
        assert response.headers["Location"] == f"/stories/day-40{query}#entry-{long_day[index]}"
        target = client.get(f"/stories/day-40{query}").get_data(as_text=True)
        assert f'id="entry-{long_day[index]}"' in target
    assert client.get(f"/stories/day-40/updates/{long_day[5]}").status_code == 302  # its note stands in
    assert client.get("/stories/day-40/updates/not-an-update").status_code == 404
    assert client.get(f"/stories/other/updates/{long_day[0]}").status_code == 404
    assert client.get("/stories/day-40/updates/%00").status_code == 404
    assert client.get("/stories/day-40?update=not-an-update").status_code == 404
    assert client.get(f"/stories/other-day?update={long_day[0]}").status_code == 404


def test_json_ld_holds_what_the_page_shows(client, long_day):
    html = client.get("/stories/day-40?page=2").get_data(as_text=True)
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert [u["headline"] for u in data["liveBlogUpdate"]] == ["Update 4", "Update 3", "Update 2"]
    assert data["liveBlogUpdate"][0]["url"].endswith(f"/stories/day-40/updates/{long_day[4]}")
    assert data["liveBlogUpdate"][0]["articleBody"] == "Reporting from the ground."


def test_json_ld_cannot_be_ended_by_a_title(client, newsroom):
    title = 'Crisis </script><!--<script> & "quotes"'
    newsroom.story(title=title, slug="hostile", summary="<b>bold</b> & more")
    newsroom.entry("hostile", headline="</script><script>alert(1)</script>")
    html = client.get("/stories/hostile").get_data(as_text=True)
    script = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    assert "<" not in script and ">" not in script and "&" not in script
    data = json.loads(script)
    assert data["headline"] == title and data["description"] == "<b>bold</b> & more"
    assert data["liveBlogUpdate"][0]["headline"] == "</script><script>alert(1)</script>"


def test_day_pages_carry_the_naming_note(client, live):
    local_now = datetime.now(timezone(timedelta(hours=4)))
    day = (local_now - timedelta(hours=3)).date().isoformat()
    assert "Our note on naming." in client.get(f"/archive/{day}").get_data(as_text=True)


@pytest.mark.parametrize("path", ["/stories/%00", "/stories/a%00b/feed.json", "/regions/x%00/feed.rss",
                                  "/stories/%ED%A0%80", "/regions/%F0%9F%92%A5/feed.atom"])
def test_odd_characters_in_paths_are_not_found(client, live, path):
    assert client.get(path).status_code == 404


def test_join_shows_tiers_even_while_payments_are_not_configured(client, runner):
    runner.invoke(args=["tiers", "add", "--name", "Supporter", "--price", "price_a", "--amount", "500",
                        "--currency", "eur", "--interval", "month"])
    runner.invoke(args=["tiers", "add", "--name", "Sustainer", "--price", "price_b", "--amount", "5000",
                        "--currency", "eur", "--interval", "year"])
    html = client.get("/join").get_data(as_text=True)
    assert "Supporter</strong>: 5.00 EUR a month" in html and "Sustainer</strong>: 50.00 EUR a year" in html
    assert "Payments are not configured" in html and "<form" not in html.split("<main", 1)[1]
    assert "Already a member?" in html and 'class="banner"' not in html


def test_a_long_series_links_its_first_and_recent_days_and_the_archive(client, newsroom):
    for n in range(65):
        newsroom.story(title=f"Day {n}", slug=f"day-{n}", series="long", published_at=ago(days=70 - n))
    html = client.get("/stories/day-64").get_data(as_text=True)
    nav = html[html.index('id="series-heading"'):].split("</nav>")[0]
    linked = re.findall(r'href="/stories/(day-\d+)"', nav)
    assert linked[0] == "day-0" and linked[1:] == [f"day-{n}" for n in range(35, 64)]
    assert 'aria-current="page"' in nav and "All 65 days of this coverage" in nav
    short = client.get("/stories/day-0").get_data(as_text=True)
    assert short.count('href="/archive/"') >= 1
