"""The desk in Russian (SYNDICATE_LANGUAGES=en,ru): an editor picks the desk's language, and every desk page,
message, form error and the sign-in mail then speaks it; the English desk is untouched.

Each page is checked twice: no marked English string is left on it (english_left) and no run of Latin
words that nobody marked is either (latin_runs). The test's own content is written in Russian, so any
Latin run found is the interface's; the few Latin words a page may hold are named where they are allowed.
"""
from __future__ import annotations

import email
import email.policy
import io
import re
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from PIL import Image

from catalogue import english_left, latin_runs, page_language
from servers import wait_for
from test_desk import TBILISI, add_editor, form_values, mailed_links
from test_desk_phone import multipart
from syndicate.desk.work import REMOVED_SENTENCE, REMOVED_TITLE

EMAIL = "anna@example.org"
SITE_NAME = "syndicate demo newsroom"
# Names of picture formats, written the same in Russian (as RSS and Atom are, in catalogue.LATIN_ALLOWED).
FORMATS = {"JPEG", "PNG", "WebP", "HEIC"}


@pytest.fixture
def app_config():
    return {"LANGUAGES": "en,ru"}


def russian(page: str, allowed: set[str] = frozenset()) -> str:
    """Assert a desk page is wholly in Russian (but for `allowed`) and say so in its <html>; give it back."""
    assert page_language(page) == "ru", page[:300]
    assert english_left(page) == []
    assert latin_runs(page, {SITE_NAME, *FORMATS, *allowed}) == []
    return page


def choose(client, lang: str, page: str, back: str):
    """Press the desk's language button on a page: the answer goes back to `back`."""
    csrf = form_values(page)["csrf_token"]
    return client.post("/desk/language", data={"csrf_token": csrf, "lang": lang, "next": back})


def mails(app) -> list[email.message.EmailMessage]:
    outbox = Path(app.instance_path) / "outbox"
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted(outbox.glob("*.eml"))] if outbox.exists() else []


def picture() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 120, 40)).save(out, "JPEG")
    return out.getvalue()


def ok(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code, response.location)
    return response.get_data(as_text=True)


@pytest.fixture
def yesterday() -> datetime:
    day = datetime.now(TBILISI).date() - timedelta(days=1)
    return datetime.combine(day, time(9), tzinfo=TBILISI)


@pytest.fixture
def newsroom_ru(newsroom, yesterday):
    """Yesterday's Russian live day with a key event, a correction, an embargo, a withdrawal and a picture-less
    byline; a Russian story with no English version; and an English original whose Russian translation needs review."""
    newsroom.region("karabakh", "Nagorno-Karabakh", covered=True, ru="Нагорный Карабах")
    newsroom.cli("gazetteer", "add", "Шуша", "Шуши")
    day = yesterday.date()
    months = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября",
              "ноября", "декабря"]
    title = f"Прямой эфир: день 39 войны, {day.day} {months[day.month - 1]} {day.year}"
    newsroom.story(title=title, slug="efir", kind="live", language="ru", regions=["karabakh"],
                   summary="День, как он шёл.", published_at=yesterday.isoformat())
    at = lambda hour: yesterday.replace(hour=hour).isoformat()  # noqa: E731
    first = newsroom.entry("efir", headline="Гуманитарный конвой прибыл в Степанакерт (Ханкенди)", key_event=True,
                           body_text="Сорок грузовиков с хлебом и водой.", byline="Анна Петросян",
                           published_at=at(10))
    newsroom.patch(first["id"], correction="В прежней версии было неверно указано число грузовиков.")
    newsroom.entry("efir", headline="Переговоры на следующей неделе", body_text="Встреча министров.",
                   embargo_until=(datetime.now(TBILISI) + timedelta(days=2)).isoformat(), syndicate=False,
                   published_at=at(11))
    gone = newsroom.entry("efir", headline="Адрес убежища", body_text="Текст.", published_at=at(12))
    newsroom.withdraw(gone["id"], reason="Опасность для семей", public_note="Удалено ради безопасности.")
    newsroom.story(title="Только по-русски", slug="tolko", kind="article", language="ru",
                   summary="Статья без английской версии.")
    newsroom.entry("tolko", headline="Только по-русски", body_text="Текст статьи.")
    # An English original: its headline and text are the editors' English content on the Russian desk.
    newsroom.story(title="Coverage in English", slug="live-en", kind="live", regions=["karabakh"],
                   published_at=yesterday.isoformat())
    newsroom.story(title="Эфир на русском", slug="live-en-ru", kind="live", language="ru", regions=["karabakh"],
                   published_at=yesterday.isoformat(), translation_of="live-en")
    source = newsroom.entry("live-en", headline="Shelling at dawn", body_text="Reports from the town.",
                            published_at=at(13))
    newsroom.entry("live-en", headline="Talks announced", body_text="Ministers will meet.", published_at=at(14))
    translated = newsroom.entry("live-en-ru", headline="Обстрел на рассвете", body_text="Сообщения из города.",
                                translation_of=source["id"], published_at=at(13))
    newsroom.patch(source["id"], correction="The shelling began at five.")
    return {"first": first["uid"], "gone": gone["uid"], "translated": translated["uid"]}


def sign_in_in_russian(app, client, runner) -> dict[str, str]:
    """Switch the sign-in page to Russian, ask for the link, open it, press its button: each page on the way."""
    add_editor(runner, name="Анна", address=EMAIL)
    english = ok(client, "/desk/signin")
    assert page_language(english) == "en" and "Sign in to the desk" in english
    switched = choose(client, "ru", english, "/desk/signin")
    assert switched.status_code == 303 and switched.location.endswith("/desk/signin")
    pages = {"signin": ok(client, "/desk/signin")}
    sent = client.post("/desk/signin", data={"email": EMAIL, **form_values(pages["signin"])})
    assert sent.status_code == 200
    pages["signin-sent"] = sent.get_data(as_text=True)
    link = wait_for(lambda: mailed_links(app), what="the desk sign-in mail")[0]
    pages["signin-link"] = ok(client, link)
    assert client.post(link, data=form_values(pages["signin-link"])).status_code == 303
    pages["signin-spent"] = client.get(link).get_data(as_text=True)
    return pages


def test_the_whole_desk_in_russian(app, client, runner, newsroom):
    pages = sign_in_in_russian(app, client, runner)
    assert "Вход в редакцию" in pages["signin"] and "Прислать ссылку для входа" in pages["signin"]
    assert "Проверьте почту" in pages["signin-sent"]
    assert "Анна" in pages["signin-link"] and "Войти" in pages["signin-link"]
    assert "Запросите новую" in pages["signin-spent"]
    for page in pages.values():
        russian(page)
    # The sign-in mail is in the language the sign-in page was in.
    mail = mails(app)[-1]
    assert mail["Subject"] == f"Вход в редакцию {SITE_NAME}"
    text = mail.get_content()
    assert "Здравствуйте, Анна!" in text and "Вот ваша ссылка для входа в редакцию" in text
    words = re.sub(r"http://\S+", " ", text)  # the link is the one Latin part
    assert latin_runs(f"<html><body><p>{words}</p></body></html>", {SITE_NAME}) == []

    # No live blog yet: the desk's home says how to start one.
    empty = client.get("/desk/", follow_redirects=True).get_data(as_text=True)
    assert "Прямого эфира пока нет" in russian(empty)


def test_every_desk_page_in_russian(app, client, runner, newsroom, newsroom_ru):
    sign_in_in_russian(app, client, runner)
    first = newsroom_ru["first"]

    day = russian(ok(client, "/desk/stories/efir"))
    for words in ("Новое обновление", "Ключевое событие", "Поправка, <time", "Снято с публикации",
                  "Эмбарго для партнёров до", "Не для партнёров", "Автор: Анна Петросян", "Вы вошли как Анна",
                  "Это обновление попадёт в день", "Обновления за этот день (3)", "Опубликовать",
                  'class="inline">Нагорный Карабах</label>'):
        assert words in day, words
    assert re.search(r"Поправка, <time[^>]*>\d{1,2} [а-я]+ \d{4}, \d\d:\d\d GMT\+4</time>", day)
    assert 'data-no-headline="(заголовка пока нет)"' in day and 'data-no-warnings="Замечаний по топонимам нет."' in day
    assert 'data-too-large="Снимок больше 20 МБ: выберите снимок поменьше."' in day

    # Form errors, the gazetteer's question, a preview with a picture attached, and the flash after publishing.
    hidden = form_values(day)
    refused = client.post("/desk/stories/efir/entries", data={**hidden, "headline": "", "body": ""})
    assert refused.status_code == 422
    assert "Напишите заголовок." in russian(refused.get_data(as_text=True))
    embargo = client.post("/desk/stories/efir/entries", data={**hidden, "headline": "Заголовок", "body": "Текст.",
                                                              "embargo": "завтра"})
    assert "Укажите окончание эмбарго датой и временем" in russian(embargo.get_data(as_text=True))
    asked = client.post("/desk/stories/efir/entries", data={**hidden, "headline": "Обстрел у Шуши",
                                                            "body": "Жители в подвалах."})
    asked_page = russian(asked.get_data(as_text=True))
    assert "Всё равно опубликовать?" in asked_page
    assert "Название Шуши дано без второго; по нашим правилам — Шуша (Шуши)." in asked_page
    previewed = multipart(client, "/desk/stories/efir/preview", {
        **hidden, "headline": "Конвой у блокпоста", "body": "**Сорок** грузовиков.", "alt": "Грузовики в очереди",
        "caption": "Конвой на рассвете.", "credit": "Фотограф редакции",
        "image_file": (picture(), "IMG_0001.JPG", "image/jpeg")})
    assert previewed.status_code == 200
    preview_page = russian(previewed.get_data(as_text=True))
    assert "Прикреплено." in preview_page and "Убрать этот снимок" in preview_page
    no_alt = multipart(client, "/desk/stories/efir/entries", {
        **form_values(day), "headline": "Снимок", "body": "Текст.", "image_file": (picture(), "a.jpg", "image/jpeg")})
    assert no_alt.status_code == 422
    assert "альтернативный текст обязателен" in russian(no_alt.get_data(as_text=True))
    not_a_picture = multipart(client, "/desk/stories/efir/entries", {
        **form_values(day), "headline": "Снимок", "body": "Текст.", "alt": "Описание",
        "image_file": (b"%PDF-1.4", "scan.pdf", "application/pdf")})
    assert not_a_picture.status_code == 415
    assert "Это не изображение" in russian(not_a_picture.get_data(as_text=True))
    published = client.post("/desk/stories/efir/entries", data={
        **form_values(day), "headline": "Обстрел у Шуши", "body": "Жители в подвалах.", "confirmed_warnings": "1"})
    assert published.status_code == 303
    after = russian(ok(client, published.location))
    assert "Опубликовано. Обновление уже на странице прямого эфира." in after
    assert "Справочник топонимов: Название Шуши дано без второго" in after

    # Correcting: the form, a refused typo fix, a correction; a typo fix.
    correct_path = f"/desk/entries/{first}/correct"
    correct = russian(ok(client, correct_path))
    assert "Опубликовать поправку" in correct and "Уже опубликованные поправки" in correct
    typo_with_note = client.post(correct_path, data={**form_values(correct), "kind": "typo",
                                                      "headline": "Гуманитарный конвой прибыл",
                                                      "body": "Сорок грузовиков.", "correction": "Пометка."})
    assert typo_with_note.status_code == 422
    assert "При исправлении опечатки читатели не видят пометки" in russian(typo_with_note.get_data(as_text=True))
    corrected = client.post(correct_path, data={**form_values(correct), "kind": "correct",
                                                 "headline": "Гуманитарный конвой прибыл в Степанакерт (Ханкенди)",
                                                 "body": "Сорок два грузовика с хлебом и водой.",
                                                 "correction": "Грузовиков было сорок два."})
    assert corrected.status_code == 303
    assert "Поправка опубликована" in russian(ok(client, corrected.location))
    again = ok(client, correct_path)
    fixed = client.post(correct_path, data={**form_values(again), "kind": "typo",
                                             "headline": "Гуманитарный конвой прибыл в Степанакерт (Ханкенди)",
                                             "body": "Сорок два грузовика с хлебом и питьевой водой."})
    assert fixed.status_code == 303
    assert "Опечатка исправлена." in russian(ok(client, fixed.location))

    # Withdrawing: the form (it quotes what the story's feeds carry: Russian ones, in Russian), a refusal, the result.
    notice = set()
    latest = re.search(r'id="entry-([0-9a-f-]{36})"', after).group(1)
    withdraw_path = f"/desk/entries/{latest}/withdraw"
    withdraw = russian(ok(client, withdraw_path), notice)
    assert "В течение 30 дней каждая лента" in withdraw and "Снять с публикации" in withdraw
    assert "Это обновление снято с публикации" in withdraw and REMOVED_TITLE not in withdraw
    no_reason = client.post(withdraw_path, data={**form_values(withdraw), "reason": ""})
    assert no_reason.status_code == 422
    assert "Укажите причину" in russian(no_reason.get_data(as_text=True), notice)
    withdrawn = client.post(withdraw_path, data={**form_values(withdraw), "reason": "Ошибка в адресе"})
    assert withdrawn.status_code == 303
    told = russian(ok(client, withdrawn.location), notice)
    assert "Снято с публикации. Оно исчезло со всех страниц" in told
    refused_again = client.get(withdraw_path)
    assert refused_again.status_code == 303
    assert "Это обновление снято с публикации: его больше нельзя исправить или снять." in russian(
        ok(client, refused_again.location), notice)

    # The next day: the form (its title moved on, in Russian), then the day it opens, then "come back at midnight".
    next_page = russian(ok(client, "/desk/stories/efir/next"))
    today = datetime.now(TBILISI).date()
    assert f"день 40 войны, {today.day} " in next_page and "Начать день" in next_page
    started = client.post("/desk/stories/efir/next", data={
        **form_values(next_page), "title": re.search(r'id="title"[^>]*value="([^"]+)"', next_page).group(1),
        "summary": "День, как он шёл."})
    assert started.status_code == 303
    new_day = russian(ok(client, started.location))
    assert "Новый день открыт." in new_day and "Сегодня, <time" in new_day
    too_early = russian(ok(client, started.location + "/next"))
    assert "начнётся в полночь по времени редакции (GMT+4)" in too_early
    assert client.get("/desk/", follow_redirects=True).status_code == 200

    # Translating: a Russian story into English, its source beside; a refused start; a started translation.
    translate = russian(ok(client, "/desk/stories/tolko/translate/en"))
    assert "Перевод на английский" in translate and "Оригинал (русский)" in translate
    assert "Заголовок (английский)" in translate and 'id="title" name="title"' in translate
    untitled = client.post("/desk/stories/tolko/translate/en", data={**form_values(translate), "title": ""})
    assert untitled.status_code == 422
    assert "Дайте переводу заголовок." in russian(untitled.get_data(as_text=True))
    bad_address = client.post("/desk/stories/tolko/translate/en", data={
        **form_values(translate), "title": "Заголовок", "slug": "Плохой адрес"})
    assert bad_address.status_code == 422
    assert "строчными латинскими буквами" in russian(bad_address.get_data(as_text=True))

    # A translation that needs review, and an update of its original translated with the source beside it.
    english = {"Shelling at dawn", "Reports from the town.", "Talks announced", "Ministers will meet.",
               "The shelling began at five.", "Coverage in English"}
    review = russian(ok(client, "/desk/stories/live-en-ru"), english)
    assert "Нужна проверка: в оригинал внесена поправка" in review and "Подтвердить перевод" in review
    assert "Обновления оригинала для перевода (1)" in review and "Оригинал (английский)" in review
    link = re.search(r'href="(/desk/stories/live-en-ru\?translate=[0-9a-f-]+)#compose"', review).group(1)
    beside = russian(ok(client, link), english)
    assert "Переводится обновление оригинала (английский)" in beside and 'id="source-entry"' in beside
    confirmed = client.post(f"/desk/entries/{newsroom_ru['translated']}/confirm", data=form_values(review))
    assert "Перевод подтверждён" in russian(ok(client, confirmed.location), english)

    # The log, with every kind of change in it, and its second page refused in Russian.
    log = russian(ok(client, "/desk/log"), english)
    for words in ("<strong>Анна</strong> · публикация:", "<strong>Анна</strong> · поправка:",
                  "<strong>Анна</strong> · правка без пометки:", "<strong>Анна</strong> · снято с публикации:",
                  "<strong>Анна</strong> · новый материал:", "в редакции", "через API", "Причина: Ошибка в адресе"):
        assert words in log, words
    missing = client.get("/desk/log?page=9")
    assert missing.status_code == 404 and page_language(missing.get_data(as_text=True)) == "ru"
    assert "В журнале нет такой давней страницы." in missing.get_data(as_text=True)


def test_the_english_desk_is_still_english_and_a_bad_cookie_is_ignored(app, client, runner, newsroom, newsroom_ru):
    sign_in_in_russian(app, client, runner)
    russian_day = ok(client, "/desk/stories/efir")
    back = choose(client, "en", russian_day, "/desk/stories/efir")
    assert back.status_code == 303 and back.location.endswith("/desk/stories/efir")
    english = ok(client, "/desk/stories/efir")
    assert page_language(english) == "en" and "New update" in english and "Новое обновление" not in english
    assert 'lang="ru">Прямой эфир: день 39' in english  # the story's own words keep their language
    # A tampered or unknown value is the default language, never an error.
    for value in ("de", "RU", "ru;x", "../..", "x" * 300):
        client.set_cookie("desk_lang", value, path="/desk")
        page = client.get("/desk/stories/efir")
        assert page.status_code == 200 and page_language(page.get_data(as_text=True)) == "en", value
    # Nothing is guessed from the browser.
    client.delete_cookie("desk_lang", path="/desk")
    page = client.get("/desk/stories/efir", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert page_language(page) == "en"


def test_the_language_cookie_and_where_the_switcher_returns(app, client, make_app):
    page = ok(client, "/desk/signin")
    answer = choose(client, "ru", page, "/desk/signin")
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("desk_lang=ru;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Path=/desk" in cookie and "Secure" not in cookie  # SITE_URL is http:// here
    # Only a page of this desk: anything else goes to the desk's home.
    for elsewhere in ("https://evil.example/", "//evil.example/desk", "/stories/x", "/desk\\@evil", "javascript:x"):
        assert choose(client, "ru", page, elsewhere).location == "/desk/", elsewhere
    # A language the site does not publish in is not remembered.
    assert "Set-Cookie" not in choose(client, "de", page, "/desk/signin").headers
    # The button needs the page's CSRF token like every other form.
    assert client.post("/desk/language", data={"lang": "ru", "next": "/desk/signin"}).status_code == 400

    secure = make_app(LANGUAGES="en,ru", SITE_URL="https://newsroom.example").test_client()
    answer = secure.post("/desk/language", data={"lang": "ru", "next": "/desk/signin"})
    assert "Secure" in answer.headers["Set-Cookie"]


def test_a_russian_sign_in_never_says_whether_the_address_is_an_editors(app, client, runner):
    add_editor(runner, name="Анна", address=EMAIL)
    page = ok(client, "/desk/signin")
    choose(client, "ru", page, "/desk/signin")
    page = ok(client, "/desk/signin")
    known = client.post("/desk/signin", data={"email": EMAIL, **form_values(page)})
    unknown = client.post("/desk/signin", data={"email": "nobody@example.org", **form_values(page)})
    assert known.data == unknown.data and page_language(known.get_data(as_text=True)) == "ru"
    wait_for(lambda: mailed_links(app), what="the desk sign-in mail")
    assert [m["To"] for m in mails(app)] == [EMAIL]
