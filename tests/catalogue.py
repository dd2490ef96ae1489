"""The English strings our code marks for translation, and a check that none is left on a page.

The strings come from the code itself (Babel's extractor with the project's babel.cfg), so a
string added to a template without a translation is found here too, not only ones in the
catalogue. A page is scanned where a reader meets words: its text, its title, the attributes a
browser or a screen reader shows (alt, title, aria-label, placeholder, button values, meta
descriptions) and the data-* attributes our scripts show.
"""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from lxml import html as lxml_html

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "syndicate" / "locale" / "{lang}" / "LC_MESSAGES" / "messages.po"
# As `pybabel extract -F babel.cfg -k lazy_gettext -k lazy_ngettext:1,2 -k plural_templates:1,2` (README).
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "lazy_ngettext": (1, 2), "plural_templates": (1, 2)}

SHOWN_ATTRIBUTES = ("title", "alt", "aria-label", "placeholder", "label")


@cache
def extracted() -> tuple[tuple[str, ...], ...]:
    """Every message the code marks, as (singular,) or (singular, plural)."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = []
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        ids = message if isinstance(message, tuple) else (message,)
        ids = tuple(i for i in ids if i)
        if ids and ids not in found:
            found.append(ids)
    return tuple(found)


@cache
def catalogue(lang: str):
    with open(str(CATALOGUE).format(lang=lang), "rb") as source:
        return read_po(source, locale=lang)


_PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]+\}|<[^>]*>|&[a-z]+;")


def fragments(message: str) -> list[str]:
    """The runs of words a reader would see of a message: what is left between its placeholders and tags."""
    parts = (" ".join(p.split()) for p in _PLACEHOLDER.split(message))
    return [p.strip(" .,:;!?()·–—\"“”'") for p in parts if len(re.findall(r"[A-Za-z]", p)) >= 3]


@cache
def english_fragments(lang: str) -> tuple[str, ...]:
    """Fragments of the marked English strings that the `lang` translation does not itself contain."""
    cat = catalogue(lang)
    out = set()
    for ids in extracted():
        entry = cat.get(ids[0] if len(ids) == 1 else ids)
        translated = " ".join(s for s in (entry.string if entry and isinstance(entry.string, tuple)
                                          else [entry.string if entry else ""]) if s)
        for message in ids:
            for frag in fragments(message):
                if frag and frag not in translated:
                    out.add(frag)
    return tuple(sorted(out, key=len, reverse=True))


# A value that is an address (a share button's URL, og:url) is something a program uses, not words it shows.
_ADDRESS = re.compile(r"(?:https?:)?/\S*$")


def shown_text(page: str) -> str:
    """What a reader meets on a page, as one string of text runs separated by newlines."""
    tree = lxml_html.document_fromstring(page)
    runs = []
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag not in ("script", "style") and element.text:
            runs.append(element.text)
        if element.tail:
            runs.append(element.tail)
        for name, value in element.attrib.items():
            if name in SHOWN_ATTRIBUTES or (name.startswith("data-") and not _ADDRESS.match(value)):
                runs.append(value)
            elif name == "value" and element.tag in ("input", "button") and element.get("type") in ("submit", "button"):
                runs.append(value)
            elif name == "content" and element.tag == "meta" and not _ADDRESS.match(value) and (
                    element.get("name") in ("description", "twitter:title", "twitter:description")
                    or (element.get("property") or "").startswith("og:")):
                runs.append(value)
    return "\n".join(" ".join(r.split()) for r in runs if r.strip())


def english_left(page: str, lang: str = "ru") -> list[str]:
    """The marked English strings found on a page meant to be in `lang`."""
    text = shown_text(page)
    left = []
    for frag in english_fragments(lang):
        if re.search(r"(?<![A-Za-z])" + re.escape(frag) + r"(?![A-Za-z])", text):
            left.append(frag)
    return left


def page_language(page: str) -> str | None:
    match = re.search(r'<html lang="([^"]+)"', page)
    return match.group(1) if match else None


# Words that stay in Latin letters on a Russian page: names of formats and zones, and the site's name.
LATIN_ALLOWED = {"RSS", "RSS 2.0", "Atom", "JSON", "JSON Feed", "GMT", "Stripe", "OPML", "URL", "Bearer"}


def latin_runs(page: str, allowed: set[str] = frozenset()) -> list[str]:
    """Runs of two or more Latin-letter words on a page meant to be in a Cyrillic language.

    This finds interface strings nobody marked for translation, which the catalogue scan cannot
    see; a test's own content must then be written in Russian, as a Russian story's is.
    """
    text = shown_text(page)
    for name in sorted(LATIN_ALLOWED | set(allowed), key=len, reverse=True):
        text = text.replace(name, " ")
    return [m.group(0) for m in re.finditer(r"[A-Za-z][A-Za-z'’-]*(?:[ ,.:;]+[A-Za-z][A-Za-z'’-]*)+", text)]
