"""What a shared link previews, over HTTP: Open Graph and Twitter card tags on pages and permalinks, from
what the public may read; an ended live day's notice; the poll interval the server gives the page."""
from __future__ import annotations

import re
from html import unescape

import pytest

from conftest import SITE, ago

SECRET = "The convoy leaves from the stadium car park at dawn"


def meta(html: str) -> dict[str, str]:
    """Every <meta property|name=... content=...> in the head, unescaped."""
    head = html.split("</head>", 1)[0]
    found = re.findall(r'<meta (?:property|name)="([^"]+)" content="([^"]*)">', head)
    return {key: unescape(value) for key, value in found}


@pytest.fixture
def day(newsroom):
    newsroom.story(title="Live: Day 5", slug="day-5", series="war", summary="The fifth day, as it happened.",
                   published_at=ago(days=1, hours=2))
    free = newsroom.entry("day-5", headline="Bridge reopens", body_text="Traffic crossed the bridge at noon. " * 12,
                          published_at=ago(days=1))
    return free["url"].rsplit("/", 1)[1]


def test_a_story_page_previews_its_title_and_standfirst(client, day):
    tags = meta(client.get("/stories/day-5").get_data(as_text=True))
    assert tags["og:title"] == "Live: Day 5" and tags["og:type"] == "article"
    assert tags["og:url"] == f"{SITE}/stories/day-5"
    assert tags["og:description"] == "The fifth day, as it happened."
    assert tags["og:site_name"] and tags["twitter:card"] == "summary"
    assert "og:image" not in tags  # no lead images yet


def test_a_permalink_previews_its_update(client, day):
    response = client.get(f"/stories/day-5/updates/{day}")
    target = response.headers["Location"]
    tags = meta(client.get(target.split("#")[0]).get_data(as_text=True))
    assert tags["og:title"] == "Bridge reopens"
    assert tags["og:url"] == f"{SITE}/stories/day-5/updates/{day}"
    assert tags["og:description"].startswith("Traffic crossed the bridge at noon.")
    assert tags["og:description"].endswith("…") and len(tags["og:description"]) <= 201


def test_cards_carry_no_members_only_text(client, newsroom, runner):
    from conftest import sign_in

    newsroom.story(title="Members: the supply route", slug="route", access="members", published_at=ago(hours=2))
    gated = newsroom.entry("route", headline="Where the convoy gathers", body_text=f"{SECRET}. " * 8)
    uid = gated["url"].rsplit("/", 1)[1]
    old = newsroom.story(title="An old article", slug="old-article", kind="article", published_at=ago(days=20))
    assert old
    newsroom.entry("old-article", headline="An old article", body_text=f"{SECRET}, in the archive. " * 8,
                   published_at=ago(days=20))
    newsroom.entry("route", headline="A newer public-looking headline", body_text="x " * 40, published_at=ago(days=1))

    def cards():
        pages = ["/", "/stories/route", f"/stories/route?update={uid}", "/stories/old-article"]
        return {path: meta(client.get(path).get_data(as_text=True)) for path in pages}

    anonymous = cards()
    sign_in(client, runner)
    member = cards()
    for who, found in (("anonymous", anonymous), ("member", member)):
        for path, tags in found.items():
            text = " ".join(tags.values())
            assert SECRET not in text, (who, path, tags)
            for key, value in tags.items():
                if key in ("og:url", "og:image"):
                    assert value.startswith(SITE + "/"), (who, path, key, value)
        assert found[f"/stories/route?update={uid}"]["og:title"] == "Where the convoy gathers"  # the headline is public
    assert anonymous == member


def test_a_withdrawn_update_lends_its_permalink_the_storys_card(client, newsroom, day):
    gone = newsroom.entry("day-5", headline="Address of the shelter", body_text="The shelter is at 5 Main St.")
    newsroom.withdraw(gone["id"], reason="safety", public_note="Removed for safety.")
    uid = gone["url"].rsplit("/", 1)[1]
    location = client.get(f"/stories/day-5/updates/{uid}").headers["Location"]
    html = client.get(location.split("#")[0]).get_data(as_text=True)
    tags = meta(html)
    assert tags["og:title"] == "Live: Day 5" and "shelter" not in " ".join(tags.values()).lower()
    assert "Address of the shelter" not in html


def test_home_and_day_pages_carry_cards(client, day):
    tags = meta(client.get("/").get_data(as_text=True))
    assert tags["og:url"] == f"{SITE}/" and tags["og:type"] == "website"
    archive = re.search(r'href="(/archive/\d{4}-\d{2}-\d{2})"', client.get("/archive/").get_data(as_text=True))
    tags = meta(client.get(archive.group(1)).get_data(as_text=True))
    assert tags["og:url"] == SITE + archive.group(1)


def test_an_ended_live_day_says_so_and_links_the_current_day(client, newsroom, day):
    assert "This live day has ended" not in client.get("/stories/day-5").get_data(as_text=True)
    newsroom.story(title="Live: Day 6", slug="day-6", series="war", published_at=ago(hours=1))
    newsroom.story(title="Elsewhere: Day 1", slug="elsewhere-1", series="other", published_at=ago(minutes=30))
    html = client.get("/stories/day-5").get_data(as_text=True)
    ended = re.search(r'<p class="ended">(.*?)</p>', html, re.S).group(1)
    assert "This live day has ended" in ended and 'href="/stories/day-6"' in ended
    assert 'class="ended"' not in client.get("/stories/day-6").get_data(as_text=True)


@pytest.mark.parametrize("app_config", [{"POLL_SECONDS": 7}])
def test_the_server_sets_how_often_pages_ask(client, day, app_config):
    for path in ("/", "/stories/day-5"):
        html = client.get(path).get_data(as_text=True)
        assert re.search(r'id="new-updates"[^>]*data-poll-seconds="7"', html), path
        assert 'aria-live="polite"' in html and "live.js" in html


def test_poll_seconds_must_be_a_positive_whole_number(database_url, tmp_path):
    from conftest import make_config
    from syndicate import create_app
    from syndicate.config import ConfigError

    for bad in (0, -5, "often", True):
        with pytest.raises(ConfigError, match="POLL_SECONDS"):
            create_app(make_config(database_url, POLL_SECONDS=bad), instance_path=str(tmp_path / "i"))


def test_a_lead_image_the_public_may_see_makes_a_large_card(client, newsroom, day):
    from test_entry_media import picture

    shown = picture(client, newsroom.headers, alt="Lorries at the crossing")
    hidden = picture(client, newsroom.headers, alt="The members' picture", colour=(200, 120, 40))
    free = newsroom.entry("day-5", headline="Convoy crosses", image=shown["id"], published_at=ago(days=1))
    newsroom.story(title="For members", slug="members-only", access="members", published_at=ago(hours=1))
    gated = newsroom.entry("members-only", headline="Behind the lines", image=hidden["id"])

    location = client.get(f"/stories/day-5/updates/{free['uid']}").headers["Location"]
    for path in ("/stories/day-5", location.split("#")[0]):
        tags = meta(client.get(path).get_data(as_text=True))
        assert re.fullmatch(re.escape(f"{SITE}/media/{shown['id']}/") + r"\d+\.(jpg|webp)", tags["og:image"]), tags
        assert tags["og:image:alt"] == "Lorries at the crossing" and int(tags["og:image:width"]) == 1200
        assert tags["twitter:card"] == "summary_large_image"

    location = client.get(f"/stories/members-only/updates/{gated['uid']}").headers["Location"]
    for path in ("/stories/members-only", location.split("#")[0]):
        tags = meta(client.get(path).get_data(as_text=True))
        assert "og:image" not in tags and tags["twitter:card"] == "summary", path
