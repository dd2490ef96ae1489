"""A bilingual newsroom (SYNDICATE_LANGUAGES=en,ru): story languages and translations in the API,
hreflang both ways, per-language home, archive, day pages and feeds under /ru/, the switcher, no
Accept-Language negotiation, and translations a correction leaves to review (API and desk)."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import feedparser
import pytest
from lxml import etree

from test_desk import add_editor, form_values, sign_in, Desk

TBILISI = ZoneInfo("Asia/Tbilisi")
SITE = "http://newsroom.test"


@pytest.fixture
def app_config():
    return {"LANGUAGES": "en,ru"}


def alternates(page: str) -> dict[str, str]:
    """The page's hreflang alternates from its <head>: language -> address."""
    head = page.split("</head>", 1)[0]
    return dict(re.findall(r'<link rel="alternate" hreflang="([a-z-]+)" href="([^"]+)">', head))


def switcher(page: str) -> dict[str, str]:
    # Found by its class: its label is in the page's language ("Языки" on a Russian page).
    nav = re.search(r'<nav class="languages" aria-label="[^"]+">(.*?)</nav>', page, re.S)
    assert nav, "no language switcher"
    return {lang: href for href, lang in re.findall(r'<a href="([^"]+)" hreflang="([a-z-]+)"', nav.group(1))}


def link_header(value: str) -> dict[str, str]:
    return {lang: url for url, lang in re.findall(r'<([^>]+)>; rel="alternate"; hreflang="([a-z-]+)"', value or "")}


@pytest.fixture
def bilingual(newsroom):
    """Yesterday's live day in English and its Russian translation, an English article and its translation,
    and an English story with no translation."""
    newsroom.region("karabakh", "Nagorno-Karabakh", covered=True)
    yesterday = (datetime.now(TBILISI) - timedelta(days=1)).replace(hour=12, minute=0, second=0, microsecond=0)
    at = yesterday.isoformat()
    newsroom.story(title="Live: the day in English", slug="live-en", kind="live", regions=["karabakh"],
                   published_at=at)
    newsroom.story(title="Прямой эфир: день по-русски", slug="live-ru", kind="live", language="ru",
                   regions=["karabakh"], published_at=at, translation_of="live-en")
    source = newsroom.entry("live-en", headline="Shelling reported at dawn", published_at=at)
    translated = newsroom.entry("live-ru", headline="На рассвете сообщили об обстреле", published_at=at,
                                body_text="Сообщения с места событий.", translation_of=source["id"])
    newsroom.story(title="An article in English", slug="article-en", kind="article")
    newsroom.story(title="Статья по-русски", slug="article-ru", kind="article", language="ru",
                   translation_of="article-en")
    newsroom.entry("article-en", headline="An article in English")
    newsroom.entry("article-ru", headline="Статья по-русски", body_text="Текст статьи.")
    newsroom.story(title="Only in English", slug="only-en", kind="article")
    newsroom.entry("only-en", headline="Only in English")
    return {"day": yesterday.date(), "source": source, "translated": translated}


# ---------------------------------------------------------------- the API


def test_a_story_language_is_one_of_the_sites(client, newsroom):
    refused = client.post("/api/stories", json={"title": "Auf Deutsch", "language": "de"}, headers=newsroom.headers)
    assert refused.status_code == 422
    assert "en, ru" in refused.json["error"]["fields"]["language"]
    malformed = client.post("/api/stories", json={"title": "x", "language": 7}, headers=newsroom.headers)
    assert malformed.status_code == 422 and "language" in malformed.json["error"]["fields"]
    newsroom.story(title="Default", slug="default")
    newsroom.story(title="Русский", slug="russian", language="RU")
    assert client.get("/stories/default").get_data(as_text=True).count('<html lang="en">') == 1
    assert '<html lang="ru">' in client.get("/stories/russian").get_data(as_text=True)


def test_translation_of_names_a_story_in_another_language(client, newsroom):
    source = newsroom.story(title="Original", slug="original")
    headers = newsroom.headers
    for bad in ("no-such-story", "", 99999, True, {"slug": "original"}):
        response = client.post("/api/stories", json={"title": "Перевод", "language": "ru", "translation_of": bad},
                               headers=headers)
        assert response.status_code == 422, bad
        assert "translation_of" in response.json["error"]["fields"]
    same = client.post("/api/stories", json={"title": "Again", "translation_of": "original"}, headers=headers)
    assert same.status_code == 422 and "another language" in same.json["error"]["fields"]["translation_of"]
    by_id = newsroom.story(title="Перевод", slug="perevod", language="ru", translation_of=source["id"])
    assert by_id["slug"] == "perevod"
    # Naming a translation files the new one under the original (whose language it must differ from).
    again = client.post("/api/stories", json={"title": "Yet again", "translation_of": "perevod"}, headers=headers)
    assert again.status_code == 422


def test_an_entry_translates_an_entry_of_the_original(client, newsroom):
    newsroom.story(title="Original", slug="original")
    newsroom.story(title="Другая", slug="other", language="ru")
    newsroom.story(title="Перевод", slug="perevod", language="ru", translation_of="original")
    source = newsroom.entry("original", headline="Source")
    stranger = newsroom.entry("other", headline="Чужое")
    post = lambda slug, ref: client.post(f"/api/stories/{slug}/entries", headers=newsroom.headers,  # noqa: E731
                                         json={"headline": "Перевод", "body_text": "Текст.", "translation_of": ref})
    assert post("other", source["id"]).status_code == 422  # "other" translates nothing
    for bad in (stranger["id"], "nonsense", 10**12, False):
        response = post("perevod", bad)
        assert response.status_code == 422 and "translation_of" in response.json["error"]["fields"], bad
    made = post("perevod", source["uid"])
    assert made.status_code == 201
    state = client.get(f"/api/entries/{made.json['id']}", headers=newsroom.headers).json
    assert state["translation_of"] == source["uid"] and state["needs_review"] is False


# ---------------------------------------------------------------- hreflang and the switcher


def test_story_pages_link_their_translations_both_ways(client, bilingual):
    for en, ru in (("live-en", "live-ru"), ("article-en", "article-ru")):
        expected = {"en": f"{SITE}/stories/{en}", "ru": f"{SITE}/stories/{ru}"}
        english = client.get(f"/stories/{en}").get_data(as_text=True)
        russian = client.get(f"/stories/{ru}").get_data(as_text=True)
        assert alternates(english) == alternates(russian) == expected
        assert '<html lang="ru">' in russian and '<html lang="en">' in english
        assert switcher(english) == {"ru": expected["ru"]} and switcher(russian) == {"en": expected["en"]}
    # No translation: no hreflang, and the switcher leads to the other language's home.
    alone = client.get("/stories/only-en").get_data(as_text=True)
    assert alternates(alone) == {} and switcher(alone) == {"ru": "/ru/"}


def test_day_pages_link_their_other_language_both_ways(client, bilingual):
    day = bilingual["day"].isoformat()
    english = client.get(f"/archive/{day}")
    russian = client.get(f"/ru/archive/{day}")
    assert english.status_code == russian.status_code == 200
    expected = {"en": f"{SITE}/archive/{day}", "ru": f"{SITE}/ru/archive/{day}"}
    assert alternates(english.get_data(as_text=True)) == alternates(russian.get_data(as_text=True)) == expected
    assert "На рассвете" in russian.get_data(as_text=True) and "Shelling" not in russian.get_data(as_text=True)
    assert "На рассвете" not in english.get_data(as_text=True)


def test_permalinks_name_their_translations_both_ways(client, bilingual):
    source, translated = bilingual["source"], bilingual["translated"]
    en = client.get(f"/stories/live-en/updates/{source['uid']}")
    ru = client.get(f"/stories/live-ru/updates/{translated['uid']}")
    expected = {"en": f"{SITE}/stories/live-en/updates/{source['uid']}",
                "ru": f"{SITE}/stories/live-ru/updates/{translated['uid']}"}
    assert en.status_code == ru.status_code == 302
    assert link_header(en.headers.get("Link")) == link_header(ru.headers.get("Link")) == expected


# ---------------------------------------------------------------- the Russian site


def test_russian_home_archive_and_feeds_hold_only_russian_stories(client, bilingual):
    home = client.get("/ru/").get_data(as_text=True)
    assert '<html lang="ru">' in home and "Прямой эфир" in home and "Статья по-русски" in home
    assert "Live: the day in English" not in home and "Only in English" not in home
    english_home = client.get("/").get_data(as_text=True)
    assert "Live: the day in English" in english_home and "Прямой эфир" not in english_home
    assert alternates(home) == {"en": f"{SITE}/", "ru": f"{SITE}/ru/"} == alternates(english_home)

    archive = client.get("/ru/archive/").get_data(as_text=True)
    assert "Прямой эфир" in archive and "Live: the day in English" not in archive
    assert "Прямой эфир" not in client.get("/archive/").get_data(as_text=True)

    for fmt in ("rss", "atom"):  # feedparser 6 reads no JSON Feed: that one is read as JSON below
        russian = feedparser.parse(client.get(f"/ru/feeds/latest.{fmt}").data)
        english = feedparser.parse(client.get(f"/feeds/latest.{fmt}").data)
        assert russian.feed.language == "ru" and english.feed.language == "en", fmt
        assert {e.title for e in russian.entries} == {"На рассвете сообщили об обстреле", "Статья по-русски"}
        assert "На рассвете сообщили об обстреле" not in {e.title for e in english.entries}
        region = feedparser.parse(client.get(f"/ru/regions/karabakh/feed.{fmt}").data)
        assert region.feed.language == "ru" and [e.title for e in region.entries] == [
            "На рассвете сообщили об обстреле"]
    russian, english = client.get("/ru/feeds/latest.json").json, client.get("/feeds/latest.json").json
    assert russian["language"] == "ru" and english["language"] == "en"
    assert {i["title"] for i in russian["items"]} == {"На рассвете сообщили об обстреле", "Статья по-русски"}
    assert {i["language"] for i in russian["items"]} == {"ru"}
    region = client.get("/ru/regions/karabakh/feed.json").json
    assert region["language"] == "ru" and [i["title"] for i in region["items"]] == ["На рассвете сообщили об обстреле"]
    atom = etree.fromstring(client.get("/ru/feeds/latest.atom").data)
    assert atom.get("{http://www.w3.org/XML/1998/namespace}lang") == "ru"
    day = feedparser.parse(client.get(f"/ru/archive/{bilingual['day'].isoformat()}.atom").data)
    assert day.feed.language == "ru" and [e.title for e in day.entries] == ["На рассвете сообщили об обстреле"]
    # Only the site's other languages have a prefix.
    assert client.get("/en/").status_code == 404 and client.get("/de/feeds/latest.atom").status_code == 404


def test_russian_feeds_are_well_formed_and_say_their_language(client, bilingual):
    """Every Russian feed parses strictly and names its language (feedcheck checked them by hand too)."""
    day = bilingual["day"].isoformat()
    for base in ("/ru/feeds/latest", "/ru/regions/karabakh/feed", f"/ru/archive/{day}"):
        rss = etree.fromstring(client.get(base + ".rss").data)
        assert rss.findtext("channel/language") == "ru", base
        atom = etree.fromstring(client.get(base + ".atom").data)
        assert atom.get("{http://www.w3.org/XML/1998/namespace}lang") == "ru", base
        assert all(e.get("{http://www.w3.org/XML/1998/namespace}lang") == "ru"
                   for e in atom.findall("{http://www.w3.org/2005/Atom}entry")), base
        document = json.loads(client.get(base + ".json").data)
        assert document["version"] == "https://jsonfeed.org/version/1.1" and document["language"] == "ru", base
        for fmt in ("rss", "atom"):
            parsed = feedparser.parse(client.get(f"{base}.{fmt}").data)
            assert not parsed.bozo and parsed.entries, (base, fmt)


def test_nothing_depends_on_accept_language(client, bilingual):
    for path in ("/", "/stories/live-en", "/archive/"):
        plain = client.get(path)
        asked = client.get(path, headers={"Accept-Language": "ru-RU,ru;q=0.9"})
        assert plain.status_code == asked.status_code == 200, path
        assert plain.data == asked.data and plain.headers["ETag"] == asked.headers["ETag"]
        assert "accept-language" not in plain.headers.get("Vary", "").lower()


def test_partner_entries_carry_their_language(client, runner, bilingual):
    result = runner.invoke(args=["partners", "add", "Partner"])
    key = result.output.strip().splitlines()[-1]
    atom = etree.fromstring(client.get("/syndication/entries.atom", headers={"Authorization": f"Bearer {key}"}).data)
    langs = {e.findtext("{http://www.w3.org/2005/Atom}title"): e.get("{http://www.w3.org/XML/1998/namespace}lang")
             for e in atom.findall("{http://www.w3.org/2005/Atom}entry")}
    assert langs["На рассвете сообщили об обстреле"] == "ru" and langs["Shelling reported at dawn"] == "en"
    items = client.get("/syndication/entries.json", headers={"Authorization": f"Bearer {key}"}).json["items"]
    assert {i["title"]: i["language"] for i in items}["Статья по-русски"] == "ru"


# ---------------------------------------------------------------- review after a correction


def test_a_correction_to_the_source_marks_its_translation_for_review(client, newsroom, bilingual):
    source, translated = bilingual["source"], bilingual["translated"]
    state = lambda: client.get(f"/api/entries/{translated['id']}", headers=newsroom.headers).json  # noqa: E731
    assert state()["needs_review"] is False
    assert newsroom.patch(source["id"], headline="Shelling reported at dawn, revised").status_code == 200
    assert state()["needs_review"] is False  # an edit without a correction asks for nothing
    assert newsroom.patch(source["id"], correction="The shelling began at 5:40, not 6:40.").status_code == 200
    assert state()["needs_review"] is True
    # Updating the translation clears it.
    assert newsroom.patch(translated["id"], correction="Обстрел начался в 5:40.").status_code == 200
    assert state()["needs_review"] is False


@pytest.fixture
def desk(app, client, runner, bilingual):
    add_editor(runner)
    sign_in(app, client)
    return Desk(client)


def test_the_desk_confirms_a_translation_after_a_correction(client, newsroom, desk, bilingual):
    source, translated = bilingual["source"], bilingual["translated"]
    newsroom.patch(source["id"], correction="The shelling began at 5:40.")
    page = desk.get("/desk/stories/live-ru")
    assert "Needs review" in page and "Confirm translation" in page
    confirm = re.search(r'<form method="post" action="(/desk/entries/[^"]+/confirm)"', page).group(1)
    response = client.post(confirm, data=form_values(page))
    assert response.status_code == 303
    assert "Needs review" not in desk.get("/desk/stories/live-ru")
    assert client.get(f"/api/entries/{translated['id']}", headers=newsroom.headers).json["needs_review"] is False
    # The English original shows the Russian version, and is not offered a second one.
    english = desk.get("/desk/stories/live-en")
    assert 'href="/desk/stories/live-ru"' in english and "Start a translation" not in english


def test_the_desk_starts_a_translation_with_the_source_beside(client, newsroom, desk, bilingual):
    page = desk.get("/desk/stories/only-en")
    assert 'href="/desk/stories/only-en/translate/ru"' in page
    form = desk.get("/desk/stories/only-en/translate/ru")
    assert "Only in English" in form and 'lang="ru"' in form  # the original's title beside the fields
    assert client.get("/desk/stories/only-en/translate/de").status_code == 404
    assert client.get("/desk/stories/live-en/translate/ru").status_code == 404  # it has one already
    empty = client.post("/desk/stories/only-en/translate/ru", data={**form_values(form), "title": ""})
    assert empty.status_code == 422
    made = client.post("/desk/stories/only-en/translate/ru",
                       data={**form_values(form), "title": "Только по-английски", "summary": "",
                             "slug": "only-en-ru"})
    assert made.status_code == 303 and made.location.endswith("/desk/stories/only-en-ru")
    # Its page lists the original's updates to translate; one opens compose with the source beside.
    page = desk.get("/desk/stories/only-en-ru")
    link = re.search(r'href="(/desk/stories/only-en-ru\?translate=[0-9a-f-]+)#compose"', page).group(1)
    compose = desk.get(link)
    assert 'id="source-entry"' in compose and "Only in English" in compose
    values = form_values(compose)
    assert values["translation_of"]
    published = client.post("/desk/stories/only-en-ru/entries",
                            data={**values, "headline": "Только по-английски", "body": "Перевод текста.",
                                  "syndicate": "on", "confirmed_warnings": "1"})
    assert published.status_code == 303, published.get_data(as_text=True)
    assert "Updates of the original to translate" not in desk.get("/desk/stories/only-en-ru")
    english = client.get("/stories/only-en").get_data(as_text=True)
    assert alternates(english) == {"en": f"{SITE}/stories/only-en", "ru": f"{SITE}/stories/only-en-ru"}
    assert json.loads(json.dumps(switcher(english))) == {"ru": f"{SITE}/stories/only-en-ru"}


# ---------------------------------------------------------------- the demo


def test_the_demo_holds_a_russian_edition(client, runner):
    result = runner.invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    home = client.get("/ru/").get_data(as_text=True)
    assert '<html lang="ru">' in home and "Прямой эфир: день" in home
    live = re.search(r'<article class="live" lang="ru">', home)
    assert live, "the Russian home opens with the Russian live day"
    slug = re.search(r'href="/stories/(live-[0-9-]+-ru)"', home).group(1)
    russian = client.get(f"/stories/{slug}").get_data(as_text=True)
    # The demo serves (and links) at its own address.
    paths = lambda links: {lang: urlsplit(url).path for lang, url in links.items()}  # noqa: E731
    assert paths(alternates(russian)) == {"en": f"/stories/{slug[:-3]}", "ru": f"/stories/{slug}"}
    assert "Примечание о названиях" in russian  # the naming note in the story's language
    article = client.get("/stories/tbilisi-metro-opens-ru").get_data(as_text=True)
    assert "В Тбилиси" in article and paths(alternates(article))["en"] == "/stories/tbilisi-metro-opens"
    archive = client.get("/ru/archive/").get_data(as_text=True)
    assert len(re.findall(r'<li><a href="/stories/live-[0-9-]+-ru">', archive)) == 2
    english = client.get("/").get_data(as_text=True)
    assert "Прямой эфир" not in english and paths(switcher(english)) == {"ru": "/ru/"}
    assert feedparser.parse(client.get("/ru/feeds/latest.atom").data).feed.language == "ru"


def test_the_demos_russian_pages_hold_no_english(client, runner):
    """What a newcomer sees first in Russian: no English left, regions included (entered in English)."""
    from catalogue import english_left, latin_runs

    assert runner.invoke(args=["demo", "--no-serve"]).exit_code == 0
    home = client.get("/ru/").get_data(as_text=True)
    live = re.search(r'href="/stories/(live-[0-9-]+-ru)"', home).group(1)
    allowed = {"syndicate demo newsroom", "NetNewsWire", "Feedly", "Inoreader", "Miniflux", "Thunderbird"}
    pages = {path: client.get(path) for path in ("/ru/", f"/stories/{live}", "/stories/tbilisi-metro-opens-ru",
                                                 "/ru/archive/", "/ru/feeds", "/ru/search?q=метро", "/ru/join")}
    for path, response in pages.items():
        page = response.get_data(as_text=True)
        assert response.status_code == 200 and '<html lang="ru">' in page, path
        assert english_left(page) == [] and latin_runs(page, allowed) == [], path
    assert ">Нагорный Карабах</a>" in pages[f"/stories/{live}"].get_data(as_text=True)
    feed = feedparser.parse(client.get("/ru/regions/nagorno-karabakh/feed.atom").data)
    assert feed.feed.title == "syndicate demo newsroom: Нагорный Карабах"
