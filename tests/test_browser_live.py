"""The live day as a reader on a phone meets it, in headless Chromium against a real server: the first
screen, new updates put in place while the page stays open, a hidden tab that asks less often, an ended
day, and sharing an update. Screenshots of every page this touches land in /tmp/shots/pages16/."""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from browser import CHROMIUM  # noqa: F401  (skips this module without a browser)
from test_browser import DESKTOP, LOW_CONTRAST, NOTE, Browse, browse, coverage, live_server  # noqa: F401

pytestmark = pytest.mark.slow

PHONE = {"width": 390, "height": 844}
SHOTS = Path("/tmp/shots/pages16")
FAST = [{"POLL_SECONDS": 1}]  # pages ask every second, so a test waits for news, not for 30 s
SLOW = [{"POLL_SECONDS": 600}]  # far longer than a test runs: only the test's clock fires the page's timers

# Counts the page's own asks for itself (and their answers), and lets a test say whether the tab is hidden.
WATCH = """
window.__asked = 0; window.__answered = 0; window.__hidden = false;
const realFetch = window.fetch;
window.fetch = function () {
  window.__asked += 1;
  return realFetch.apply(this, arguments).finally(() => { window.__answered += 1; });
};
Object.defineProperty(Document.prototype, 'hidden', {configurable: true, get: () => window.__hidden});
Object.defineProperty(Document.prototype, 'visibilityState', {configurable: true,
  get: () => window.__hidden ? 'hidden' : 'visible'});
"""


def shoot(page, name: str, full_page: bool = True) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{page.viewport_size['width']}.png"), full_page=full_page)


def wait_until(page, expression: str, timeout: float = 10.0) -> None:
    """Wait for a condition in the page. (Playwright's wait_for_function polls with eval, which the CSP refuses.)"""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {timeout}s: {expression}")
        page.wait_for_timeout(50)  # lets the page's events run while the test waits


def first_update_top(page) -> float:
    return page.evaluate("document.querySelector('ol.entries > li').getBoundingClientRect().top")


def in_viewport(page, selector: str) -> bool:
    return page.evaluate("""s => { const box = document.querySelector(s).getBoundingClientRect();
      return box.height > 0 && box.top >= 0 && box.bottom <= window.innerHeight; }""", selector)


def publish(newsroom, slug: str, headline: str) -> str:
    made = newsroom.entry(slug, headline=headline, body_text="Fresh reporting from the ground.")
    return "entry-" + made["url"].rsplit("/", 1)[1]


# ---------------------------------------------------------------- the first screen


@pytest.fixture
def demo(runner) -> str:
    """The demo newsroom (a long naming note, a day of key events), as the issue measured it; its newest day."""
    from syndicate.demo import SERIES

    result = runner.invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    with runner.app.app_context():
        from syndicate.extensions import db
        from syndicate.models import Story

        return db.session.scalar(db.select(Story.slug).where(Story.series == SERIES)
                                 .order_by(Story.published_at.desc()).limit(1))


@pytest.mark.parametrize("where", ["live-day", "home"])
def test_the_first_update_starts_on_a_phones_first_screen(browse, demo, where):
    from syndicate.demo import NOTE as DEMO_NOTE

    path = f"/stories/{demo}" if where == "live-day" else "/"
    page = browse.open(path, viewport=PHONE).page
    shoot(page, where)
    assert page.evaluate("window.scrollY") == 0
    top = first_update_top(page)
    assert top < PHONE["height"], f"{path}: the first update starts at {top}px, below the first screen"

    # The note is there, one line until opened; opened, all of it shows.
    details = page.locator("aside.naming-note details")
    summary = details.locator("summary")
    assert details.count() == 1 and not details.evaluate("d => d.open")
    line = float(summary.evaluate("s => parseFloat(getComputedStyle(s).lineHeight)"))
    assert summary.bounding_box()["height"] < 2 * line + 12, "the closed note takes more than a line"
    assert summary.evaluate("s => s.scrollWidth > s.clientWidth"), "the closed note is not cut short"
    summary.click()
    assert details.evaluate("d => d.open")
    assert summary.inner_text().strip() == DEMO_NOTE
    assert summary.evaluate("s => s.scrollWidth <= s.clientWidth"), "the opened note is still cut short"
    assert summary.bounding_box()["height"] > 3 * line

    # The key events are one line too, and a tap away.
    key_events = page.locator("nav.key-events details")
    assert key_events.count() == 1 and not key_events.evaluate("d => d.open")
    assert not key_events.locator("ul a").first.is_visible()
    key_events.locator("summary").click()
    assert key_events.locator("ul a").first.is_visible()
    shoot(page, where + "-opened")


def test_wide_screens_show_the_whole_note(browse, coverage):
    page = browse.open(f"/stories/{coverage.latest}").page
    summary = page.locator("aside.naming-note summary")
    assert summary.evaluate("s => getComputedStyle(s).whiteSpace") != "nowrap"
    assert summary.evaluate("s => s.scrollWidth <= s.clientWidth")


# ---------------------------------------------------------------- new updates, in place


@pytest.mark.parametrize("app_config", FAST)
@pytest.mark.parametrize("where", ["live-day", "home"])
def test_new_updates_reach_a_reader_scrolled_halfway_on_a_phone(browse, coverage, newsroom, app_config, where):
    path = f"/stories/{coverage.latest}" if where == "live-day" else "/"
    page = browse.open(path, viewport=PHONE).page
    offer = page.locator("#new-updates")
    assert offer.get_attribute("role") == "status" and offer.get_attribute("aria-live") == "polite"
    assert offer.get_attribute("data-poll-seconds") == "1"  # the server says how often
    page.evaluate("window.scrollTo(0, (document.documentElement.scrollHeight - window.innerHeight) / 2)")
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 300
    page.evaluate("window.__stayed = 'this page was never reloaded'")
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))

    anchor = publish(newsroom, coverage.latest, "Ceasefire talks resume in Vienna")
    button = offer.get_by_role("button", name="1 new update")
    button.wait_for(timeout=15_000)
    assert in_viewport(page, "#new-updates button"), "the offer is off screen for a reader who scrolled"
    assert page.evaluate("window.scrollY") == scrolled, "the offer moved the page"
    shoot(page, where + "-offer", full_page=False)  # what the reader sees where they are

    button.click()
    item = page.locator(f"#{anchor}")
    item.wait_for(timeout=5_000)
    assert page.evaluate("window.__stayed") == "this page was never reloaded" and navigations == []
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
    assert page.eval_on_selector_all("ol.entries > li", "els => els.map(e => e.id)")[0] == anchor
    assert "is-new" in item.get_attribute("class")
    assert item.locator(".new-label").inner_text().strip().lower() == "new"
    assert item.get_by_role("heading", name="Ceasefire talks resume in Vienna").is_visible()
    assert page.evaluate("document.activeElement.id") == anchor, "focus stays behind, away from the news"
    assert in_viewport(page, f"#{anchor} .headline")
    assert offer.locator("button").count() == 0
    shoot(page, where + "-inserted")

    from axe import violations

    assert violations(page) == []
    assert page.evaluate(LOW_CONTRAST) == []


@pytest.mark.parametrize("app_config", FAST)
def test_more_news_while_the_offer_waits_is_counted_once(browse, coverage, newsroom, app_config):
    page = browse.open(f"/stories/{coverage.latest}", viewport=DESKTOP).page
    offer = page.locator("#new-updates")
    first = publish(newsroom, coverage.latest, "First of two")
    offer.get_by_role("button", name="1 new update").wait_for(timeout=15_000)
    second = publish(newsroom, coverage.latest, "Second of two")
    offer.get_by_role("button", name="2 new updates").wait_for(timeout=15_000)
    offer.get_by_role("button").click()
    page.locator(f"#{second}").wait_for(timeout=5_000)
    order = page.eval_on_selector_all("ol.entries > li", "els => els.map(e => e.id)")
    assert order[:2] == [second, first] and len(order) == len(set(order))
    assert page.locator("ol.entries > li.is-new").count() == 2


@pytest.mark.parametrize("app_config", SLOW)
def test_a_hidden_tab_asks_less_often(chromium, live_server, coverage, app_config):
    context = chromium.new_context(viewport=PHONE, service_workers="block")
    page = context.new_page()
    try:
        page.add_init_script(WATCH)
        page.clock.install()
        page.goto(f"{live_server}/stories/{coverage.latest}", wait_until="load")
        assert page.locator("#new-updates").get_attribute("data-poll-seconds") == "600"
        asked = lambda: page.evaluate("window.__asked")  # noqa: E731

        page.clock.run_for(590_000)
        assert asked() == 0, "asked before the server's interval was up"
        page.clock.run_for(11_000)
        assert asked() == 1, "did not ask when the interval was up"

        page.evaluate("window.__hidden = true; document.dispatchEvent(new Event('visibilitychange'))")
        wait_until(page, "window.__answered >= 1")
        page.clock.run_for(700_000)
        assert asked() == 1, "a hidden tab asked as often as a visible one"
        page.clock.run_for(1_750_000)  # four intervals after the last ask
        wait_until(page, "window.__asked >= 2")

        # Back in view after a long while: it looks at once rather than at the hidden tab's pace.
        wait_until(page, "window.__answered >= 2")
        page.clock.run_for(900_000)
        assert asked() == 2
        page.evaluate("window.__hidden = false; document.dispatchEvent(new Event('visibilitychange'))")
        wait_until(page, "window.__asked >= 3")
    finally:
        context.close()


# ---------------------------------------------------------------- a day that has ended


def test_an_ended_live_day_links_to_the_current_day(browse, coverage):
    for viewport in (PHONE, DESKTOP):
        page = browse.open(f"/stories/{coverage.slugs[-2]}", viewport=viewport).page
        shoot(page, "ended-day")
        ended = page.locator("main p.ended")
        assert ended.is_visible() and "This live day has ended" in ended.inner_text()
        assert ended.get_by_role("link").get_attribute("href") == f"/stories/{coverage.latest}"
    current = browse.open(f"/stories/{coverage.latest}").page
    assert current.locator("p.ended").count() == 0


# ---------------------------------------------------------------- sharing


def test_the_permalink_is_a_visible_link(browse, coverage):
    for viewport in (PHONE, DESKTOP):
        page = browse.open(f"/stories/{coverage.latest}", viewport=viewport).page
        link = page.locator(f"#{coverage.updates[0]['anchor']} a.permalink")
        style = link.evaluate("a => { const s = getComputedStyle(a); return [s.textDecorationLine, s.color]; }")
        assert "underline" in style[0]
        assert style[1] != page.locator(".stamp").first.evaluate("p => getComputedStyle(p).color"), \
            "the permalink is the grey of the text around it"
        assert link.bounding_box()["height"] >= 24, "the permalink is too small a target for a finger"
        assert page.evaluate(LOW_CONTRAST) == []


def test_share_copies_the_permalink_where_there_is_no_share_sheet(chromium, live_server, coverage):
    context = chromium.new_context(viewport=PHONE, permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    try:
        page.add_init_script("delete Navigator.prototype.share; delete navigator.share;")
        page.goto(f"{live_server}/stories/{coverage.latest}", wait_until="load")
        update = coverage.updates[1]
        item = page.locator(f"#{update['anchor']}")
        button = item.locator("button.share-button")
        assert button.is_visible() and button.bounding_box()["height"] >= 24
        button.click()
        status = item.locator(".share-status")
        status.filter(has_text="Link copied").wait_for(timeout=5_000)
        assert status.get_attribute("role") == "status"
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == f"http://newsroom.test/stories/{coverage.latest}/updates/{update['anchor'][6:]}"
        shoot(page, "share-copied")
    finally:
        context.close()


def test_share_opens_the_devices_share_sheet_where_there_is_one(chromium, live_server, coverage):
    context = chromium.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        page.add_init_script("""window.__shared = [];
          Navigator.prototype.share = function (data) { window.__shared.push(data); return Promise.resolve(); };""")
        page.goto(f"{live_server}/stories/{coverage.latest}", wait_until="load")
        update = coverage.updates[1]
        page.locator(f"#{update['anchor']} button.share-button").click()
        wait_until(page, "window.__shared.length === 1")
        shared = page.evaluate("window.__shared[0]")
        assert shared["url"] == f"http://newsroom.test/stories/{coverage.latest}/updates/{update['anchor'][6:]}"
        assert shared["title"] == update["headline"]
    finally:
        context.close()


def test_without_scripts_the_permalink_still_leads_to_the_update(chromium, live_server, coverage):
    context = chromium.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/stories/{coverage.latest}", wait_until="load")
        update = coverage.updates[2]
        item = page.locator(f"#{update['anchor']}")
        assert item.locator("button.share-button").is_hidden()
        item.locator("a.permalink").click()
        page.wait_for_url(re.compile(re.escape(f"update={update['anchor'][6:]}#{update['anchor']}") + "$"))
        assert page.locator(f"#{update['anchor']}").is_visible()
        shoot(page, "permalink-target")
    finally:
        context.close()


# ---------------------------------------------------------------- every changed page, looked at


def test_changed_pages_at_both_widths_pass_axe(browse, coverage, newsroom):
    from axe import violations

    newsroom.story(title="Why the corridor matters", slug="corridor", kind="article",
                   summary="An explainer on the only road in.", regions=["nagorno-karabakh"])
    newsroom.entry("corridor", headline="Why the corridor matters",
                   body_text="The road is the only way in for food and medicine. " * 6)
    update = coverage.updates[1]
    pages = {
        "home": "/",
        "live-day": f"/stories/{coverage.latest}",
        "ended-day": f"/stories/{coverage.slugs[-2]}",
        "members-day": f"/stories/{coverage.oldest}",
        "article": "/stories/corridor",
        "permalink-target": f"/stories/{coverage.latest}?update={update['anchor'][6:]}#{update['anchor']}",
        "archive-day": f"/archive/{coverage.days[-1].isoformat()}",
    }
    found = {}
    for viewport in (PHONE, DESKTOP):
        for name, path in pages.items():
            page = browse.open(path, viewport=viewport).page
            shoot(page, name)
            found[(viewport["width"], name)] = violations(page) + [f"contrast: {c}" for c in page.evaluate(LOW_CONTRAST)]
            for details in page.locator("main details").all():
                details.locator("summary").click()
            found[(viewport["width"], name + " opened")] = violations(page)
    assert {where: v for where, v in found.items() if v} == {}
