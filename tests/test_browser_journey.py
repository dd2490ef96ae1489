"""A reader's and a member's way through the site in headless Chromium: a gated day, the way in
("Sign in" where joining is offered), the mailed link, the account, a story's private feed in
feedparser, and the live day offering new updates while it stays open."""
from __future__ import annotations

import re
import urllib.request
import uuid
from pathlib import Path

import feedparser
import pytest

from browser import PHONE  # skips this module without a browser
from conftest import last_line
from test_membership import cli, editor_api, links_in, publish_old_day  # noqa: E402

pytestmark = pytest.mark.slow

SHOTS = Path("/tmp/syndicate-shots")
DESKTOP = {"width": 1280, "height": 900}


def shoot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    width = page.viewport_size["width"]
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_member_finds_the_way_in_and_follows_a_story(site, chromium, viewport):
    day = publish_old_day(site)
    email = f"member-{uuid.uuid4().hex[:8]}@example.org"
    cli(site, "members", "comp", email)
    context = chromium.new_context(viewport=viewport, locale="en-GB", timezone_id="UTC", service_workers="block")
    page = context.new_page()
    try:
        # A gated old day: its one invitation offers the way in for members too.
        page.goto(f"{site.url}/archive/{day}", wait_until="load")
        shoot(page, "day-gated")
        assert no_sideways_scroll(page)
        invitation = page.locator("main aside.invite")
        assert invitation.count() == 1 and page.locator("aside.banner").count() == 0
        assert "for members" in invitation.inner_text()
        assert page.get_by_role("navigation", name="Site").get_by_role("link", name="Sign in").is_visible()
        invitation.get_by_role("link", name="Sign in").click()
        page.wait_for_url(site.url + "/signin")
        shoot(page, "signin")
        page.get_by_label("Your email address").fill(email)
        page.get_by_role("button", name="Email me a sign-in link").click()
        page.wait_for_load_state("load")

        # The mailed link: opening it changes nothing; its button signs in.
        message = site.smtp.wait_for_mail(email)[-1]
        link = next(url for url in links_in(message) if "/signin/" in url)
        page.goto(link, wait_until="load")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(site.url + "/account")
        shoot(page, "account")
        assert no_sideways_scroll(page)
        nav = page.get_by_role("navigation", name="Site")
        assert nav.get_by_role("link", name="Your account").is_visible()
        assert nav.get_by_role("link", name="Sign in").count() == 0
        assert "Complimentary" in page.locator("dl.membership").inner_text()

        # Signed in, the old story reads in full, and "Follow" leads to a page, not a raw feed.
        page.goto(site.url + "/stories/old", wait_until="load")
        assert page.locator("aside.invite").count() == 0 and page.locator(".gated").count() == 0
        page.get_by_role("link", name="Follow this story in a feed reader").click()
        page.wait_for_url(re.compile(r"/feeds\?story=old$"))
        shoot(page, "feeds-member")
        assert no_sideways_scroll(page)
        story_atom = page.get_by_label("Old, Atom", exact=True).input_value()
        assert story_atom.startswith(site.url + "/stories/old/feed.atom?token=")
        with urllib.request.urlopen(story_atom, timeout=10) as answer:
            assert answer.headers["Cache-Control"] == "private, no-cache"
            parsed = feedparser.parse(answer.read())
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        assert [e.title for e in parsed.entries] == ["Old news"]
    finally:
        context.close()


def test_anonymous_feeds_page_lists_every_feed(site, chromium):
    publish_old_day(site)
    cli(site, "regions", "add", "karabakh", "--name", "Nagorno-Karabakh", "--covered")
    page = chromium.new_page(viewport=PHONE)
    try:
        page.goto(site.url + "/", wait_until="load")
        page.get_by_role("navigation", name="Site").get_by_role("link", name="Feeds").click()
        page.wait_for_url(site.url + "/feeds")
        shoot(page, "feeds")
        codes = page.locator("main .copy-field input").evaluate_all("fields => fields.map(f => f.value)")
        for fmt in ("rss", "atom", "json"):
            assert f"{site.url}/feeds/latest.{fmt}" in codes
            assert f"{site.url}/regions/karabakh/feed.{fmt}" in codes
        assert not any("token=" in code for code in codes)
        assert page.locator("#region-karabakh").is_visible()
    finally:
        page.close()


def test_the_live_day_offers_new_updates(site, chromium):
    api = editor_api(site)
    api("/api/stories", {"title": "Live updates: Day 1", "slug": "day-1"})
    api("/api/stories/day-1/entries", {"headline": "First", "body_text": "One."})
    context = chromium.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.clock.install()  # the page's timers run when the test says, not every 30 s of real time
    answers = []
    page.on("response", lambda response: answers.append(response.status)
            if response.url == site.url + "/stories/day-1" else None)
    try:
        page.goto(site.url + "/stories/day-1", wait_until="load")
        offer = page.locator("#new-updates")

        def look(count: int) -> None:
            """Let the page's next check fire, and wait until the site has answered it."""
            page.clock.run_for(31_000)
            for _ in range(200):
                if len(answers) > count:
                    return
                page.wait_for_timeout(50)  # lets the browser's events reach the test while it waits
            raise AssertionError(f"the page did not look again: {answers}")

        look(1)  # the first look: 200, nothing new
        look(2)  # unchanged since: 304
        assert offer.is_hidden() and answers[0] == 200 and answers[2] == 304, answers
        api("/api/stories/day-1/entries", {"headline": "Second", "body_text": "Two."})
        look(3)
        button = offer.get_by_role("button", name="1 new update")
        button.wait_for(timeout=10_000)
        shoot(page, "live-new-updates")
        button.click()
        page.wait_for_load_state("load")
        assert page.get_by_role("heading", name="Second").is_visible()
    finally:
        context.close()


def test_every_reader_page_passes_axe_at_both_widths(site, chromium):
    from axe import violations

    day = publish_old_day(site)
    email = f"member-{uuid.uuid4().hex[:8]}@example.org"
    token = last_line(cli(site, "members", "comp", email))
    cli(site, "regions", "add", "karabakh", "--name", "Nagorno-Karabakh", "--covered")
    cli(site, "naming-note", "set", "A note on naming.")
    pages = ["/", "/stories/new", "/stories/old", "/archive/", f"/archive/{day}", "/feeds", "/feeds?story=new",
             "/join", "/signin", "/stories/nope"]
    found = {}
    for viewport in (PHONE, DESKTOP):
        context = chromium.new_context(viewport=viewport)
        page = context.new_page()
        try:
            for path in pages:
                page.goto(site.url + path, wait_until="load")
                shoot(page, "page" + path.replace("/", "_").replace("?", "_"))
                found[(viewport["width"], path)] = violations(page) + (
                    [] if no_sideways_scroll(page) else ["sideways scroll"])
            # Signed in (the mailed link's POST), the account and the member's pages.
            page.goto(site.url + "/signin", wait_until="load")
            page.get_by_label("Your email address").fill(email)
            page.get_by_role("button", name="Email me a sign-in link").click()
            page.wait_for_load_state("load")
            message = site.smtp.wait_for_mail(email, count=1 if viewport is PHONE else 2)[-1]
            page.goto(next(url for url in links_in(message) if "/signin/" in url), wait_until="load")
            found[(viewport["width"], "signin-link")] = violations(page)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(site.url + "/account")
            for path in ("/account", "/feeds", "/stories/old"):
                page.goto(site.url + path, wait_until="load")
                shoot(page, "member" + path.replace("/", "_"))
                found[(viewport["width"], "member " + path)] = violations(page)
        finally:
            context.close()
    assert token and {where: v for where, v in found.items() if v} == {}
