"""The demo newsroom: it loads once, tells a newcomer the way in, and its copy agrees with its clock."""
from __future__ import annotations

import email
import email.policy
import re
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import feedparser
import pytest
from sqlalchemy import func, select

from servers import wait_for
from syndicate import timeutil
from syndicate.demo import DEMO_EDITOR_EMAIL, SAMPLE_MEMBER, SERIES, load_demo
from syndicate.extensions import db
from syndicate.members.service import all_tiers
from syndicate.models import Correction, Editor, Entry, Member, NamingNote, Place, Region, Story, Tier

TBILISI = ZoneInfo("Asia/Tbilisi")
ANALYSIS = "Analysis: what the corridor means for the winter"  # the demo's members-only article

# A part of the day an update may speak of only once it has begun (local hour).
BEGINS = {"morning": 5, "afternoon": 12, "evening": 17, "tonight": 17}


def run_demo(runner) -> str:
    result = runner.invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    return result.output


def counts(app) -> tuple[int, ...]:
    models = (Story, Entry, Correction, NamingNote, Region, Place, Tier, Member, Editor)
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in models)


def after(label: str, output: str) -> str:
    """The text printed after a label, on its line."""
    match = re.search(re.escape(label) + r"\s*(\S+)", output)
    assert match, f"{label!r} not in:\n{output}"
    return match.group(1)


def mail_text(path: Path) -> str:
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default).get_content()


def local_path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_demo_loads_once_and_prints_the_way_in(app, client, runner):
    first = run_demo(runner)
    loaded = counts(app)
    assert loaded[0] >= 8 and loaded[1] >= 20 and loaded[6] == 2 and loaded[7] == 1 and loaded[8] == 1
    second = run_demo(runner)
    assert "nothing added" in second
    assert counts(app) == loaded

    # The sample member's private feed: printed both times (the current token), and it works.
    feed_url = after("private feed:", first)
    assert after("private feed:", second) == feed_url
    assert feed_url.startswith(app.config["SITE_URL"] + "/feeds/")
    members_feed = feedparser.parse(client.get(local_path(feed_url)).data)
    public_feed = feedparser.parse(client.get(urlsplit(feed_url).path).data)
    assert not members_feed.bozo and not public_feed.bozo
    member_titles = {e.title for e in members_feed.entries}
    public_titles = {e.title for e in public_feed.entries}
    assert ANALYSIS in member_titles and ANALYSIS not in public_titles
    assert len(member_titles) > len(public_titles)  # the older days too, beyond the public window
    for item in members_feed.entries:  # what the real clock loaded is consistent too
        assert item.published_parsed <= item.updated_parsed
        assert item.updated_parsed[:6] <= datetime.now(timezone.utc).utctimetuple()[:6]

    # Signing in as them: /signin, their address, and the link lands in the outbox the console names.
    outbox = Path(app.instance_path) / "outbox"
    assert str(outbox) in first and str(outbox) in second
    assert f"{app.config['SITE_URL']}/signin and give {SAMPLE_MEMBER}" in first
    form = client.get("/signin").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    assert client.post("/signin", data={"email": SAMPLE_MEMBER, "csrf_token": csrf}).status_code == 200
    # The outbox sends after the request: wait for the file rather than expect it at once.
    mails = wait_for(lambda: list(outbox.glob("*.eml")), what="the sign-in mail in the outbox")
    assert len(mails) == 1
    link = re.search(re.escape(app.config["SITE_URL"]) + r"(/signin/\S+)", mail_text(mails[0])).group(1)
    page = client.get(link).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post(link, data={"csrf_token": csrf}).status_code == 303
    assert SAMPLE_MEMBER in client.get("/account").get_data(as_text=True)

    # An editor token on the first run (it is shown once), the command to make one afterwards.
    token = re.search(r"^\s+(ed_\S+)$", first, re.M).group(1)
    assert client.post("/api/stories", json={}, headers={"Authorization": f"Bearer {token}"}).status_code == 422
    assert client.post("/api/stories", json={}).status_code == 401
    assert "ed_" not in second and "syndicate editors add" in second

    # The desk is named, with the command that gives an editor the address they sign in with.
    for output in (first, second):
        assert f"{app.config['SITE_URL']}/desk/" in output
        assert "syndicate editors add NAME --email ADDRESS" in output
        assert "\x1b" not in output and "\\x1b" not in output


def test_join_shows_the_demo_tiers_without_stripe(app, client, runner):
    run_demo(runner)
    with app.app_context():
        tiers = [(t.name, t.amount, t.currency, t.interval, t.price_id) for t in all_tiers()]
    assert tiers == [("Supporter", 500, "eur", "month", "price_demo_monthly"),
                     ("Sustainer", 5000, "eur", "year", "price_demo_yearly")]
    assert not app.config.get("STRIPE_SECRET_KEY")
    page = client.get("/join")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page.get_data(as_text=True)))
    assert page.status_code == 200
    assert "Supporter: 5.00 EUR a month" in text and "Sustainer: 50.00 EUR a year" in text
    assert "Payments are not configured" in text


def check_clock(now: datetime) -> list[date]:
    """Assert the loaded demo never contradicts `now`; returns the series' days, oldest first."""
    entries = list(db.session.scalars(select(Entry)))
    assert entries
    for entry in entries:
        local = entry.published_at.astimezone(TBILISI)
        assert entry.published_at <= entry.updated_at <= now, entry.headline
        assert entry.day == local.date()
        for correction in entry.corrections:
            assert entry.published_at <= correction.created_at <= entry.updated_at
        if entry.withdrawn_at:
            assert entry.published_at <= entry.withdrawn_at <= now
        text = f"{entry.headline} {entry.body_text}".lower()
        for word, hour in BEGINS.items():
            if word in text:
                assert local.hour >= hour, f"{entry.headline!r} at {local:%H:%M} speaks of the {word}"

    # Not everything was "updated" at load time: most entries were never changed after publication.
    assert sum(e.updated_at == e.published_at for e in entries) >= len(entries) - 3

    for story in db.session.scalars(select(Story)):
        own = [e for e in entries if e.story_id == story.id]
        assert own, story.slug
        # "Published" never stands above an earlier update.
        assert story.published_at <= min(e.published_at for e in own)
        assert story.updated_at == max(e.updated_at for e in own) <= now

    series = list(db.session.scalars(select(Story).where(Story.series == SERIES).order_by(Story.published_at)))
    days = [s.published_at.astimezone(TBILISI).date() for s in series]
    for story, day in zip(series, days):
        assert {e.day for e in entries if e.story_id == story.id} == {day}
        assert story.slug == f"live-{day.isoformat()}"
    assert days == [days[0] + timedelta(days=n) for n in range(len(days))], "a day of the series is missing"
    numbers = [int(re.search(r"Day (\d+)", s.title).group(1)) for s in series]
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    return days


# A fixed day in the past, so the wall clock (its date and its hour) plays no part.
DAY = date(2026, 11, 4)


@pytest.mark.parametrize("hhmm, newest_is_today, updates_today", [
    ("02:00", False, 0),   # before the day's first update: the series ends yesterday, shown in full
    ("07:33", False, 0),   # the first update is due but not yet five minutes old
    ("07:36", True, 1),
    ("14:00", True, 4),
    ("23:00", True, 7),
])
def test_the_demo_agrees_with_its_clock_whenever_it_is_loaded(app, hhmm, newest_is_today, updates_today):
    now = datetime.combine(DAY, time.fromisoformat(hhmm), tzinfo=TBILISI)
    with app.app_context():
        assert app.config["TZ"] == TBILISI
        load_demo(now)
        days = check_clock(now)
        assert days[-1] == (DAY if newest_is_today else DAY - timedelta(days=1))
        on_today = db.session.scalar(select(func.count()).select_from(Entry).where(Entry.day == DAY))
        assert on_today == updates_today
        assert timeutil.local_day(now) == DAY


def test_the_demo_editor_signs_in_at_the_desk(app, client, runner):
    from test_desk import form_values

    output = run_demo(runner)
    site = app.config["SITE_URL"]  # the demo's own address, as it printed
    address = after(f"open {site}/desk/signin and give", output)
    assert address == DEMO_EDITOR_EMAIL
    assert ">Sign in</a></li>" in client.get("/").get_data(as_text=True)
    form = client.get("/desk/signin").get_data(as_text=True)
    assert client.post("/desk/signin", data={"email": address, **form_values(form)}).status_code == 200
    outbox = Path(app.instance_path) / "outbox"
    mails = wait_for(lambda: list(outbox.glob("*.eml")), what="the desk sign-in mail")
    link = re.search(re.escape(site) + r"(/desk/signin/\S+)", mail_text(mails[0])).group(1)
    page = client.get(link).get_data(as_text=True)
    assert client.post(link, data=form_values(page)).status_code == 303
    desk = client.get("/desk/", follow_redirects=True)
    assert desk.status_code == 200 and desk.request.path.startswith("/desk/stories/")
    nav = client.get("/").get_data(as_text=True).split('<nav aria-label="Site">')[1].split("</nav>")[0]
    assert "Desk</a>" in nav and "Sign in" not in nav


# The demo served in a process of its own, its console as a newcomer has it: stdout piped, stderr a terminal.
SERVE_DEMO = """
import sys
from flask.cli import ScriptInfo
from syndicate import create_app
from syndicate.cli import demo_command
info = ScriptInfo(create_app=lambda: create_app(instance_path=sys.argv[1]))
demo_command.main(args=["--port", sys.argv[2]], obj=info, prog_name="syndicate demo")
"""


@pytest.mark.slow
def test_the_served_demo_prints_colours_only_to_a_terminal_and_the_way_in(tmp_path):
    import http.cookiejar
    import os
    import pty
    import signal
    import subprocess
    import sys
    import threading
    import urllib.error
    import urllib.parse
    import urllib.request

    from servers import ROOT, free_port

    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNDICATE_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    master, terminal = pty.openpty()
    stdout_path = tmp_path / "stdout.txt"
    with open(stdout_path, "wb") as stdout:
        demo = subprocess.Popen([sys.executable, "-c", SERVE_DEMO, str(tmp_path / "instance"), str(port)],
                                env=env, cwd=tmp_path, stdout=stdout, stderr=terminal, stdin=subprocess.DEVNULL)
    os.close(terminal)
    seen = bytearray()

    def read_terminal():
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the demo has ended: its end of the terminal is closed
                return
            if not chunk:
                return
            seen.extend(chunk)

    reader = threading.Thread(target=read_terminal, daemon=True)
    reader.start()
    try:
        def up():
            try:
                with urllib.request.urlopen(origin + "/", timeout=5) as answer:
                    return answer.status == 200
            except OSError:
                return demo.poll() is not None and pytest.fail(stdout_path.read_text() + seen.decode())
        wait_for(up, timeout=90, what="the demo to serve")
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(origin + "/no-such-page?token=abc", timeout=5)
        missing.value.close()
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        with browser.open(origin + "/signin", timeout=5) as answer:
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', answer.read().decode()).group(1)
        form = urllib.parse.urlencode({"email": SAMPLE_MEMBER, "csrf_token": csrf}).encode()
        with browser.open(origin + "/signin", data=form, timeout=5) as answer:
            assert answer.status == 200
        printed = wait_for(lambda: re.search(r"open: (\S+/signin/\S+)", stdout_path.read_text()),
                           what="the sign-in link on the console")
        wait_for(lambda: b"/no-such-page" in seen, what="the request log")
    finally:
        demo.send_signal(signal.SIGINT)
        try:
            demo.wait(timeout=15)
        except subprocess.TimeoutExpired:
            demo.kill()
            demo.wait()
        reader.join(5)
        os.close(master)

    # The link printed is the one that signs in: its page offers the button.
    link = printed.group(1)
    assert link.startswith(origin + "/signin/")
    out = stdout_path.read_text()
    assert f"Mail to {SAMPLE_MEMBER}" in out and str(tmp_path / "instance" / "outbox") in out
    # The pipe holds plain text: no colour codes, and none escaped into visible litter.
    assert "\x1b" not in out and "\\x1b" not in out
    # The terminal gets real colours (the 404 in yellow), and never escaped ones; tokens stay scrubbed.
    log = seen.decode(errors="replace")
    line = next(line for line in log.splitlines() if "/no-such-page" in line)
    assert "\x1b[33m" in line and "\\x1b" not in log, log
    assert "token=[scrubbed]" in line and "abc" not in line
    assert "/signin/[scrubbed]" not in out  # stdout shows the link whole; the log never shows it
    assert link.rsplit("/", 1)[1] not in log
