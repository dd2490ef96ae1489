"""What a reader sees, in the page's language: Flask-Babel's catalogues, plural forms and dates.

The locale is the page's language, never the browser's: a page is cached once for
every reader of its kind, so it must not depend on Accept-Language. A view names its
language with `use()` (a story page learns it from its story); otherwise a `/<lang>/`
address gives it, and the site's default language is the rest.

The Russian catalogue is `syndicate/locale/ru/LC_MESSAGES/messages.po`; the install
compiles it (hatch_build.py), so an installed copy carries `messages.mo` beside it.
"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from flask import Flask, g, has_app_context, has_request_context, request
from flask_babel import Babel, force_locale, get_locale, refresh

from . import languages

CATALOGUES = Path(__file__).resolve().parent / "locale"

# How a moment and a day are written, per language; "GMT+4" follows the moment (timeutil.zone_label).
# Russian months are in the genitive after a day number ("4 ноября"), which Babel's MMMM gives.
MOMENT_PATTERNS = {"en": "dd MMM y, HH:mm", "ru": "d MMMM y, HH:mm"}
DAY_PATTERNS = {"en": "d MMMM y", "ru": "d MMMM y"}

babel = Babel()


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(CATALOGUES))
    app.config["BABEL_DEFAULT_LOCALE"] = app.config["LANGUAGES"][0]
    babel.init_app(app, locale_selector=_selected)
    # {% trans %} blocks are extracted and looked up with their whitespace folded (babel.cfg says the same).
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.globals["plural_templates"] = plural_templates


def _selected() -> str:
    """The language of what is being rendered: named by the view, else by the address, else the default."""
    chosen = g.get("page_lang") if has_app_context() else None
    if chosen:
        return chosen
    if has_request_context():
        lang = (request.view_args or {}).get("lang")
        if lang:
            return lang
    return languages.default()


def use(lang: str) -> None:
    """Render the rest of this request in `lang` (a story page learns its language from its story)."""
    g.page_lang = lang
    refresh()


def in_language(lang: str | None):
    """A block rendered in `lang` whatever the request's own language: mail, mostly."""
    return force_locale(lang or languages.default())


def current() -> str:
    """The language being rendered now, as a tag such as en or ru."""
    locale = get_locale() if has_app_context() else None
    return str(locale.language) if locale else "en"


def _locale(lang: str) -> Locale:
    try:
        return Locale.parse(lang.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def moment_text(local: datetime) -> str:
    """A local moment without its zone, in the language being rendered: '4 ноября 2020, 18:30'."""
    lang = current()
    pattern = MOMENT_PATTERNS.get(lang, "medium")
    return format_datetime(local, pattern, tzinfo=local.tzinfo, locale=_locale(lang))


def day_text(day: date) -> str:
    """A calendar day in the language being rendered: '4 November 2020', '4 ноября 2020'."""
    lang = current()
    return format_date(day, DAY_PATTERNS.get(lang, "long"), locale=_locale(lang))


def plural_templates(singular: str, plural: str) -> dict[str, str]:
    """A counted phrase in every plural category of the language being rendered, '{count}' standing for
    the number: what a script needs to say "5 новых обновлений" with Intl.PluralRules, in the words the
    catalogue gives. The msgids carry `%(count)s`.

    gettext knows forms by number; CLDR (and so the browser) by category. Each category is given the
    form gettext picks for a whole number in that category; a category with no whole numbers (Russian's
    "other", for fractions) takes the form of the last one found.
    """
    from flask_babel import ngettext

    rule = _locale(current()).plural_form
    forms: dict[str, str] = {}
    for n in range(0, 200):
        category = rule(n)
        if category not in forms:
            forms[category] = ngettext(singular, plural, n, count="{count}")
    forms.setdefault("other", ngettext(singular, plural, 5, count="{count}"))
    return forms
