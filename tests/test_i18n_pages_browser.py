"""Every Russian page kind in headless Chromium, at a phone's width (390 px) and a desktop's (1280 px):
lang="ru", axe-core finds no WCAG 2.1 A/AA violation, nothing scrolls sideways, and the header fits its
longer Russian words. Screenshots go to /tmp/shots/pages/ (<kind>-<width>.png)."""
from __future__ import annotations

from pathlib import Path

import pytest

from axe import violations
from browser import CHROMIUM  # noqa: F401  (skips this module without a browser)
from servers import LiveServer, free_port
from test_i18n_pages import app_config, russian  # noqa: F401  (the same Russian newsroom)

pytestmark = pytest.mark.slow
SHOTS = Path("/tmp/shots/pages")
WIDTHS = ({"width": 390, "height": 844}, {"width": 1280, "height": 900})


@pytest.fixture
def origin(app, russian):
    with LiveServer(app, free_port()) as server:
        yield server.url


def page_kinds(russian) -> dict[str, tuple[str, int]]:
    uid = russian["made"]["Эвакуация жителей"]["uid"]
    return {
        "home": ("/ru/", 200),
        "live": ("/stories/efir-2", 200),
        "live-page-2": ("/stories/efir-2?page=2", 200),
        "permalink": (f"/stories/efir-2/updates/{uid}", 200),
        "article": ("/stories/statya", 200),
        "ended-members-day": ("/stories/efir-1", 200),
        "archive": ("/ru/archive/", 200),
        "day": (f"/ru/archive/{russian['live_day']}", 200),
        "members-day": (f"/ru/archive/{russian['old_day']}", 200),
        "feeds": ("/ru/feeds", 200),
        "story-feeds": ("/ru/feeds?story=efir-2", 200),
        "search": ("/ru/search?q=обстрел", 200),
        "search-none": ("/ru/search?q=абракадабра", 200),
        "search-gated": ("/ru/search?q=взрывах", 200),
        "not-found": ("/ru/no-such-page", 404),
        "members-only": (f"/ru/archive/{russian['old_day']}.atom", 401),
    }


def check(chromium, origin: str, name: str, path: str, status: int, viewport: dict, storage=None,
          shows: str | None = None) -> None:
    context = chromium.new_context(viewport=viewport, locale="ru-RU", timezone_id="Asia/Tbilisi",
                                   storage_state=storage)
    try:
        page = context.new_page()
        response = page.goto(origin + path, wait_until="load")
        assert response is not None and response.status == status, (path, response and response.status)
        assert page.evaluate("document.documentElement.lang") == "ru", path
        if shows is not None:
            assert shows in page.inner_text("main"), (path, shows)
        width = viewport["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (path, width, "scrolls sideways")
        # The site's navigation keeps to the width of the page, however long its Russian words.
        overflow = page.evaluate("""() => [...document.querySelectorAll('header.site a, header.site button')]
            .filter(a => a.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
            .map(a => a.textContent.trim())""")
        assert overflow == [], (path, width)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
        assert violations(page) == [], (path, width)
    finally:
        context.close()


@pytest.mark.parametrize("viewport", WIDTHS, ids=lambda v: str(v["width"]))
def test_russian_pages_pass_axe_and_fit_the_screen(chromium, origin, russian, viewport):
    for name, (path, status) in page_kinds(russian).items():
        check(chromium, origin, name, path, status, viewport)


def test_a_members_russian_feeds_page(chromium, origin, runner, client):
    """Signed in as a member, in the browser as a member signs in: the private addresses, in Russian."""
    from conftest import sign_in

    sign_in(client, runner)
    cookies = [{"name": c.key, "value": c.value, "url": origin} for c in client._cookies.values()]
    storage = {"cookies": cookies, "origins": []}
    for size in WIDTHS:
        check(chromium, origin, "feeds-member", "/ru/feeds", 200, size, storage, shows="Это ваши личные адреса")
