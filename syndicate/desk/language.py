"""The desk's own language: each editor picks English or Russian (any of SYNDICATE_LANGUAGES) for the interface.

Public pages take their language from their address or story, never from the reader,
because one copy serves every reader. Desk pages are one editor's and never cached, so
the choice can live in a cookie: no account setting, no migration, and it is there on the
sign-in page before anyone is signed in. The cookie is scoped to /desk, so it never
reaches the public pages (an edge that bypasses its cache on cookies is not affected).
Never guessed from Accept-Language: an editor reads the language they chose.
"""
from __future__ import annotations

import re

from babel import Locale, UnknownLocaleError
from flask import current_app, request, url_for

from .. import i18n, languages

COOKIE = "desk_lang"
MAX_AGE = 400 * 24 * 3600  # the longest a browser keeps a cookie (RFC 6265bis)
PATH = "/desk"
# Where the switcher may send the editor back to: a desk page of this site, nothing else.
_BACK = re.compile(r"/desk(?:/[A-Za-z0-9._~%/-]*)?(?:\?[A-Za-z0-9._~%&=+-]*)?")
# Pages shown in answer to a POST, and the page that shows the same in answer to a GET.
_SHOWN_AFTER_POST = {"desk.preview": "desk.story", "desk.publish": "desk.story"}


def chosen() -> str:
    """The editor's language from the cookie: one of the site's languages, else the default."""
    value = request.cookies.get(COOKIE, "")
    return value if value in languages.configured() else languages.default()


def apply() -> None:
    """Render this desk request, and anything it raises, in the editor's language."""
    i18n.use(chosen())


def remember(response, lang: str) -> None:
    secure = current_app.config["SITE_URL"].startswith("https:")
    response.set_cookie(COOKIE, lang, max_age=MAX_AGE, path=PATH, secure=secure, httponly=True, samesite="Lax")


def back_to(value: str) -> str:
    """The desk page the switcher was used on; the desk's home for anything else (never another site)."""
    return value if _BACK.fullmatch(value or "") else url_for("desk.home")


def here() -> str:
    """The address that shows this page again with a GET: where the switcher returns."""
    endpoint = request.endpoint or ""
    if request.method != "GET" and endpoint in _SHOWN_AFTER_POST:
        return url_for(_SHOWN_AFTER_POST[endpoint], **(request.view_args or {}))
    return request.full_path.rstrip("?") if request.method == "GET" else request.path


def label(lang: str) -> str:
    """A language's name in the desk's language, as a sentence uses it: 'English', 'английский'."""
    try:
        name = Locale.parse(lang.replace("-", "_")).get_display_name(Locale.parse(i18n.current()))
    except (UnknownLocaleError, ValueError):
        name = None
    return name or languages.name(lang)


def switch_choices() -> list[tuple[str, str]]:
    """The other languages the desk can be used in, each named in itself (an editor looks for their own)."""
    current = i18n.current()
    return [(lang, languages.name(lang)) for lang in languages.configured() if lang != current]
