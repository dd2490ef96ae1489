"""The site's languages: which are configured, which is the default, and the addresses of each.

The first of SYNDICATE_LANGUAGES is the default: its pages live at the root (`/`,
`/archive/`, `/feeds/latest.atom`). Every other language has the same pages under
`/<lang>/`. A page's language comes from its address or its story, never from
Accept-Language: a cached page must be the same for every reader of its kind.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Flask, current_app, url_for
from werkzeug.routing import BaseConverter, ValidationError

from .config import ConfigError

# Lower-case primary subtags, optionally with a region (`pt-br`): these also name URL prefixes.
_TAG = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{2,8})?")

# What the switcher calls each language, in that language (a reader looks for their own).
NAMES = {"en": "English", "ru": "Русский", "ka": "ქართული", "hy": "Հայերեն", "de": "Deutsch", "fr": "Français",
         "uk": "Українська", "az": "Azərbaycan"}


def parse(value) -> tuple[str, ...]:
    """SYNDICATE_LANGUAGES as a tuple of tags, default first; refused at start-up when malformed."""
    items = value.split(",") if isinstance(value, str) else list(value or [])
    tags = tuple(dict.fromkeys(str(item).strip().lower() for item in items if str(item).strip()))
    if not tags:
        return ("en",)
    bad = [t for t in tags if not _TAG.fullmatch(t)]
    if bad:
        raise ConfigError(f"SYNDICATE_LANGUAGES: {', '.join(bad)} is not a language tag such as en or ru")
    return tags


def configured() -> tuple[str, ...]:
    return current_app.config["LANGUAGES"]


def default() -> str:
    return configured()[0]


def others() -> tuple[str, ...]:
    """The languages that have their pages under /<lang>/."""
    return configured()[1:]


def name(lang: str) -> str:
    return NAMES.get(lang, lang)


def prefix_values(lang: str | None) -> dict:
    """The URL values that put an endpoint in a language: none for the default one."""
    return {} if not lang or lang == default() else {"lang": lang}


def home_url(lang: str) -> str:
    return url_for("content.home", **prefix_values(lang))


def of_story(story) -> str:
    """A story's language as the site knows it: one of the configured ones, else the default."""
    return story.language if story.language in configured() else default()


class LanguageConverter(BaseConverter):
    """A URL part naming one of the app's non-default languages (`/ru/...`); any other value matches no page.

    Checked against the configuration when a request is matched, not when routes are made, so a
    command that changes the languages (the demo) needs no new routes.
    """

    regex = _TAG.pattern
    part_isolating = True

    def to_python(self, value: str) -> str:
        if value not in others():
            raise ValidationError()
        return value


def init_app(app: Flask) -> None:
    app.url_map.converters["lang"] = LanguageConverter

    @app.context_processor
    def _languages():
        # Pages override page_lang and alternates; these are what any other page (desk, account) says.
        return {"page_lang": default(), "alternates": [], "language_links": language_links,
                "lang_prefix": prefix_values, "language_name": name}


@dataclass(frozen=True)
class Link:
    lang: str
    url: str
    name: str
    translated: bool  # leads to this page's translation, not to that language's home


def language_links(page_lang: str | None, alternates) -> list[Link]:
    """The switcher: each other language's version of this page where there is one, else its home."""
    page_lang = page_lang or default()
    found = {a.lang: a.url for a in alternates or []}
    links = []
    for lang in configured():
        if lang == page_lang:
            continue
        url = found.get(lang)
        links.append(Link(lang, url or home_url(lang), name(lang), url is not None))
    return links
