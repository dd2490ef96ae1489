"""The reader-facing pages in a real browser: headless Chromium against a real server.

Content is made the way the newsroom makes it (CLI and editorial API); the
assertions are about what a person sees and what a browser does: local times,
withdrawals, the paywall, no requests to other hosts, no sideways scrolling on a
phone, and the structure assistive technology relies on.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from browser import PHONE  # skips this module without a browser
from servers import LiveServer, free_port

pytestmark = pytest.mark.slow

TBILISI = ZoneInfo("Asia/Tbilisi")  # SYNDICATE_TIMEZONE's default
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
DESKTOP = {"width": 1280, "height": 900}

SERIES = "war-live"
NOTE = ("Note on naming: we do not use qualifiers such as \"de facto\" or \"unrecognised\" for institutions in "
        "the disputed regions we cover; this implies no position on their status. Places with two names are "
        "written with both, e.g. Shusha (Shushi).")
STANDFIRST = "Shelling, aid convoys and diplomacy: the day as it unfolded, from our reporters in the region."
WITHDRAWN_HEADLINE = "Location of a shelter used by displaced families"
PUBLIC_NOTE = "This update was removed to protect the safety of people it mentioned."
CORRECTION = "An earlier version of this update said the ministers would meet in Geneva; they will meet in Vienna."
OLD_CLOSING_LINE = "The bakery on Gagarin Street kept its ovens burning through the night."


def stamp(moment: datetime) -> str:
    """'04 Nov 2020, 18:30 GMT+4' in newsroom time, written out here rather than borrowed from the app."""
    local = moment.astimezone(TBILISI)
    return f"{local.day:02d} {MONTHS[local.month - 1][:3]} {local.year}, {local.hour:02d}:{local.minute:02d} GMT+4"


def day_label(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def at(day: date, hhmm: str) -> datetime:
    hour, minute = map(int, hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=TBILISI)


# ---------------------------------------------------------------- server and browser


@pytest.fixture
def live_server(app):
    """The test app served over real HTTP on a free port; yields its origin."""
    with LiveServer(app, free_port()) as server:
        yield server.url


@dataclass
class Visit:
    page: object
    requests: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


class Browse:
    """Opens pages of the live server, recording every request each page makes."""

    def __init__(self, browser, origin: str):
        self.browser = browser
        self.origin = origin
        self.contexts = []

    def open(self, path: str, viewport: dict = DESKTOP) -> Visit:
        context = self.browser.new_context(viewport=viewport, locale="en-GB", timezone_id="UTC",
                                           service_workers="block")
        self.contexts.append(context)
        page = context.new_page()
        visit = Visit(page)
        page.on("request", lambda request: visit.requests.append(request.url))
        page.on("response", lambda response: visit.failures.append(f"{response.status} {response.url}")
                if response.status >= 400 and not response.url.endswith("/favicon.ico") else None)
        page.on("requestfailed", lambda request: visit.failures.append(f"failed {request.url}"))
        response = page.goto(self.origin + path, wait_until="load")
        assert response is not None and response.status == 200, f"{path}: {response and response.status}"
        page.wait_for_load_state("networkidle")
        return visit

    def close(self):
        for context in self.contexts:
            context.close()


@pytest.fixture
def browse(chromium, live_server):
    browse = Browse(chromium, live_server)
    yield browse
    browse.close()


# ---------------------------------------------------------------- content, made as editors make it


@dataclass
class Coverage:
    days: list[date]  # oldest first
    slugs: list[str]  # one live story per day, same series
    latest: str  # the newest day's slug
    oldest: str
    updates: list[dict]  # the newest day's updates, newest first: headline, published (aware), anchor, ...
    old_headline: str
    old_teaser_start: str


@pytest.fixture
def coverage(newsroom) -> Coverage:
    newsroom.region("nagorno-karabakh", "Nagorno-Karabakh", covered=True)
    newsroom.region("georgia", "Georgia", covered=False)
    newsroom.cli("naming-note", "set", NOTE)

    today = datetime.now(TBILISI).date()
    # Four days of a live blog with quiet days between them; the last two are the free window.
    days = [today - timedelta(days=n) for n in (7, 5, 3, 1)]
    slugs = []
    for number, day in enumerate(days, start=30):
        story = newsroom.story(
            title=f"Live updates: Day {number} of the war in Nagorno-Karabakh", slug=f"live-{day.isoformat()}",
            summary=STANDFIRST, kind="live", language="en", regions=["nagorno-karabakh"], series=SERIES,
            published_at=at(day, "07:00").isoformat(),
        )
        slugs.append(story["slug"])

    # The older days: two updates each, long enough that a teaser is only their opening.
    old_body = ("Residents described a night spent in basements as artillery fire was heard from the south-east. "
                "Local officials said two houses were damaged and that no casualties have been confirmed so far. "
                "Volunteers handed out bread and water at the entrance to the shelters in the early morning.\n\n"
                + OLD_CLOSING_LINE)
    for day, slug in zip(days[:-1], slugs[:-1]):
        for hhmm, headline in (("08:10", "Overnight shelling reported near Martuni (Khojavend)"),
                               ("16:20", "Schools in Stepanakert (Khankandi) move lessons online")):
            newsroom.entry(slug, headline=headline, body_text=old_body, published_at=at(day, hhmm).isoformat())

    # The newest day, given with assorted offsets: the page must show every time in Tbilisi time.
    latest_day, latest = days[-1], slugs[-1]
    minus_five = timezone(timedelta(hours=-5))
    long_link = "https://example.org/reports/" + "humanitarian-corridor-convoy-schedule-" * 4 + "final.pdf"
    plan = [
        ("09:05", timezone(timedelta(hours=4)), "Power restored in most of Stepanakert (Khankandi)",
         {"body_text": "Engineers worked through the night to repair a damaged substation."}),
        ("11:20", minus_five, "Road through Lachin (Berdzor) reopens for aid convoys",
         {"body_html": f"<p>A convoy of eleven lorries crossed the corridor. The schedule: "
                       f"<a href=\"{long_link}\">{long_link}</a></p>"}),
        ("13:40", timezone.utc, "Foreign ministers agree to meet next week",
         {"body_text": "The ministers will meet under international mediation, officials said.", "key_event": True}),
        ("18:30", timezone.utc, "Families queue for news at the hospital in Shusha (Shushi)",
         {"body_text": "Relatives of the wounded waited outside the regional hospital into the evening."}),
        ("21:15", TBILISI, WITHDRAWN_HEADLINE, {"body_text": "This update named the address of a shelter."}),
    ]
    updates = []
    for hhmm, offset, headline, fields in plan:
        moment = at(latest_day, hhmm)
        created = newsroom.entry(latest, headline=headline, published_at=moment.astimezone(offset).isoformat(),
                                 **fields)
        updates.append({"headline": headline, "published": moment, "id": created["id"],
                        "anchor": "entry-" + created["url"].rsplit("/", 1)[1], "key_event": fields.get("key_event", False),
                        "withdrawn": headline == WITHDRAWN_HEADLINE})
    by_headline = {u["headline"]: u for u in updates}

    response = newsroom.patch(by_headline["Foreign ministers agree to meet next week"]["id"], correction=CORRECTION)
    assert response.status_code == 200, response.json
    response = newsroom.withdraw(by_headline[WITHDRAWN_HEADLINE]["id"],
                                 reason="Named a shelter's address; risk to the families there.",
                                 public_note=PUBLIC_NOTE)
    assert response.status_code == 200, response.json

    return Coverage(days=days, slugs=slugs, latest=latest, oldest=slugs[0], updates=updates[::-1],
                    old_headline="Overnight shelling reported near Martuni (Khojavend)",
                    old_teaser_start="Residents described a night spent in basements")


# ---------------------------------------------------------------- checks that run in the page

HEADING_LEVELS = "() => Array.from(document.querySelectorAll('h1,h2,h3,h4,h5,h6')).map(h => Number(h.tagName[1]))"

# Dates as the pages write them: '04 Nov 2020, 18:30' and '3 November 2026'.
UNWRAPPED_DATES = r"""() => {
  const months = 'January|February|March|April|May|June|July|August|September|October|November|December|'
               + 'Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec';
  const re = new RegExp('\\b\\d{1,2} (?:' + months + ') \\d{4}(?:, \\d{2}:\\d{2})?', 'g');
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    for (const match of node.textContent.matchAll(re)) {
      const time = node.parentElement.closest('time');
      if (!time || !time.getAttribute('datetime')) out.push(match[0]);
    }
  }
  return out;
}"""

TIMES = "() => Array.from(document.querySelectorAll('time')).map(t => [t.getAttribute('datetime'), t.textContent.trim()])"

# WCAG 2.1 AA contrast of every piece of visible text against the first opaque background behind it.
LOW_CONTRAST = r"""() => {
  const parse = c => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null;
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = ({r, g, b}) => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const background = el => { for (; el; el = el.parentElement) { const c = parse(getComputedStyle(el).backgroundColor);
    if (c && c.a > 0) return c; } return {r: 255, g: 255, b: 255, a: 1}; };
  const out = [], seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!walker.currentNode.textContent.trim() || seen.has(el)) continue;
    seen.add(el);
    const style = getComputedStyle(el), box = el.getBoundingClientRect();
    if (style.visibility === 'hidden' || box.width === 0 || box.height === 0) continue;
    const fg = parse(style.color), bg = background(el);
    const mix = {r: fg.r * fg.a + bg.r * (1 - fg.a), g: fg.g * fg.a + bg.g * (1 - fg.a), b: fg.b * fg.a + bg.b * (1 - fg.a)};
    const [hi, lo] = [lum(mix), lum(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
    const needed = (size >= 24 || (bold && size >= 18.66)) ? 3 : 4.5;
    if (ratio < needed) out.push(`${el.tagName.toLowerCase()}.${el.className} "${el.textContent.trim().slice(0, 40)}" ${ratio.toFixed(2)}:1`);
  }
  return out;
}"""

UNLABELLED_FIELDS = r"""() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(el => !['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type))
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
  .map(el => el.outerHTML.slice(0, 80))"""


def reader_pages(coverage: Coverage) -> list[str]:
    return ["/", f"/stories/{coverage.latest}", f"/stories/{coverage.oldest}", "/archive/",
            f"/archive/{coverage.days[-1].isoformat()}", f"/archive/{coverage.days[0].isoformat()}", "/join"]


PAGE_NAMES = ["home", "latest-day", "old-day", "archive", "archive-latest-day", "archive-old-day", "join"]


def assert_only_own_host(visit: Visit, origin: str):
    assert visit.requests, "the browser recorded no requests"
    foreign = [url for url in visit.requests if not url.startswith(origin + "/")]
    assert foreign == [], f"requests to other hosts: {foreign}"
    assert visit.failures == [], f"failed requests: {visit.failures}"


# ---------------------------------------------------------------- the live day page


def test_live_day_page(browse, coverage, live_server):
    visit = browse.open(f"/stories/{coverage.latest}")
    page = visit.page
    main = page.locator("main")

    assert page.get_by_role("heading", level=1).inner_text().startswith("Live updates: Day 33")
    assert main.get_by_text(STANDFIRST, exact=True).is_visible()
    note = main.get_by_text(NOTE, exact=True)
    assert note.is_visible()

    # Updates newest first, each at its place, times in Tbilisi time whatever offset the editor sent.
    anchors = page.eval_on_selector_all("main [id^='entry-']", "els => els.map(e => e.id)")
    assert anchors == [u["anchor"] for u in coverage.updates]
    first = page.locator(f"#{anchors[0]}")
    assert note.evaluate("(n, e) => !!(n.compareDocumentPosition(e) & Node.DOCUMENT_POSITION_FOLLOWING)",
                         first.element_handle()), "the naming note stands above the updates"

    for update in coverage.updates:
        item = page.locator(f"#{update['anchor']}")
        stamp_el = item.locator("time").first
        assert stamp_el.inner_text().strip() == stamp(update["published"])
        shown = datetime.fromisoformat(stamp_el.get_attribute("datetime"))
        assert shown == update["published"] and shown.utcoffset() == timedelta(hours=4)
        text = item.text_content()
        if update["withdrawn"]:
            assert PUBLIC_NOTE in text
            assert "Key event" not in text
        else:
            assert item.get_by_role("heading", name=update["headline"]).is_visible()
            marked = "key event" in text.lower()
            assert marked == update["key_event"], f"{update['headline']}: key event marked {marked}"
    assert [t.split(", ")[1] for t in (page.locator(f"#{u['anchor']} time").first.inner_text()
                                      for u in coverage.updates)] == [f"{t} GMT+4" for t in ("21:15", "18:30", "13:40", "11:20", "09:05")]

    key = page.locator(f"#{next(u['anchor'] for u in coverage.updates if u['key_event'])}")
    assert key.get_by_text("Key event", exact=False).is_visible()
    correction = key.get_by_text(CORRECTION, exact=False)
    assert correction.is_visible()

    # The withdrawn update is gone, from the markup and the JSON-LD alike; its public note stands in its place.
    assert WITHDRAWN_HEADLINE not in page.content()
    assert "address of a shelter" not in page.content()
    assert main.get_by_text(PUBLIC_NOTE, exact=True).is_visible()

    # A free day: the full text, no invitation.
    assert main.get_by_text("Engineers worked through the night", exact=False).is_visible()
    assert main.locator("[id^='entry-'] a[href='/join']").count() == 0, "a free update carries no invitation"

    # Every other day of the series is linked, labelled with its date.
    series = {a.get_attribute("href"): a.inner_text().strip()
              for a in main.get_by_role("navigation").locator("a").all()}
    for day, slug in zip(coverage.days[:-1], coverage.slugs[:-1]):
        assert series.get(f"/stories/{slug}") == day_label(day), series
    assert f"/stories/{coverage.latest}" not in series, "the current day is not a link to itself"

    # Every <time> says in datetime what it shows (dates outside <time> are checked on every page below).
    for value, text in page.evaluate(TIMES):
        assert value, f"<time> without datetime: {text}"
        moment = datetime.fromisoformat(value)
        if re.fullmatch(r"\d{2} \w{3} \d{4}, \d{2}:\d{2}", text):
            assert moment.tzinfo is not None and stamp(moment) == text, (value, text)

    data = json.loads(page.locator("script[type='application/ld+json']").text_content())
    assert data["@type"] == "LiveBlogPosting"
    assert data["isAccessibleForFree"] is True
    assert WITHDRAWN_HEADLINE not in json.dumps(data)

    assert_only_own_host(visit, live_server)


def test_home_page_has_the_member_banner(browse, coverage, live_server):
    visit = browse.open("/")
    page = visit.page
    join_links = page.locator("a[href='/join']")
    assert join_links.count() >= 1
    banner = page.get_by_role("complementary", name="Membership")
    assert banner.is_visible()
    assert banner.get_by_role("link", name=re.compile("member", re.I)).get_attribute("href") == "/join"
    # The latest live day leads the home page.
    assert page.get_by_role("heading", level=1).inner_text().startswith("Live updates: Day 33")
    assert WITHDRAWN_HEADLINE not in page.content()
    assert_only_own_host(visit, live_server)

    page.get_by_role("link", name=re.compile("member", re.I)).first.click()
    page.wait_for_load_state("load")
    assert page.url == live_server + "/join"
    assert page.get_by_role("heading", level=1).is_visible()


@pytest.mark.parametrize("path", ["story", "archive"])
def test_old_day_is_a_teaser_and_an_invitation(browse, coverage, live_server, path):
    old = coverage.days[0]
    url = f"/stories/{coverage.oldest}" if path == "story" else f"/archive/{old.isoformat()}"
    visit = browse.open(url)
    page = visit.page
    main = page.locator("main")

    assert main.get_by_role("heading", name=coverage.old_headline).first.is_visible()
    assert main.get_by_text(coverage.old_teaser_start, exact=False).first.is_visible()
    invitation = main.locator("a[href='/join']")
    assert invitation.count() >= 1 and invitation.first.is_visible()
    content = page.content()
    assert OLD_CLOSING_LINE not in content, "the full text of a members' day reached the public"
    assert "Volunteers handed out bread" not in content
    if path == "story":
        data = json.loads(page.locator("script[type='application/ld+json']").text_content())
        assert data["@type"] == "LiveBlogPosting" and data["isAccessibleForFree"] is False
    assert_only_own_host(visit, live_server)


# ---------------------------------------------------------------- every reader page


@pytest.mark.parametrize("index", range(len(PAGE_NAMES)), ids=PAGE_NAMES)
def test_page_structure_and_phone_layout(browse, coverage, live_server, index):
    """Every check runs and every problem is reported together, so one failure hides no other."""
    path = reader_pages(coverage)[index]
    problems = []

    def check(ok, message):
        if not ok:
            problems.append(message)

    visit = browse.open(path)
    page = visit.page
    check(page.evaluate("document.documentElement.lang") == "en", "html[lang] is not 'en'")
    viewport = page.locator("meta[name=viewport]")
    check(viewport.count() == 1 and "width=device-width" in viewport.get_attribute("content"), "no viewport meta")
    levels = page.evaluate(HEADING_LEVELS)
    check(levels[:1] == [1] and levels.count(1) == 1, f"not exactly one h1, first: headings {levels}")
    check(all(b <= a + 1 for a, b in zip(levels, levels[1:])), f"heading levels skip: {levels}")
    check(page.locator("main, [role=main]").count() == 1, "not exactly one main landmark")
    unwrapped = page.evaluate(UNWRAPPED_DATES)
    check(unwrapped == [], f"dates outside <time datetime>: {unwrapped}")
    unlabelled = page.evaluate(UNLABELLED_FIELDS)
    check(unlabelled == [], f"form fields without a label: {unlabelled}")
    low = page.evaluate(LOW_CONTRAST)
    check(low == [], f"text below WCAG AA contrast: {low}")
    for script in page.locator("script[type='application/ld+json']").all():
        data = json.loads(script.text_content())
        check(data.get("@context") == "https://schema.org", f"JSON-LD without schema.org context: {data}")
    foreign = [url for url in visit.requests if not url.startswith(live_server + "/")]
    check(foreign == [], f"requests to other hosts: {foreign}")
    check(visit.failures == [], f"failed requests: {visit.failures}")

    phone = browse.open(path, viewport=PHONE)
    scroll, client = phone.page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    check(scroll <= client, f"scrolls sideways at 375px: scrollWidth {scroll} > clientWidth {client}")

    assert problems == [], f"{path}:\n" + "\n".join(problems)
