"""Pictures in a real browser: loaded from the site itself, lazily, never wider than the screen, accessible."""
from __future__ import annotations

from pathlib import Path

import pytest

from axe import violations
from browser import PHONE  # skips this module without a browser
from test_browser import DESKTOP, browse, live_server  # noqa: F401  (fixtures)
from test_entry_media import picture

pytestmark = pytest.mark.slow
SHOTS = Path("/tmp/shots/entry16")


@pytest.fixture
def pictured(client, newsroom) -> str:
    lead = picture(client, newsroom.headers, size=(2400, 1200), alt="Lorries queue at the crossing",
                   caption="The first convoy of the day", credit="Staff photographer")
    inline = picture(client, newsroom.headers, size=(1600, 900), colour=(160, 60, 40), alt="A map of the route")
    newsroom.story(title="Convoy reaches the city", slug="convoy", kind="live", summary="The day in brief.")
    newsroom.entry("convoy", headline="Aid convoy reaches the city", image=lead["id"], byline="Staff reporter",
                   body_html=f'<p>Eleven lorries crossed at dawn.</p><figure><img src="{inline["url"]}" '
                             f'alt="A map of the route"><figcaption>The route</figcaption></figure>')
    return "/stories/convoy"


@pytest.mark.parametrize("viewport", [DESKTOP, {"width": 390, "height": 844}, PHONE], ids=["1280", "390", "375"])
def test_pictures_load_from_the_site_fit_the_screen_and_pass_axe(browse, pictured, live_server, viewport):
    visit = browse.open(pictured, viewport=viewport)
    page = visit.page
    images = page.locator("main img")
    assert images.count() == 2
    for index in range(images.count()):
        img = images.nth(index)
        img.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())
        assert img.get_attribute("loading") == "lazy"
    page.wait_for_load_state("networkidle")
    widths = page.evaluate("[...document.querySelectorAll('main img')].map(i => i.getBoundingClientRect().right)")
    client_width = page.evaluate("document.documentElement.clientWidth")
    assert all(right <= client_width for right in widths), (widths, client_width)
    assert page.evaluate("document.documentElement.scrollWidth") <= client_width
    # The browser picked a size from srcset, not always the widest.
    chosen = page.evaluate("document.querySelector('.lead-image img').currentSrc")
    assert chosen.startswith(live_server + "/media/")
    if viewport["width"] < 500:
        assert not chosen.endswith("/1600.jpg")
    foreign = [url for url in visit.requests if not url.startswith(live_server + "/")]
    assert foreign == [] and visit.failures == []
    assert page.locator(".byline").inner_text() == "By Staff reporter"
    assert violations(page) == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / f"story-{viewport['width']}.png"), full_page=True)
