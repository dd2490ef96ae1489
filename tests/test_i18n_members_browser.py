"""The Russian member pages in headless Chromium, at a phone's width and a desktop's: axe-core finds
nothing, nothing scrolls sideways, and the forms lead on through Russian pages. Screenshots go to
/tmp/shots/members/.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from axe import violations
from browser import PHONE  # noqa: F401  (skips this module without a browser)
from conftest import member_token
from servers import LiveServer, free_port

pytestmark = pytest.mark.slow

SHOTS = Path("/tmp/shots/members")
WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
READER = "chitatel@example.org"


@pytest.fixture
def app_config():
    return {"LANGUAGES": "en,ru", "STRIPE_SECRET_KEY": "sk_test_unused",
            "STRIPE_API_BASE": f"http://127.0.0.1:{free_port()}", "STRIPE_TIMEOUT": 2}


@pytest.fixture
def origin(app, runner, newsroom):
    for slug, name in (("abkhazia", "Абхазия"), ("south-ossetia", "Южная Осетия")):
        newsroom.region(slug, name)
    newsroom.story(slug="koridor", title="Гуманитарный коридор", kind="live", language="ru", regions=["abkhazia"])
    newsroom.entry("koridor", headline="Грузовики пересекают границу", body_text="Репортаж с места.")
    for args in (("--name", "Supporter", "--translated-name", "ru=Сторонник", "--price", "price_month",
                  "--amount", "500", "--currency", "eur", "--interval", "month"),
                 ("--name", "Sustainer", "--translated-name", "ru=Меценат", "--price", "price_year",
                  "--amount", "5000", "--currency", "eur", "--interval", "year")):
        assert runner.invoke(args=["tiers", "add", *args]).exit_code == 0
    member_token(runner, READER)
    with LiveServer(app, free_port()) as server:
        yield server.url


def links(app) -> dict[str, str]:
    from syndicate.extensions import db
    from syndicate.members.tokens import make_join_token, make_signin_token
    from syndicate.models import Member

    with app.app_context():
        member = db.session.scalar(db.select(Member.id).where(Member.email == READER))
        found = {"continue": "/ru/join/continue?token=" + make_join_token("novyi@example.org", 1),
                 "signin-link": "/ru/signin/" + make_signin_token(member, "signin")}
        db.session.remove()
    return found


def check(page, name: str, viewport: dict) -> None:
    """The page is Russian, fits the screen, passes axe; a screenshot of all of it for a person to look at."""
    assert page.evaluate("document.documentElement.lang") == "ru", name
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], name
    page.screenshot(path=str(SHOTS / f"{name}-{viewport['width']}.png"), full_page=True)
    assert violations(page) == [], name


@pytest.mark.parametrize("size", WIDTHS)
def test_russian_member_pages_pass_axe_and_fit(app, chromium, origin, size):
    SHOTS.mkdir(parents=True, exist_ok=True)
    viewport = WIDTHS[size]
    mailed = links(app)
    context = chromium.new_context(viewport=viewport, locale="ru-RU")
    try:
        page = context.new_page()
        for name, path, status in (("join", "/ru/join", 200), ("join-continue", mailed["continue"], 200),
                                   ("join-continue-expired", "/ru/join/continue?token=old", 400),
                                   ("join-success", "/ru/join/success?session_id=cs_test_x", 200),
                                   ("signin", "/ru/signin", 200),
                                   ("signin-link-expired", "/ru/signin/old", 400)):
            assert page.goto(origin + path).status == status, name
            check(page, name, viewport)

        # The forms, as a reader fills them in: each answer is a Russian page.
        page.goto(origin + "/ru/join")
        page.get_by_label("Ваш адрес электронной почты").fill("novyi@example.org")
        with page.expect_navigation():
            page.get_by_role("button", name="Прислать ссылку для продолжения").click()
        assert page.url == origin + "/ru/join"
        check(page, "join-sent", viewport)

        page.goto(origin + "/ru/join")
        page.get_by_label("Ваш адрес электронной почты").fill("not an address")  # the browser's own check
        page.evaluate("document.querySelector('form[action=\"/ru/join\"]').noValidate = true")
        with page.expect_navigation():
            page.get_by_role("button", name="Прислать ссылку для продолжения").click()
        assert page.get_by_text("Укажите адрес электронной почты").is_visible()
        check(page, "join-error", viewport)

        page.goto(origin + "/ru/signin")
        page.get_by_label("Ваш адрес электронной почты").fill(READER)
        with page.expect_navigation():
            page.get_by_role("button", name="Прислать ссылку для входа").click()
        check(page, "signin-sent", viewport)

        page.goto(origin + mailed["signin-link"])
        check(page, "signin-link", viewport)
        with page.expect_navigation():
            page.get_by_role("button", name="Войти").click()
        assert page.url == origin + "/ru/account"
        for group in page.locator("details.feed-group").all():  # opened: every field is checked and shown
            group.evaluate("d => d.open = true")
        check(page, "account", viewport)
        copy = page.get_by_role("button", name="Копировать адрес: Всё, что мы публикуем (Atom)")
        assert copy.is_visible()
    finally:
        context.close()
