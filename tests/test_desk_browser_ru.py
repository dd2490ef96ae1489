"""The Russian desk in headless Chromium, at 1280 and 390 px: an editor whose browser says English picks Russian
on the sign-in page, signs in from the mail, and walks every desk page. Each page passes the English desk's
checks (one h1, heading order, labelled fields, contrast, no sideways scrolling, CSRF on every POST form,
axe-core's WCAG 2.1 AA rules); screenshots go to /tmp/shots/desk/.
"""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest

import axe
import browser  # noqa: F401  (skips this module without a browser)
from test_desk_browser import DESKTOP, PHONE, TBILISI, Watched, check_page, origin, port  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow

SHOTS = Path("/tmp/shots/desk")
EMAIL = "anna@example.org"


@pytest.fixture
def app_config(smtp, port):  # noqa: F811  (port: the fixture imported above)
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.port, "SITE_URL": f"http://127.0.0.1:{port}",
            "SIGNIN_RATE_LIMIT": "100 per minute", "LANGUAGES": "en,ru"}


@pytest.fixture
def coverage(newsroom, runner) -> dict:
    """Yesterday's Russian live day (a corrected key event, a withdrawal), and an English original with its
    Russian translation, which a correction to the original left for review."""
    runner.invoke(args=["editors", "add", "Анна", "--email", EMAIL])
    newsroom.region("karabakh", "Nagorno-Karabakh", covered=True, ru="Нагорный Карабах")
    newsroom.cli("gazetteer", "add", "Шуша", "Шуши")
    day = datetime.now(TBILISI).date() - timedelta(days=1)
    at = datetime.combine(day, time(9), tzinfo=TBILISI)
    newsroom.story(title="Прямой эфир: день 39 войны", slug="efir", kind="live", language="ru",
                   regions=["karabakh"], summary="День, как он шёл.", published_at=at.isoformat())
    first = newsroom.entry("efir", headline="В Степанакерте (Ханкенди) восстановили электричество", key_event=True,
                           body_text="Инженеры починили подстанцию.\n\nСвет дали на рассвете.",
                           byline="Анна Петросян", published_at=(at + timedelta(hours=1)).isoformat())
    newsroom.patch(first["id"], correction="В прежней версии был указан не тот район.")
    gone = newsroom.entry("efir", headline="Адрес убежища", body_text="Текст.",
                          published_at=(at + timedelta(hours=2)).isoformat())
    newsroom.withdraw(gone["id"], reason="Безопасность", public_note="Удалено ради безопасности.")
    newsroom.story(title="Coverage in English", slug="live-en", kind="live", regions=["karabakh"],
                   published_at=at.isoformat())
    newsroom.story(title="Эфир на русском", slug="live-en-ru", kind="live", language="ru", regions=["karabakh"],
                   published_at=at.isoformat(), translation_of="live-en")
    source = newsroom.entry("live-en", headline="Shelling at dawn", body_text="Reports from the town.",
                            published_at=(at + timedelta(hours=3)).isoformat())
    newsroom.entry("live-en", headline="Talks announced", body_text="Ministers will meet.",
                   published_at=(at + timedelta(hours=4)).isoformat())
    newsroom.entry("live-en-ru", headline="Обстрел на рассвете", body_text="Сообщения из города.",
                   translation_of=source["id"], published_at=(at + timedelta(hours=3)).isoformat())
    newsroom.patch(source["id"], correction="The shelling began at five.")
    newsroom.story(title="Только по-русски", slug="tolko", kind="article", language="ru")
    return {"first": first["uid"]}


def sign_in_in_russian(watched: Watched, smtp, visit):
    page = watched.page
    page.goto(watched.origin + "/desk/")
    assert page.url == watched.origin + "/desk/signin"
    assert page.locator("html").get_attribute("lang") == "en"  # the browser's en-GB is not asked
    page.get_by_role("button", name="Русский").click()
    page.get_by_role("heading", name="Вход в редакцию").wait_for()
    visit("signin", page)
    before = len(smtp.to(EMAIL))
    page.get_by_label("Ваш адрес электронной почты").fill(EMAIL)
    page.get_by_role("button", name="Прислать ссылку для входа").click()
    page.get_by_role("heading", name="Проверьте почту").wait_for()
    visit("signin-sent", page)
    mail = smtp.wait_for_mail(EMAIL, before + 1)[before]
    assert mail["Subject"].startswith("Вход в редакцию")
    page.goto(re.search(r"http://\S+/desk/signin/\S+", mail.get_content()).group(0))
    visit("signin-link", page)
    page.get_by_role("button", name="Войти", exact=True).click()
    page.wait_for_url(re.compile(r"/desk/stories/"))
    return page


def tour(page, origin: str, uid: str):
    """(name, action) pairs that bring the Russian desk to each of its views."""
    def compose(headline, body):
        page.goto(f"{origin}/desk/stories/efir")
        page.get_by_label("Заголовок").fill(headline)
        page.get_by_label("Текст обновления", exact=True).fill(body)

    def typed_preview():
        compose("Помощь дошла до Шуши", "Хлеб и **вода** для 300 семей.")
        # The script's words come from the page: the gazetteer's warning, in Russian, as the editor types.
        page.locator("#preview-warnings").get_by_text("Название Шуши дано без второго", exact=False).wait_for()

    def typed_clean_preview():
        compose("Помощь дошла", "Хлеб для 300 семей.")
        page.locator("#preview-warnings").get_by_text("Замечаний по топонимам нет.").wait_for()

    def refused():
        compose("Слишком глубоко", "> " * 20 + "текст")
        page.locator("#publish-button").click()
        page.locator("#body-error").wait_for()

    def confirm():
        compose("Помощь дошла до Шуши", "Хлеб для 300 семей.")
        page.locator("#publish-button").click()
        page.get_by_role("heading", name="Всё равно опубликовать?").wait_for()

    def published():
        page.get_by_role("button", name="Всё равно опубликовать").click()
        page.get_by_text("Опубликовано. Обновление уже на странице прямого эфира.").wait_for()

    return [
        ("day", lambda: page.goto(f"{origin}/desk/stories/efir")),
        ("preview-typed", typed_preview),
        ("preview-clean", typed_clean_preview),
        ("preview", lambda: (page.get_by_role("button", name="Предпросмотр").click(), page.wait_for_load_state())),
        ("error", refused),
        ("confirm", confirm),
        ("published", published),
        ("next-day", lambda: page.goto(f"{origin}/desk/stories/efir/next")),
        ("correct", lambda: page.goto(f"{origin}/desk/entries/{uid}/correct")),
        ("withdraw", lambda: page.goto(f"{origin}/desk/entries/{uid}/withdraw")),
        ("review", lambda: page.goto(f"{origin}/desk/stories/live-en-ru")),
        ("translate-update", lambda: (page.goto(f"{origin}/desk/stories/live-en-ru"),
                                      page.get_by_role("link", name=re.compile("^Перевести это обновление")).click(),
                                      page.locator("#source-entry").wait_for())),
        ("translate", lambda: page.goto(f"{origin}/desk/stories/tolko/translate/en")),
        ("log", lambda: page.goto(f"{origin}/desk/log")),
    ]


def test_russian_desk_pages_are_accessible_and_fit_a_phone(chromium, origin, smtp, coverage):  # noqa: F811
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with_axe = axe.AXE.exists()
    for width, viewport in (("1280", DESKTOP), ("390", PHONE)):
        watched = Watched(chromium, origin, viewport)
        try:
            def visit(name, page):
                assert page.locator("html").get_attribute("lang") == "ru", name
                problems.extend(check_page(page, f"{name}-{width}", with_axe, SHOTS))

            page = sign_in_in_russian(watched, smtp, visit)
            for name, action in tour(page, origin, coverage["first"]):
                action()
                visit(name, page)
            # Back to English with the same button, from the page the editor is on.
            page.get_by_role("button", name="English").click()
            page.get_by_role("heading", name="Log").wait_for()
            assert page.url.endswith("/desk/log") and page.locator("html").get_attribute("lang") == "en"
            watched.check_clean()
        finally:
            watched.close()
    assert problems == [], "\n".join(problems)
    if not with_axe:
        pytest.skip(f"every check but axe-core's passed; axe-core is not installed at {axe.AXE}")
