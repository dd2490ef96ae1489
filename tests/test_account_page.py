"""/account and /feeds as a member meets them, the header an editor meets, and the sign-in mail as written.

Over HTTP with the test client: the main feed first, the rest grouped and every private address
still there, copy buttons that only a script reveals; a desk session's "Desk" link, kept out of
the pages others are served; and a sign-in .eml whose link survives `cat`.
"""
from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest

from conftest import SITE, sign_in
from servers import wait_for
from test_desk import add_editor, sign_in as desk_sign_in

READER = "reader@example.org"
REGIONS = [("abkhazia", "Abkhazia"), ("nagorno-karabakh", "Nagorno-Karabakh"), ("south-ossetia", "South Ossetia")]
FORMATS = ("atom", "rss", "json")


@pytest.fixture
def regions(newsroom):
    for slug, name in REGIONS:
        newsroom.region(slug, name)
    newsroom.story(slug="corridor", title="The corridor", summary="Fuel and flour.", kind="article",
                   regions=["abkhazia"])
    newsroom.entry("corridor", headline="Lorries cross", published_at="2024-05-01T08:00:00+00:00")


def fields(page: str) -> list[dict[str, str]]:
    """Each copy field in page order: its input id, value and whether its button starts hidden."""
    found = []
    for block in re.findall(r'<div class="copy-field[^"]*">(.*?)</div>\s*</div>', page, re.S):
        field = re.search(r'<input id="([^"]+)" type="text" value="([^"]+)" readonly', block)
        button = re.search(r"<button type=\"button\" class=\"copy\"( hidden)?>", block)
        assert field and button, block
        found.append({"id": field.group(1), "url": unescape(field.group(2)), "hidden": bool(button.group(1)),
                      "status": 'role="status"' in block})
    return found


def member_token_of(page: str) -> str:
    return re.search(r"latest\.atom\?token=([^\"&]+)", page).group(1)


def test_account_puts_the_main_feed_first_and_groups_the_rest(client, runner, regions):
    sign_in(client, runner, READER)
    page = client.get("/account").get_data(as_text=True)
    main = page[page.index('<main id="main">'):]
    token = member_token_of(main)
    shown = fields(main)

    # The first thing in the page's content after its heading: everything we publish, in Atom, with a button.
    assert shown[0]["url"] == f"{SITE}/feeds/latest.atom?token={token}"
    assert 'class="copy-field main-feed"' in main.split("</section>")[0]
    assert main.index('id="feed-main"') < main.index('id="membership-heading"')

    # Every private address is there: the site's three, every region's three, and the newest story's.
    urls = {f["url"] for f in shown}
    expected = {f"{SITE}/feeds/latest.{fmt}?token={token}" for fmt in FORMATS}
    expected |= {f"{SITE}/regions/{slug}/feed.{fmt}?token={token}" for slug, _ in REGIONS for fmt in FORMATS}
    expected |= {f"{SITE}/stories/corridor/feed.{fmt}?token={token}" for fmt in FORMATS}
    assert expected <= urls, expected - urls
    assert len({f["id"] for f in shown}) == len(shown)  # ids unique: each label names its own field

    # Grouped one click away: site, regions, stories, each a closed <details>.
    groups = re.findall(r'<details class="feed-group" id="([^"]+)">\s*<summary>([^<]+)</summary>', main)
    assert [g[0] for g in groups] == ["feeds-site", "feeds-regions", "feeds-stories"]
    assert "By region (3)" in groups[1][1]
    regions_group = main[main.index('id="feeds-regions"'):main.index('id="feeds-stories"')]
    for slug, name in REGIONS:
        assert f"<h3>{name}</h3>" in regions_group and f"/regions/{slug}/feed.atom?token=" in regions_group

    # Buttons wait for the script (which the CSP allows, from this host); without it the field is selectable.
    assert all(f["hidden"] and f["status"] for f in shown)
    assert re.search(r'<script src="/static/copy.js\?v=[0-9a-f]+" defer></script>', page)
    with client.get("/static/copy.js") as script:
        assert script.status_code == 200 and b"navigator.clipboard.writeText" in script.get_data()
    # Labelled, for a screen reader too: the button says what it copies.
    assert re.search(r'<label for="feed-region-abkhazia-rss"><span class="visually-hidden">Abkhazia, </span>'
                     r"RSS 2.0</label>", main)
    assert "Copy<span class=\"visually-hidden\"> the Abkhazia, RSS 2.0 address</span>" in main

    # Making new addresses still asks for the confirmation first.
    assert 'name="confirm" value="yes" required' in main and "Make new feed addresses" in main


def test_feeds_page_gives_a_member_copy_buttons_for_their_private_addresses(client, runner, regions):
    public = fields(client.get("/feeds").get_data(as_text=True))
    assert public and all("token=" not in f["url"] for f in public)

    sign_in(client, runner, READER)
    page = client.get("/feeds").get_data(as_text=True)
    token = member_token_of(page)
    shown = fields(page)
    assert {f["url"] for f in shown} >= {f"{SITE}/regions/{slug}/feed.{fmt}?token={token}"
                                         for slug, _ in REGIONS for fmt in FORMATS}
    assert all(f["hidden"] for f in shown) and "/static/copy.js" in page


def test_a_signed_in_editor_is_offered_the_desk_not_sign_in(app, client, runner, newsroom):
    anonymous = app.test_client()
    first = anonymous.get("/")
    assert ">Sign in</a></li>" in first.get_data(as_text=True) and "public" in first.headers["Cache-Control"]

    add_editor(runner)
    desk_sign_in(app, client)
    for path in ("/", "/archive/", "/feeds"):
        response = client.get(path)
        page = response.get_data(as_text=True)
        nav = page[page.index('<nav aria-label="Site">'):page.index("</nav>")]
        assert '<a href="/desk/">Desk</a>' in nav, nav
        assert "Sign in" not in nav
        # Their page is theirs: no shared cache keeps it, and no one else is given it.
        assert response.headers["Cache-Control"].startswith("private"), path

    # The same worker's cache, asked next by someone without a desk session: the public header.
    again = anonymous.get("/")
    page = again.get_data(as_text=True)
    assert "Desk</a>" not in page and ">Sign in</a></li>" in page
    assert "public" in again.headers["Cache-Control"]

    # Signed out of the desk: the public header again, in the same browser.
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/desk/").get_data(as_text=True)).group(1)
    assert client.post("/desk/signout", data={"csrf_token": token}).status_code == 303
    assert "Desk</a>" not in client.get("/").get_data(as_text=True)


def test_an_editor_who_is_also_a_member_has_both(app, client, runner, newsroom):
    add_editor(runner, address=READER)
    sign_in(client, runner, READER)
    desk_sign_in(app, client, READER)
    nav = client.get("/").get_data(as_text=True).split('<nav aria-label="Site">')[1].split("</nav>")[0]
    assert "Your account</a>" in nav and "Desk</a>" in nav and "Sign in" not in nav


def test_the_signin_mail_holds_its_link_on_one_line(app, client, runner):
    runner.invoke(args=["members", "comp", READER])
    outbox = Path(app.instance_path) / "outbox"
    before = set(outbox.glob("*.eml"))
    form = client.get("/signin").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    assert client.post("/signin", data={"email": READER, "csrf_token": csrf}).status_code == 200
    written = wait_for(lambda: set(outbox.glob("*.eml")) - before, what="the sign-in mail")
    raw = next(iter(written)).read_text()  # what `cat` shows: no decoding

    assert "Content-Transfer-Encoding: 7bit" in raw and "quoted-printable" not in raw
    link = re.search(re.escape(SITE) + r"(/signin/\S+)", raw).group(1)
    page = client.get(link)  # the line, as it stands, is the whole link
    assert page.status_code == 200 and "Sign in" in page.get_data(as_text=True)


def test_a_mail_with_other_letters_is_8bit_and_still_whole(app, runner):
    from syndicate.members import mail, outbox as sending

    body = "Здравствуйте. Ваша ссылка:\n\n" + SITE + "/signin/" + "x" * 150 + "\n"
    with app.app_context():
        mail.send("ana@example.org", "Вход", body)
        sending.drain()
    raw = next((Path(app.instance_path) / "outbox").glob("*.eml")).read_bytes()
    assert b"Content-Transfer-Encoding: 8bit" in raw
    assert (SITE + "/signin/" + "x" * 150).encode() in raw and "Здравствуйте".encode() in raw
