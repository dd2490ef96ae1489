"""The desk in headless Chromium against a real server, with mail caught by an aiosmtpd sink.

One editor's whole day: sign in from the mailed link, start the next day, compose
(the preview and the gazetteer's warning as they type, the draft surviving a
reload), publish with Ctrl+Enter (a double click publishes once), see it on the
live page and in a feed, correct it, withdraw it, and find the tombstone in the
partners' pull. Two editors correcting one update at once. Every desk page at
1280 and 390 px: screenshots in /tmp/desk-shots, no sideways scrolling, nothing
from another host, nothing the CSP refuses, and axe-core's rules.

axe-core is run as tests/axe.py runs it (installed from npm into tests/.axe); without
it the accessibility test runs every other check and then reports itself skipped.
"""
from __future__ import annotations

import json
import re
import urllib.request
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import pytest

import axe
import browser  # noqa: F401  (skips this module without a browser)
from conftest import last_line
from servers import LiveServer, free_port
from test_browser import HEADING_LEVELS, LOW_CONTRAST, UNLABELLED_FIELDS, UNWRAPPED_DATES

pytestmark = pytest.mark.slow

TBILISI = ZoneInfo("Asia/Tbilisi")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SHOTS = Path("/tmp/desk-shots")


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def app_config(smtp, port):
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.port, "SITE_URL": f"http://127.0.0.1:{port}",
            "SIGNIN_RATE_LIMIT": "100 per minute"}


@pytest.fixture
def origin(app, port):
    with LiveServer(app, port) as server:
        yield server.url


@pytest.fixture
def yesterday(newsroom) -> str:
    """Yesterday's live day in a covered region, and the gazetteer's Shusha (Shushi)."""
    newsroom.region("nagorno-karabakh", "Nagorno-Karabakh", covered=True)
    newsroom.cli("gazetteer", "add", "Shusha", "Shushi")
    day = datetime.now(TBILISI).date() - timedelta(days=1)
    slug = f"live-{day.isoformat()}"
    newsroom.story(title=f"Live updates: Day 39 of the war, {day.day} {day.strftime('%B %Y')}", slug=slug,
                   summary="Shelling, convoys and diplomacy: the day as it unfolded.", kind="live",
                   regions=["nagorno-karabakh"],
                   published_at=datetime.combine(day, time(7), tzinfo=TBILISI).isoformat())
    return slug


class Watched:
    """A browser context whose requests and CSP complaints are kept, to check after each walk."""

    def __init__(self, chromium, origin, viewport=DESKTOP):
        self.origin = origin
        self.context = chromium.new_context(viewport=viewport, locale="en-GB", timezone_id="UTC",
                                            service_workers="block")
        self.requests: list[str] = []
        self.blocked: list[str] = []
        self.page = self.new_page()

    def new_page(self):
        page = self.context.new_page()
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("console", lambda message: self.blocked.append(message.text)
                if "Content Security Policy" in message.text else None)
        return page

    def check_clean(self):
        foreign = [url for url in self.requests if not url.startswith(self.origin + "/")]
        assert foreign == [], f"requests to other hosts: {foreign}"
        assert self.blocked == [], f"refused by the CSP: {self.blocked}"

    def close(self):
        self.context.close()


def sign_in(watched: Watched, smtp, address: str, visit=lambda name, page: None):
    """Sign in from the mailed link; visit(name, page) sees each page on the way."""
    page = watched.page
    page.goto(watched.origin + "/desk/")
    assert page.url == watched.origin + "/desk/signin"  # every desk page needs an editor's session
    visit("signin", page)
    before = len(smtp.to(address))
    page.get_by_label("Your email address").fill(address)
    page.get_by_role("button", name="Email me a sign-in link").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    visit("signin-sent", page)
    mail = smtp.wait_for_mail(address, before + 1)[before]
    link = re.search(r"http://\S+/desk/signin/\S+", mail.get_content()).group(0)
    page.goto(link)
    visit("signin-link", page)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/desk/stories/"))
    assert any(c["name"] == "signed_in" and c["value"] == "1" and c["httpOnly"]
               for c in watched.context.cookies(watched.origin))
    return page


def partner_pull(origin: str, key: str, since: str | None = None):
    url = origin + "/syndication/entries.atom" + (f"?since={since}" if since else "")
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        raw = answer.read()
    cursor = re.search(rb"<syndicate:cursor>(\d+)</syndicate:cursor>", raw).group(1).decode()
    return raw.decode(), cursor


def entries_of(newsroom, slug: str) -> list:
    return feedparser.parse(newsroom.client.get(f"/stories/{slug}/feed.atom").data).entries


# ---------------------------------------------------------------- an editor's day


def test_an_editors_day_at_the_desk(chromium, origin, smtp, runner, newsroom, yesterday):
    runner.invoke(args=["editors", "add", "ana", "--email", "ana@example.org"])
    key = last_line(runner.invoke(args=["partners", "add", "Partner Daily"]).output)
    watched = Watched(chromium, origin)
    try:
        page = sign_in(watched, smtp, "ana@example.org")
        assert page.url == f"{origin}/desk/stories/{yesterday}"

        # Start the next day: the day number and date move on, the standfirst carries over.
        page.get_by_role("link", name="Start the next day").click()
        today = datetime.now(TBILISI).date()
        title = page.get_by_label("Title")
        assert title.input_value() == f"Live updates: Day 40 of the war, {today.day} {today.strftime('%B %Y')}"
        assert page.get_by_label("Standfirst").input_value().startswith("Shelling, convoys and diplomacy")
        page.get_by_role("button", name="Start the day").click()
        slug = f"live-{today.isoformat()}"
        page.wait_for_url(f"{origin}/desk/stories/{slug}")

        # Compose: the preview and the gazetteer's warning appear while typing, before publishing.
        page.get_by_label("Headline").fill("Shelling reported near Shusha")
        body = page.get_by_label("Update", exact=True)
        body.fill("Residents spent the night in basements.\n\n- two houses damaged\n- **no casualties** reported")
        preview = page.locator("#preview")
        preview.get_by_text("Shusha appears without its other name", exact=False).wait_for()
        assert preview.locator("li strong").inner_text() == "no casualties"
        assert page.get_by_label("Nagorno-Karabakh").is_checked()  # the story's regions by default

        # The draft survives a reload (a dropped connection, a closed tab).
        page.reload()
        assert page.get_by_label("Headline").input_value() == "Shelling reported near Shusha"
        assert "two houses damaged" in page.get_by_label("Update", exact=True).input_value()

        # Ctrl+Enter publishes; a text the gazetteer warns about is asked about once ("Publish anyway?"),
        # and the answer publishes. The update is on the desk, the live page and in the feed at once.
        page.get_by_label("Update", exact=True).press("Control+Enter")
        page.get_by_role("heading", name="Publish anyway?").wait_for()
        assert entries_of(newsroom, slug) == []
        page.get_by_role("button", name="Publish anyway").click()
        page.wait_for_url(re.compile(r"published="))
        page.get_by_text("Published. It is on the live page now.").wait_for()
        uid = re.search(r"published=([0-9a-f-]+)", page.url).group(1)
        assert page.locator(f"#entry-{uid} h3").inner_text() == "Shelling reported near Shusha"
        page.reload()
        assert page.get_by_label("Headline").input_value() == ""  # the published draft is gone
        reader = watched.new_page()
        reader.goto(f"{origin}/stories/{slug}")
        assert reader.locator(f"#entry-{uid}").get_by_role("heading", name="Shelling reported near Shusha").is_visible()
        feed = feedparser.parse(urllib.request.urlopen(f"{origin}/stories/{slug}/feed.atom", timeout=10).read())
        assert [e.title for e in feed.entries] == ["Shelling reported near Shusha"]
        pulled, cursor = partner_pull(origin, key)
        assert f"urn:uuid:{uid}" in pulled

        # A double click publishes once.
        page.goto(f"{origin}/desk/stories/{slug}")
        page.get_by_label("Headline").fill("Convoy reaches Stepanakert")
        page.get_by_label("Update", exact=True).fill("Eleven lorries crossed the corridor.")
        page.get_by_role("button", name="Publish").dblclick()
        page.wait_for_url(re.compile(r"published="))
        page.get_by_text("Published. It is on the live page now.").wait_for()
        assert [e.title for e in entries_of(newsroom, slug)].count("Convoy reaches Stepanakert") == 1

        # Correct: the text is required, and shown dated.
        page.locator(f"#entry-{uid}").get_by_role("link", name=re.compile("^Correct")).click()
        page.get_by_label("Headline").fill("Shelling reported near Shusha (Shushi)")
        page.get_by_role("button", name="Publish the correction").click()
        assert page.get_by_label(re.compile("^Correction note")).evaluate("el => !el.validity.valid")
        page.get_by_label(re.compile("^Correction note")).fill("An earlier version gave only one name for the town.")
        page.get_by_role("button", name="Publish the correction").click()
        page.wait_for_url(re.compile(rf"/desk/stories/{slug}"))
        item = page.locator(f"#entry-{uid}")
        assert item.locator(".correction").inner_text().startswith("Correction, ")
        assert item.locator(".correction time").get_attribute("datetime")

        # Withdraw: the confirmation says partners will get a tombstone; the desk then shows the note.
        item.get_by_role("link", name=re.compile("^Withdraw")).click()
        assert page.get_by_text("They will receive a tombstone", exact=False).is_visible()
        page.get_by_label(re.compile("^Reason")).fill("Named a street where families shelter.")
        page.get_by_label(re.compile("^Public note")).fill("This update was removed to protect people it mentioned.")
        page.get_by_role("button", name="Withdraw this update").click()
        page.wait_for_url(re.compile(rf"/desk/stories/{slug}"))
        item = page.locator(f"#entry-{uid}")
        assert item.locator(".withdrawn-badge").inner_text() == "Withdrawn"
        assert "This update was removed to protect people it mentioned." in item.inner_text()

        reader.goto(f"{origin}/stories/{slug}")
        assert "Shelling reported near Shusha" not in reader.content()
        assert reader.get_by_text("This update was removed to protect people it mentioned.").is_visible()
        pulled, _ = partner_pull(origin, key, cursor)
        tombstone = re.search(rf'<at:deleted-entry ref="urn:uuid:{uid}"[^>]*>.*?</at:deleted-entry>', pulled, re.S)
        assert tombstone and "This update was removed to protect people it mentioned." in tombstone.group(0)

        page.get_by_role("link", name="Log").click()
        log = page.locator("ol.log").inner_text()
        for line in ("ana withdrew Shelling reported near Shusha (Shushi)", "ana corrected", "ana published",
                     "ana started"):
            assert line in log, log
        watched.check_clean()
    finally:
        watched.close()


def test_two_editors_correct_the_same_update(chromium, origin, smtp, runner, newsroom, yesterday):
    runner.invoke(args=["editors", "add", "ana", "--email", "ana@example.org"])
    runner.invoke(args=["editors", "add", "ben", "--email", "ben@example.org"])
    uid = newsroom.entry(yesterday, headline="Ministers to meet", body_text="Talks next week in Geneva.")["uid"]
    ana, ben = Watched(chromium, origin), Watched(chromium, origin, PHONE)
    try:
        pages = []
        for watched, address in ((ana, "ana@example.org"), (ben, "ben@example.org")):
            page = sign_in(watched, smtp, address)
            page.goto(f"{origin}/desk/entries/{uid}/correct")
            pages.append(page)
        ana_page, ben_page = pages
        ana_page.get_by_label("Update", exact=True).fill("Talks next week in Vienna.")
        ana_page.get_by_label(re.compile("^Correction note")).fill("The talks are in Vienna, not Geneva.")
        ana_page.get_by_role("button", name="Publish the correction").click()
        ana_page.wait_for_url(re.compile(r"/desk/stories/"))

        ben_page.get_by_label("Headline").fill("Ministers to meet in Geneva")
        ben_page.get_by_label(re.compile("^Correction note")).fill("Added the city.")
        ben_page.get_by_role("button", name="Publish the correction").click()
        alert = ben_page.get_by_role("alert")
        alert.wait_for()
        assert "changed since you opened it" in alert.inner_text()
        assert ben_page.get_by_label("Update", exact=True).input_value() == "Talks next week in Vienna."
        assert "Ministers to meet in Geneva" in ben_page.locator(".yours").inner_text()  # Ben's text, not lost
        SHOTS.mkdir(exist_ok=True)
        ben_page.screenshot(path=str(SHOTS / "conflict-390.png"), full_page=True)

        state = newsroom.client.get(f"/api/entries/{uid}", headers=newsroom.headers).json
        assert state["headline"] == "Ministers to meet" and state["body_html"] == "<p>Talks next week in Vienna.</p>"
        assert [c["text"] for c in state["corrections"]] == ["The talks are in Vienna, not Geneva."]
        ana.check_clean()
        ben.check_clean()
    finally:
        ana.close()
        ben.close()


# ---------------------------------------------------------------- the desk on a phone


def in_view(page, locator) -> bool:
    """Wholly inside the viewport, and the topmost element at its centre (nothing covers it)."""
    box = locator.bounding_box()
    size = page.viewport_size
    if box is None or box["x"] < 0 or box["y"] < 0 or box["x"] + box["width"] > size["width"] \
            or box["y"] + box["height"] > size["height"]:
        return False
    return locator.evaluate("(el, p) => el.contains(document.elementFromPoint(p.x, p.y))",
                            {"x": box["x"] + box["width"] / 2, "y": box["y"] + box["height"] / 2})


def test_the_desk_on_a_phone(chromium, origin, smtp, runner, newsroom, yesterday):
    runner.invoke(args=["editors", "add", "ana", "--email", "ana@example.org"])
    for n in range(6):  # a day with updates below the form, to scroll through
        newsroom.entry(yesterday, headline=f"Earlier update {n}", body_text="Reporting.\n\n" * 4)
    shots = Path("/tmp/shots/desk16")
    shots.mkdir(parents=True, exist_ok=True)
    watched = Watched(chromium, origin, PHONE)
    try:
        page = sign_in(watched, smtp, "ana@example.org")
        # Yesterday's day: the desk says where an update would go, and lists the days to move between.
        warning = page.locator("#past-day")
        assert "This update will be filed under" in warning.inner_text() and "not today’s live page" in \
            warning.inner_text()
        days = page.get_by_role("navigation", name="Days of this live blog").get_by_role("link")
        assert days.count() == 1 and days.first.get_attribute("aria-current") == "page"
        publish = page.locator("#publish-button")
        assert in_view(page, publish)

        page.get_by_label("Headline").fill("Shelling reported near Shusha")
        body = page.get_by_label("Update", exact=True)
        body.focus()
        body.fill("Residents spent the night in basements.\n\n" * 6 + "- two houses damaged")
        assert in_view(page, publish)
        # The preview and the gazetteer's warning appear directly under the text, above the bar.
        preview = page.locator("#preview")
        preview.get_by_text("Shusha appears without its other name", exact=False).wait_for()
        text_box, preview_box = body.bounding_box(), preview.bounding_box()
        assert preview_box["y"] >= text_box["y"] + text_box["height"] - 1
        preview.scroll_into_view_if_needed()
        assert in_view(page, publish)
        page.screenshot(path=str(shots / "day-typing-390.png"))
        for y in (400, 1200, 100_000):  # anywhere on the page, the bar stays
            page.evaluate("y => window.scrollTo(0, y)", y)
            assert in_view(page, publish), y
        page.screenshot(path=str(shots / "day-scrolled-390.png"))

        # Publish asks once about the warning; the question is on screen, and the answer publishes.
        publish.click()
        confirm = page.get_by_role("heading", name="Publish anyway?")
        confirm.wait_for()
        assert in_view(page, confirm) and in_view(page, page.locator("#publish-button"))
        assert page.get_by_label("Headline").input_value() == "Shelling reported near Shusha"
        page.screenshot(path=str(shots / "confirm-390.png"), full_page=True)
        assert entries_of(newsroom, yesterday)[0].title == "Earlier update 5"  # nothing new yet
        page.get_by_role("button", name="Publish anyway").click()
        page.wait_for_url(re.compile(r"published="))
        assert entries_of(newsroom, yesterday)[0].title == "Shelling reported near Shusha"

        # A typo fix from the phone: no public note, and the bar's buttons in view.
        uid = re.search(r"published=([0-9a-f-]+)", page.url).group(1)
        page.goto(f"{origin}/desk/entries/{uid}/correct")
        typo = page.get_by_role("button", name="Fix a typo (no public note)")
        assert in_view(page, typo)
        page.screenshot(path=str(shots / "correct-390.png"), full_page=True)
        page.get_by_label("Headline").fill("Shelling reported near Shusha (Shushi)")
        typo.click()
        page.wait_for_url(re.compile(rf"/desk/stories/{yesterday}"))
        assert page.locator(f"#entry-{uid} .correction").count() == 0
        watched.check_clean()
    finally:
        watched.close()


def test_the_preview_is_beside_the_text_on_a_wide_screen(chromium, origin, smtp, runner, newsroom, yesterday):
    runner.invoke(args=["editors", "add", "ana", "--email", "ana@example.org"])
    shots = Path("/tmp/shots/desk16")
    shots.mkdir(parents=True, exist_ok=True)
    watched = Watched(chromium, origin, DESKTOP)
    try:
        page = sign_in(watched, smtp, "ana@example.org")
        page.get_by_label("Headline").fill("Aid reaches Shusha")
        body = page.get_by_label("Update", exact=True)
        body.fill("Bread and **water** for 300 families.")
        preview = page.locator("#preview")
        preview.get_by_text("Shusha appears without its other name", exact=False).wait_for()
        text_box, preview_box = body.bounding_box(), preview.bounding_box()
        assert preview_box["x"] >= text_box["x"] + text_box["width"]  # beside, not under
        assert preview_box["y"] < text_box["y"] + text_box["height"]
        assert in_view(page, page.locator("#publish-button"))
        page.screenshot(path=str(shots / "day-1280.png"), full_page=True)
        page.locator("#publish-button").click()
        page.get_by_role("heading", name="Publish anyway?").wait_for()
        page.screenshot(path=str(shots / "confirm-1280.png"), full_page=True)
        uid = newsroom.entry(yesterday, headline="Talks", body_text="Ministers meet.")["uid"]
        page.goto(f"{origin}/desk/entries/{uid}/correct")
        page.screenshot(path=str(shots / "correct-1280.png"), full_page=True)
        watched.check_clean()
    finally:
        watched.close()


# ---------------------------------------------------------------- every desk page, desktop and phone


def desk_tour(page, origin: str, slug: str, uid: str):
    """(name, action) pairs that bring the page to each desk view."""
    return [
        ("day", lambda: page.goto(f"{origin}/desk/stories/{slug}")),
        ("preview", lambda: (page.goto(f"{origin}/desk/stories/{slug}"),
                             page.get_by_label("Headline").fill("Aid reaches Shusha"),
                             page.get_by_label("Update", exact=True).fill("Bread and **water** for 300 families."),
                             page.get_by_role("button", name="Check and preview").click(),
                             page.wait_for_load_state())),
        ("confirm", lambda: (page.goto(f"{origin}/desk/stories/{slug}"),
                             page.get_by_label("Headline").fill("Aid reaches Shusha"),
                             page.get_by_label("Update", exact=True).fill("Bread for 300 families."),
                             page.locator("#publish-button").click(),
                             page.get_by_role("heading", name="Publish anyway?").wait_for())),
        ("next-day", lambda: page.goto(f"{origin}/desk/stories/{slug}/next")),
        ("correct", lambda: page.goto(f"{origin}/desk/entries/{uid}/correct")),
        ("withdraw", lambda: page.goto(f"{origin}/desk/entries/{uid}/withdraw")),
        ("log", lambda: page.goto(f"{origin}/desk/log")),
    ]


def test_desk_pages_are_accessible_and_fit_a_phone(chromium, origin, smtp, runner, newsroom, yesterday):
    runner.invoke(args=["editors", "add", "ana", "--email", "ana@example.org"])
    uid = newsroom.entry(yesterday, headline="Power restored in Stepanakert (Khankandi)", key_event=True,
                         body_text="Engineers repaired a substation.\n\nLights came back at dawn.")["uid"]
    newsroom.patch(uid, correction="An earlier version gave the wrong district.")
    gone = newsroom.entry(yesterday, headline="Shelter address", body_text="x")["uid"]
    newsroom.withdraw(gone, reason="Safety", public_note="Removed for safety.")
    SHOTS.mkdir(exist_ok=True)
    problems: list[str] = []
    with_axe = axe.AXE.exists()

    for width, viewport in (("1280", DESKTOP), ("390", PHONE)):
        watched = Watched(chromium, origin, viewport)
        try:
            def visit(name, page):
                problems.extend(check_page(page, f"{name}-{width}", with_axe))

            page = sign_in(watched, smtp, "ana@example.org", visit)
            for name, action in desk_tour(page, origin, yesterday, uid):
                action()
                problems += check_page(page, f"{name}-{width}", with_axe)
            watched.check_clean()
        finally:
            watched.close()
    assert problems == [], "\n".join(problems)
    if not with_axe:
        pytest.skip(f"every check but axe-core's passed; axe-core is not installed at {axe.AXE}")


def check_page(page, name: str, with_axe: bool, shots: Path = SHOTS) -> list[str]:
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    problems = []

    def check(ok, message):
        if not ok:
            problems.append(f"{name}: {message}")

    levels = page.evaluate(HEADING_LEVELS)
    check(levels[:1] == [1] and levels.count(1) == 1, f"not exactly one h1 first: {levels}")
    check(all(b <= a + 1 for a, b in zip(levels, levels[1:])), f"heading levels skip: {levels}")
    check(page.locator("main").count() == 1, "not exactly one main landmark")
    # Dates outside <time>, except in story titles ("Day 40 of the war, 29 November 2026"), which are names.
    titles = page.evaluate(
        "() => Array.from(document.querySelectorAll('h1, a, p.hint, input')).map(e => e.textContent)")
    unwrapped = [d for d in page.evaluate(UNWRAPPED_DATES) if not any(d in t for t in titles)]
    check(unwrapped == [], f"dates outside <time>: {unwrapped}")
    check(page.evaluate(UNLABELLED_FIELDS) == [], f"unlabelled fields: {page.evaluate(UNLABELLED_FIELDS)}")
    check(page.evaluate(LOW_CONTRAST) == [], f"low contrast: {page.evaluate(LOW_CONTRAST)}")
    scroll, client = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    check(scroll <= client, f"scrolls sideways: {scroll} > {client}")
    forms = page.evaluate("""() => Array.from(document.forms).filter(f => f.method === 'post')
        .filter(f => !f.querySelector('input[name=csrf_token]')).map(f => f.action)""")
    check(forms == [], f"POST forms without a CSRF token: {forms}")
    if with_axe:
        found = axe.violations(page)
        check(found == [], f"axe-core: {found}")
    return problems


# ---------------------------------------------------------------- retries racing each other (a server, no browser)


def test_concurrent_retries_with_one_idempotency_key_make_one_entry(origin, newsroom, yesterday):
    """A client that retries before the first answer arrives: every copy gets the same answer, one entry exists."""
    import threading

    body = json.dumps({"headline": "Sent by an impatient client", "body_text": "Once."}).encode()
    headers = {**newsroom.headers, "Content-Type": "application/json", "Idempotency-Key": "impatient-1"}
    start = threading.Barrier(6)
    answers: list[tuple[int, dict]] = []

    def send():
        request = urllib.request.Request(f"{origin}/api/stories/{yesterday}/entries", data=body, headers=headers,
                                         method="POST")
        start.wait()
        with urllib.request.urlopen(request, timeout=30) as answer:
            answers.append((answer.status, json.loads(answer.read())))

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 6 and {status for status, _ in answers} == {201}
    assert len({json.dumps(answer, sort_keys=True) for _, answer in answers}) == 1
    assert [e.title for e in entries_of(newsroom, yesterday)] == ["Sent by an impatient client"]
