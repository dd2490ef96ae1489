"""The Russian pages in headless Chromium: axe-core finds nothing on /ru/ and a Russian live day, at a
phone's width and a desktop's, and nothing scrolls sideways. Screenshots go to /tmp/shots/lang17/."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from axe import violations
from browser import PHONE  # noqa: F401  (skips this module without a browser)
from servers import LiveServer, free_port

pytestmark = pytest.mark.slow
SHOTS = Path("/tmp/shots/lang17")
WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


@pytest.fixture
def app_config():
    return {"LANGUAGES": "en,ru"}


@pytest.fixture
def origin(app, runner):
    result = runner.invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    with LiveServer(app, free_port()) as server:
        yield server.url


def test_russian_pages_pass_axe_at_both_widths(chromium, origin, client):
    home = client.get("/ru/").get_data(as_text=True)
    live = re.search(r'href="/stories/(live-[0-9-]+-ru)"', home).group(1)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, path in (("home", "/ru/"), ("live-day", f"/stories/{live}"), ("archive", "/ru/archive/")):
        for size, viewport in WIDTHS.items():
            context = chromium.new_context(viewport=viewport, locale="ru-RU")
            try:
                page = context.new_page()
                assert page.goto(origin + path).status == 200
                assert page.evaluate("document.documentElement.lang") == "ru"
                assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], (path, size)
                page.screenshot(path=str(SHOTS / f"{name}-{viewport['width']}.png"), full_page=False)
                assert violations(page) == [], (path, size)
            finally:
                context.close()
