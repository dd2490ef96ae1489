"""Every public page kind in Russian: rendered from Russian content on a bilingual site (en,ru) and scanned
for the English catalogue's strings and for Latin words nobody marked; the Russian feeds page, the Russian
feeds' own words, error pages under /ru/, and a spot check that English pages hold no Russian."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import feedparser
import pytest
from lxml import etree

from catalogue import catalogue, english_left, latin_runs, shown_text
from conftest import ago, sign_in

SITE = "http://newsroom.test"
TBILISI = ZoneInfo("Asia/Tbilisi")
SITE_NAME = "syndicate demo newsroom"  # the default SITE_NAME: a name, the same in every language
# The feeds page names feed readers; product names stay as they are spelt.
FEED_READERS = {"NetNewsWire", "Feedly", "Inoreader", "Miniflux", "Thunderbird"}
NOTE_RU = "Примечание редакции о названиях мест в этом регионе."
NOTE_EN = "Our note on place names in this region."
# A month written as Russian writes it after a day number: "4 ноября 2020, 18:30 GMT+4".
RUSSIAN_MOMENT = re.compile(r"\d{1,2} (?:января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|"
                            r"ноября|декабря) \d{4}, \d\d:\d\d GMT\+4")


@pytest.fixture
def app_config():
    return {"LANGUAGES": "en,ru", "PAGE_SIZE": 3, "PUBLIC_DAYS": 2}


@pytest.fixture
def russian(newsroom):
    """A Russian newsroom: yesterday's live day (five updates, three to a page: a key event, a correction, a
    withdrawal), an article the day before, a live day four days before that (members only by then) in the
    same series, a covered region (named in English and in Russian) with a Russian naming note, and an
    English live day beside them.

    Every moment is counted from yesterday's noon, newsroom time, so the days (and so the public window)
    are the same whenever the test runs, midnight included."""
    # Regions are entered once, in English; Russian pages and feeds show their Russian names.
    newsroom.region("karabakh", "Karabakh", covered=True, ru="Карабах")
    newsroom.cli("naming-note", "set", NOTE_EN)
    newsroom.cli("naming-note", "set", NOTE_RU, "--lang", "ru")
    noon = (datetime.now(TBILISI) - timedelta(days=1)).replace(hour=12, minute=0, second=0, microsecond=0)
    at = lambda **delta: (noon + timedelta(**delta)).isoformat()  # noqa: E731

    newsroom.story(title="Прямой эфир: день первый", slug="efir-1", kind="live", language="ru", series="efir",
                   regions=["karabakh"], summary="Как всё начиналось.", published_at=at(days=-5))
    old = newsroom.entry("efir-1", headline="Первые сообщения с места", published_at=at(days=-5, minutes=10),
                         body_text="Жители сообщают о взрывах на окраине города.")

    newsroom.story(title="Статья: как живёт город", slug="statya", kind="article", language="ru",
                   regions=["karabakh"], summary="Репортаж о жизни города.", published_at=at(days=-1))
    article = newsroom.entry("statya", headline="Статья: как живёт город", byline="Анна Петрова",
                             body_text="Город живёт своей жизнью, несмотря на обстрелы.", published_at=at(days=-1))
    newsroom.patch(article["id"], correction="В статье неверно указано число жителей.")

    newsroom.story(title="Прямой эфир: день второй", slug="efir-2", kind="live", language="ru", series="efir",
                   regions=["karabakh"], summary="Главное за день.", published_at=at())
    made = {}
    for minutes, headline, extra in (
            (10, "Ночью был слышен гул", {"key_event": True, "byline": "Анна Петрова"}),
            (20, "Обстрел окраины продолжается", {}),
            (30, "Опасная подробность", {}),
            (40, "Эвакуация жителей", {}),
            (50, "Мэр обратился к жителям", {})):
        made[headline] = newsroom.entry("efir-2", headline=headline, body_text=f"{headline}: подробности с места.",
                                        published_at=at(minutes=minutes), **extra)
    newsroom.patch(made["Обстрел окраины продолжается"]["id"], correction="Обстрел начался в 5:40, а не в 6:40.")
    newsroom.withdraw(made["Опасная подробность"]["id"], reason="безопасность источника",
                      public_note="Обновление снято ради безопасности источника.")

    newsroom.story(title="Live: the day in English", slug="live-en", kind="live", published_at=at(minutes=5))
    newsroom.entry("live-en", headline="A key moment", key_event=True, published_at=at(minutes=15))
    newsroom.entry("live-en", headline="Shelling reported", published_at=at(minutes=45))
    return {"old": old, "article": article, "made": made,
            "old_day": (noon - timedelta(days=5)).date().isoformat(), "live_day": noon.date().isoformat()}


def russian_page(client, path: str, status: int = 200, allowed=frozenset(), **kwargs) -> str:
    """A page meant to be Russian, checked as such: its language, no marked English left, no unmarked Latin."""
    response = client.get(path, **kwargs)
    assert response.status_code == status, (path, response.status_code)
    assert response.mimetype == "text/html", path
    page = response.get_data(as_text=True)
    assert '<html lang="ru">' in page, path
    assert english_left(page) == [], path
    assert latin_runs(page, {SITE_NAME, *allowed}) == [], path
    return page


def test_every_page_kind_reads_in_russian(client, russian):
    made = russian["made"]
    home = russian_page(client, "/ru/")
    assert "Прямой эфир: день второй" in home and "Последние материалы" in home
    assert 'data-plural-few="{count} новых обновления"' in home  # the script's words, every plural form
    assert NOTE_RU in home and NOTE_EN not in home

    first = russian_page(client, "/stories/efir-2")
    assert "Ключевые события" in first and "(1 обновление)" in first
    assert re.search(r"Последнее обновление: <time datetime=\"[^\"]+\">", first)
    assert RUSSIAN_MOMENT.search(first), "dates in Russian, the zone said"
    assert "Обновление снято ради безопасности источника." in first and "Опасная подробность" not in first
    assert NOTE_RU in first and "Примечание о названиях" in first  # the note, and its label
    assert 'href="/ru/feeds?story=efir-2"' in first and 'href="/ru/feeds#region-karabakh"' in first
    assert 'rel="next" href="/stories/efir-2?page=2"' in first and "Более ранние обновления" in first

    second = russian_page(client, "/stories/efir-2?page=2")
    assert "Страница 2 из 2: более ранние обновления." in second
    assert "Поправка, <time" in second and "Обстрел начался в 5:40" in second
    assert "Ключевое событие" in second and "Автор: <span class=\"author\">Анна Петрова</span>" in second

    article = russian_page(client, "/stories/statya")
    assert "Поправка, <time" in article and "Опубликовано <time" in article and NOTE_RU in article

    # A permalink leads to the page that holds the update; that page describes the update it was shared for.
    uid = made["Эвакуация жителей"]["uid"]
    target = client.get(f"/stories/efir-2/updates/{uid}").location
    shared = russian_page(client, target)
    assert '<meta property="og:title" content="Эвакуация жителей">' in shared

    # Five days ago is members' reading by now: the day says so and offers the way in; it has ended too.
    old = russian_page(client, "/stories/efir-1")
    assert "Репортаж этого дня — для участников." in old and "Уже участник?" in old
    assert 'href="/ru/join"' in old and 'href="/ru/signin"' in old  # the way in, in Russian too
    assert 'href="/join"' not in old and 'href="/signin"' not in old
    assert "Этот день прямого эфира закончился." in old and "Следите за репортажем текущего дня" in old
    assert "Новости в хронологии" in old  # the series' days

    archive = russian_page(client, "/ru/archive/")
    assert f'href="/ru/archive/{russian["old_day"]}"' in archive and "Для участников" in archive

    day = russian_page(client, f"/ru/archive/{russian['old_day']}")
    assert "Новости за <time" in day and NOTE_RU in day and "Репортаж этого дня — для участников." in day
    assert f'href="/ru/archive/{russian["old_day"]}.atom"' in day.split("</head>")[0]
    live_day = russian_page(client, f"/ru/archive/{russian['live_day']}")
    assert "Из материала <a" in live_day and 'href="/ru/archive/"' in live_day

    found = russian_page(client, "/ru/search?q=обстрел")
    assert "Сначала новые" in found and "<mark>Обстрел</mark> окраины продолжается" in found
    nothing = russian_page(client, "/ru/search?q=абракадабра")
    assert "По запросу «абракадабра» ничего не найдено." in nothing
    gated = russian_page(client, "/ru/search?q=взрывах")
    assert "Это обновление — для участников." in gated and "Некоторые обновления на этой странице" in gated


def test_the_feeds_page_lists_each_languages_own_feeds_in_its_words(client, runner, russian):
    page = russian_page(client, "/ru/feeds", allowed=FEED_READERS)
    assert "Читайте нас в RSS-ридере" in page and "Всё, что мы публикуем" in page
    assert f'value="{SITE}/ru/feeds/latest.atom"' in page
    assert f'value="{SITE}/ru/regions/karabakh/feed.rss"' in page
    assert f'value="{SITE}/feeds/latest.atom"' not in page
    english = client.get("/feeds").get_data(as_text=True)
    assert f'value="{SITE}/feeds/latest.atom"' in english and "/ru/feeds/latest" not in english
    assert "Follow us in a feed reader" in english and "Читайте" not in english  # never the other's cached copy

    story = russian_page(client, "/ru/feeds?story=efir-2", allowed=FEED_READERS)
    assert f'value="{SITE}/stories/efir-2/feed.json"' in story and "Прямой эфир: день второй" in story

    sign_in(client, runner)
    private = russian_page(client, "/ru/feeds", allowed=FEED_READERS)
    assert "Это ваши личные адреса" in private and "Ваш аккаунт" in private
    assert re.search(rf'value="{SITE}/ru/feeds/latest\.atom\?token=[^"]+"', private)
    assert re.search(rf'value="{SITE}/ru/regions/karabakh/feed\.json\?token=[^"]+"', private)


def test_a_region_is_named_in_each_languages_words(client, newsroom, russian):
    """Regions are entered once in English; a Russian page, feed or category uses the Russian name."""
    newsroom.entry("live-en", headline="Shelling near Karabakh", regions=["karabakh"], published_at=ago(minutes=5))
    story = russian_page(client, "/stories/efir-2")
    assert '<a href="/ru/feeds#region-karabakh">Карабах</a>' in story
    assert '<h3 id="region-karabakh">Карабах</h3>' in russian_page(client, "/ru/feeds", allowed=FEED_READERS)
    english = client.get("/feeds").get_data(as_text=True)
    assert '<h3 id="region-karabakh">Karabakh</h3>' in english and "Карабах" not in english

    russian_feed = feedparser.parse(client.get("/ru/regions/karabakh/feed.atom").data)
    assert russian_feed.feed.title == f"{SITE_NAME}: Карабах"
    assert {(t.term, t.label) for e in russian_feed.entries for t in e.get("tags", [])} == {("karabakh", "Карабах")}
    english_feed = feedparser.parse(client.get("/regions/karabakh/feed.atom").data)
    assert english_feed.feed.title == f"{SITE_NAME}: Karabakh"
    assert english_feed.feed.subtitle == "Reporting on Karabakh"
    assert [(t.term, t.label) for t in english_feed.entries[0].tags] == [("karabakh", "Karabakh")]
    tags = {i["title"]: i.get("tags") for i in client.get("/feeds/latest.json").json["items"]}
    assert tags["Shelling near Karabakh"] == ["Karabakh"]


def test_regions_are_listed_in_the_order_of_each_languages_names(client, newsroom):
    for slug, name, local in (("armenia", "Armenia", "Армения"), ("azerbaijan", "Azerbaijan", "Азербайджан"),
                              ("georgia", "Georgia", "Грузия")):
        newsroom.region(slug, name, covered=False, ru=local)
    order = lambda page: re.findall(r'<h3 id="region-([a-z-]+)">', page)  # noqa: E731
    assert order(client.get("/feeds").get_data(as_text=True)) == ["armenia", "azerbaijan", "georgia"]
    assert order(client.get("/ru/feeds").get_data(as_text=True)) == ["azerbaijan", "armenia", "georgia"]


def test_a_regions_names_in_other_languages_are_set_and_listed_from_the_command_line(runner):
    added = runner.invoke(args=["regions", "add", "abkhazia", "--name", "Abkhazia", "--covered",
                                "--translated-name", "ru=Абхазия"])
    assert added.exit_code == 0 and "Abkhazia (ru: Абхазия)" in added.output
    # Changing the English name later keeps the Russian one.
    assert runner.invoke(args=["regions", "add", "abkhazia", "--name", "Abkhazia region"]).exit_code == 0
    assert "abkhazia\tAbkhazia region (ru: Абхазия)\tcovered" in runner.invoke(args=["regions", "list"]).output
    for wrong in ("ka=აფხაზეთი", "ru", "ru=", "=Абхазия"):
        refused = runner.invoke(args=["regions", "add", "abkhazia", "--translated-name", wrong])
        assert refused.exit_code == 2 and "give LANG=NAME with LANG one of en, ru" in refused.output, wrong
    # Names fit their column in every language (PostgreSQL would refuse a longer one mid-write).
    for option in ("--name", "--translated-name"):
        value = ("ru=" if option == "--translated-name" else "") + "Я" * 201
        refused = runner.invoke(args=["regions", "add", "abkhazia", option, value])
        assert refused.exit_code == 2 and "at most 200 characters" in refused.output, option
    assert "(ru: Абхазия)" in runner.invoke(args=["regions", "list"]).output
    longest = runner.invoke(args=["regions", "add", "abkhazia", "--translated-name", "ru=" + "Я" * 200])
    assert longest.exit_code == 0 and f"(ru: {'Я' * 200})" in runner.invoke(args=["regions", "list"]).output


def test_error_pages_under_ru_are_in_russian(client, russian):
    missing = russian_page(client, "/ru/no-such-page", status=404)
    assert "Не найдено" in missing and "По этому адресу ничего нет." in missing
    assert 'href="/ru/"' in missing  # back to the Russian home
    assert "Материала с таким адресом нет." in russian_page(client, "/ru/feeds?story=no-such-story", status=404)
    assert "В этот день репортажей нет." in russian_page(client, "/ru/archive/1999-01-01", status=404)
    # A Russian story's page that does not exist speaks its story's language, though its address has no /ru/.
    assert "У этого материала меньше страниц." in russian_page(client, "/stories/efir-2?page=9", status=404)
    assert "Страницы нумеруются" in russian_page(client, "/stories/efir-2?page=abc", status=404)
    assert "В запросе может быть не более 200 символов" in russian_page(client, "/ru/search?q=" + "я" * 201,
                                                                        status=400)
    # A browser that opens a members' day feed meets the members' page, in Russian.
    refused = russian_page(client, f"/ru/archive/{russian['old_day']}.atom", status=401,
                           headers={"Accept": "text/html"})
    assert "Для участников" in refused and "в архиве для участников" in refused
    assert client.get(f"/ru/archive/{russian['old_day']}.atom").headers["Link"] == '</ru/join>; rel="payment"'
    # The same errors at English addresses stay English.
    assert "Not found" in client.get("/no-such-page").get_data(as_text=True)
    assert "There is no coverage on that day." in client.get("/archive/1999-01-01").get_data(as_text=True)


def test_a_long_russian_series_counts_its_days_in_russian(client, newsroom):
    for n in range(61):
        newsroom.story(title=f"День {n}", slug=f"den-{n}", series="dolgo", language="ru", published_at=ago(days=70 - n))
    nav = russian_page(client, "/stories/den-60")
    assert "Весь репортаж в архиве: 61 день" in nav and 'href="/ru/archive/"' in nav


def test_russian_feeds_say_their_own_words_in_russian(client, newsroom, russian):
    atom = feedparser.parse(client.get("/ru/feeds/latest.atom").data)
    assert atom.feed.language == "ru" and atom.feed.title == f"{SITE_NAME}: последние обновления"
    removed = [e for e in atom.entries if e.id == f"urn:uuid:{russian['made']['Опасная подробность']['uid']}"]
    assert [e.title for e in removed] == ["Это обновление снято с публикации"]
    corrected = next(e for e in atom.entries if e.title == "Обстрел окраины продолжается")
    assert re.search(r"Поправка \(\d{1,2} [а-я]+ \d{4}, \d\d:\d\d GMT\+4\):", corrected.content[0].value)

    region = feedparser.parse(client.get("/ru/regions/karabakh/feed.rss").data)
    assert region.feed.language == "ru" and region.feed.subtitle == "Репортажи по региону: Карабах"
    day = client.get(f"/ru/archive/{russian['live_day']}.json").json
    assert day["language"] == "ru" and day["description"].startswith("Все обновления за ")
    story = etree.fromstring(client.get("/stories/efir-2/feed.atom").data)
    assert story.get("{http://www.w3.org/XML/1998/namespace}lang") == "ru"

    # A withdrawal with no public note leaves the neutral sentence, in the feed's language.
    response = newsroom.withdraw(russian["made"]["Мэр обратился к жителям"]["id"], reason="ошибка")
    assert response.status_code == 200, response.json
    mayor = f"urn:uuid:{russian['made']['Мэр обратился к жителям']['uid']}"
    item = next(i for i in client.get("/ru/feeds/latest.json").json["items"] if i["id"] == mayor)
    assert item["title"] == "Это обновление снято с публикации"
    assert item["content_html"] == "<p>Редакция сняла это обновление с публикации.</p>"
    english = client.get("/feeds/latest.json").json
    assert english["title"] == f"{SITE_NAME}: latest updates"


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_each_russian_feed_reads_as_russian_in_feedparser(client, russian, fmt):
    for path in ("/ru/feeds/latest", "/ru/regions/karabakh/feed", f"/ru/archive/{russian['live_day']}",
                 "/stories/efir-2/feed", "/stories/statya/feed"):
        parsed = feedparser.parse(client.get(f"{path}.{fmt}").data)
        assert not parsed.bozo and parsed.entries, path
        assert parsed.feed.language == "ru", path
    english = feedparser.parse(client.get(f"/feeds/latest.{fmt}").data)
    assert english.feed.language == "en"


def test_a_russian_member_feed_with_a_stopped_token_says_so_in_russian(client, runner, russian):
    from conftest import member_token

    token = member_token(runner)
    result = runner.invoke(args=["members", "new-token", "reader@example.org"])
    assert result.exit_code == 0, result.output
    items = client.get(f"/ru/feeds/latest.json?token={token}").json["items"]
    assert items[0]["title"] == "Этот адрес ленты для участников больше не действует"
    assert "Войдите в свой аккаунт" in items[0]["content_html"] and items[0]["language"] == "ru"
    assert f'href="{SITE}/ru/account"' in items[0]["content_html"]
    assert client.get("/ru/feeds/latest.json").json["_syndicate"]["payment_url"] == f"{SITE}/ru/join"


def russian_interface(page: str) -> list[str]:
    """The Russian catalogue's words found on a page: what an English page must never show."""
    text = shown_text(page)
    found = set()
    for message in catalogue("ru"):
        for translated in (message.string if isinstance(message.string, tuple) else (message.string,)):
            for piece in re.split(r"%\([a-z_]+\)[sd]|<[^>]*>", translated or ""):
                piece = piece.strip(" .,:;!?()·–—«»\"")
                if re.search(r"[А-Яа-яЁё]{3}", piece) and piece in text:
                    found.add(piece)
    return sorted(found)


def test_english_pages_hold_no_russian_interface_words(client, russian):
    for path in ("/", "/stories/live-en", "/archive/", "/feeds", "/search?q=shelling", "/no-such-page",
                 "/archive/1999-01-01"):
        page = client.get(path).get_data(as_text=True)
        assert '<html lang="en">' in page, path
        assert russian_interface(page) == [], path
        if path != "/feeds":  # which lists the regions, one of them named in Russian by its editors
            # The switcher names Russian in Russian; nothing else on these English pages is.
            assert re.findall(r"[А-Яа-яЁё]+", shown_text(page)) in ([], ["Русский"]), path
    assert russian_interface(client.get("/ru/").get_data(as_text=True)), "the check can fail"


def test_the_scan_would_find_a_string_left_unmarked(app, client, russian):
    """The checks above bite: the same page with one string not marked fails both of them."""
    from jinja2 import ChoiceLoader, DictLoader

    source = app.jinja_env.loader.get_source(app.jinja_env, "error.html")[0]
    assert '{{ _("Not found") }}' in source
    app.jinja_env.loader = ChoiceLoader([DictLoader({"error.html": source.replace('{{ _("Not found") }}',
                                                                                   "Not found")}),
                                         app.jinja_env.loader])
    app.jinja_env.cache.clear()
    page = client.get("/ru/no-such-page").get_data(as_text=True)
    assert "Not found" in english_left(page) and "Not found" in latin_runs(page, {SITE_NAME})
