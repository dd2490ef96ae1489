"""/account and /feeds on a phone and a desktop, in headless Chromium: the member's main feed on the
first screen with a Copy button that really copies, nav and footer links big enough to hit (WCAG 2.2
target size), the page without scripts, and axe-core's verdict. Screenshots go to /tmp/shots/account16.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from browser import PHONE  # noqa: F401  (skips this module without a browser)
from axe import violations
from conftest import member_token
from servers import LiveServer, free_port
from test_account_page import REGIONS

pytestmark = pytest.mark.slow

SHOTS = Path("/tmp/shots/account16")
PHONE_390 = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
READER = "reader@example.org"
TARGET = 24  # px: WCAG 2.2 AA, 2.5.8 Target Size (Minimum)


@pytest.fixture
def site(app, newsroom):
    for slug, name in REGIONS:
        newsroom.region(slug, name)
    newsroom.story(slug="corridor", title="The corridor", summary="Fuel and flour.", kind="live",
                   regions=["abkhazia"])
    newsroom.entry("corridor", headline="Lorries cross", published_at="2024-05-01T08:00:00+00:00")
    with LiveServer(app, free_port()) as server:
        yield server.url


def signed_in_page(app, runner, chromium, origin, viewport, **options):
    """A new browser context signed in as a member through the mailed link's page and its button."""
    from syndicate.extensions import db
    from syndicate.members.tokens import make_signin_token
    from syndicate.models import Member

    member_token(runner, READER)
    with app.app_context():
        link = "/signin/" + make_signin_token(db.session.scalar(db.select(Member.id).where(Member.email == READER)),
                                              "signin")
    context = chromium.new_context(viewport=viewport, locale="en-GB", service_workers="block", **options)
    page = context.new_page()
    page.goto(origin + link, wait_until="load")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Sign in").click()
    assert page.url == origin + "/account"
    return context, page


def shoot(page, name: str, full: bool = True) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full)


def small_targets(page) -> list[str]:
    """Header and footer links shorter than TARGET px, as 'text: height'."""
    return page.evaluate(
        """(least) => Array.from(document.querySelectorAll('header.site a, footer.site a'))
             .map(a => [a.textContent.trim(), a.getBoundingClientRect().height])
             .filter(([, h]) => h < least).map(([t, h]) => t + ': ' + h)""", TARGET)


def test_main_feed_is_on_the_first_phone_screen_and_copies(app, runner, chromium, site):
    context, page = signed_in_page(app, runner, chromium, site, PHONE_390,
                                   permissions=["clipboard-read", "clipboard-write"])
    try:
        shoot(page, "account-390-first", full=False)
        field = page.get_by_label("Everything we publish (Atom)")
        button = page.get_by_role("button", name=re.compile(r"^Copy the Everything we publish \(Atom\) address"))
        url = field.input_value()
        assert re.fullmatch(r"http://newsroom\.test/feeds/latest\.atom\?token=\S+", url), url
        for control in (field, button):
            box = control.bounding_box()
            assert box and box["y"] >= 0 and box["y"] + box["height"] <= PHONE_390["height"], box
        assert field.evaluate("e => e.readOnly")
        assert button.bounding_box()["height"] >= TARGET

        button.click()
        status = page.locator(".main-feed [role=status]")
        status.filter(has_text="Copied").wait_for(timeout=5000)
        assert page.evaluate("navigator.clipboard.readText()") == url
        shoot(page, "account-390-copied", full=False)

        # A region's feed, one click away: open the group, copy its Atom address.
        page.get_by_text("By region (3)").click()
        region = page.get_by_label("Abkhazia, Atom")
        page.get_by_role("button", name="Copy the Abkhazia, Atom address").click()
        page.locator("#feeds-regions [role=status]").filter(has_text="Copied").wait_for(timeout=5000)
        assert page.evaluate("navigator.clipboard.readText()") == region.input_value()
        assert "/regions/abkhazia/feed.atom?token=" in region.input_value()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_390["width"]
    finally:
        context.close()


def test_without_scripts_the_address_is_a_selectable_field_and_no_button_shows(app, runner, chromium, site):
    context, page = signed_in_page(app, runner, chromium, site, PHONE_390, java_script_enabled=False)
    try:
        field = page.get_by_label("Everything we publish (Atom)")
        assert field.is_visible() and field.evaluate("e => e.readOnly")
        assert page.locator("button.copy").count() > 0
        assert not page.locator("button.copy").first.is_visible()
    finally:
        context.close()


@pytest.mark.parametrize("viewport", [PHONE_390, DESKTOP], ids=["390", "1280"])
def test_nav_and_footer_links_are_at_least_24px_tall(app, runner, chromium, site, viewport):
    anonymous = chromium.new_context(viewport=viewport, service_workers="block")
    try:
        page = anonymous.new_page()
        page.goto(site + "/", wait_until="load")
        shoot(page, f"home-header-{viewport['width']}", full=False)
        assert page.locator("header.site nav a").count() >= 4
        assert small_targets(page) == []
    finally:
        anonymous.close()
    context, page = signed_in_page(app, runner, chromium, site, viewport)
    try:
        for path in ("/account", "/feeds", "/"):
            page.goto(site + path, wait_until="load")
            assert small_targets(page) == [], path
    finally:
        context.close()


@pytest.mark.parametrize("viewport", [PHONE_390, DESKTOP], ids=["390", "1280"])
def test_account_and_feeds_pass_axe_and_are_shot(app, runner, chromium, site, viewport):
    context, page = signed_in_page(app, runner, chromium, site, viewport)
    width = viewport["width"]
    try:
        shoot(page, f"account-{width}")
        found = {}
        for summary in page.locator("details.feed-group > summary").all():
            summary.click()
        shoot(page, f"account-open-{width}")
        found["/account"] = violations(page)
        page.goto(site + "/feeds", wait_until="load")
        shoot(page, f"feeds-member-{width}")
        found["/feeds"] = violations(page)
        assert found == {"/account": [], "/feeds": []}
    finally:
        context.close()
