"""The Russian catalogue: complete, consistent, compiled by the install; plural forms and dates in Russian."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from babel.messages.mofile import read_mo
from flask_babel import ngettext

from catalogue import CATALOGUE, catalogue, english_left, extracted, fragments, latin_runs
from syndicate import i18n, timeutil


@pytest.fixture
def app_config():
    return {"LANGUAGES": "en,ru", "TIMEZONE": "Asia/Tbilisi"}


def test_every_marked_string_has_a_russian_translation():
    cat = catalogue("ru")
    missing = []
    for ids in extracted():
        entry = cat.get(ids[0] if len(ids) == 1 else ids)
        strings = entry.string if entry and isinstance(entry.string, tuple) else (entry.string if entry else "",)
        if entry is None or entry.fuzzy or not all(strings):
            missing.append(" | ".join(ids))
    assert not missing, "untranslated (pybabel extract, then translate in messages.po):\n" + "\n".join(missing)


def test_translations_keep_their_placeholders_and_plural_forms():
    cat = catalogue("ru")
    assert cat.num_plurals == 3
    problems = [(message.id, [str(e) for e in errors]) for message, errors in cat.check() if errors]
    assert not problems
    for message in cat:
        if message.id and message.pluralizable:
            assert len(message.string) == 3, message.id


def test_the_install_compiled_the_catalogue_that_is_in_the_repo():
    mo = str(CATALOGUE).format(lang="ru")[:-3] + ".mo"
    try:
        with open(mo, "rb") as source:
            built = read_mo(source)
    except FileNotFoundError:
        pytest.fail(f"{mo} is missing: `pip install -e .` compiles the catalogues (hatch_build.py)")

    def messages(cat):
        def key(value):
            return tuple(value) if isinstance(value, (list, tuple)) else value
        return {key(m.id): key(m.string) for m in cat if m.id and not m.fuzzy}

    assert messages(built) == messages(catalogue("ru")), "messages.mo is older than messages.po: `pip install -e .`"


@pytest.mark.parametrize("count, form", [(1, "one"), (2, "few"), (5, "many"), (11, "many"), (21, "one"), (22, "few"),
                                         (112, "many")])
def test_russian_has_three_plural_forms(app, count, form):
    with app.test_request_context("/ru/"):
        i18n.use("ru")
        said = ngettext("%(count)s new update", "%(count)s new updates", count, count=count)
        forms = i18n.plural_templates("%(count)s new update", "%(count)s new updates")
    words = {"one": "новое обновление", "few": "новых обновления", "many": "новых обновлений"}
    assert said == f"{count} {words[form]}"
    assert forms[form] == "{count} " + words[form]
    assert forms["other"] == forms["many"]  # fractions: the browser asks for "other"


def test_a_russian_live_page_gives_its_script_every_plural_form(client, newsroom):
    newsroom.story(title="Прямой эфир", slug="live-ru", kind="live", language="ru")
    newsroom.entry("live-ru", headline="Первое обновление", body_text="Текст.")
    page = client.get("/ru/").get_data(as_text=True)
    assert 'data-plural-one="{count} новое обновление"' in page
    assert 'data-plural-few="{count} новых обновления"' in page
    assert 'data-plural-many="{count} новых обновлений"' in page
    english = client.get("/").get_data(as_text=True)
    assert "новых" not in english


def test_dates_are_written_in_the_page_language(app):
    moment = datetime(2020, 11, 4, 14, 30, tzinfo=timezone.utc)  # 18:30 in Tbilisi
    with app.test_request_context("/ru/"):
        i18n.use("ru")
        assert timeutil.display(moment) == "4 ноября 2020, 18:30 GMT+4"
        assert timeutil.display_day(date(2020, 11, 4)) == "4 ноября 2020"
    with app.test_request_context("/"):
        assert timeutil.display(moment) == "04 Nov 2020, 18:30 GMT+4"
        assert timeutil.display_day(date(2020, 11, 4)) == "4 November 2020"


def test_the_scan_finds_english_left_on_a_russian_page():
    # The check the page tests rely on must itself be able to fail.
    page = '<html lang="ru"><body><a href="/">Перейти</a><p>Skip to content</p><img alt="Sign in"></body></html>'
    assert set(english_left(page)) >= {"Skip to content", "Sign in"}
    assert latin_runs(page) == ["Skip to content", "Sign in"]
    assert fragments('Already a member? <a href="%(signin)s">Sign in</a>.') == ["Already a member", "Sign in"]
