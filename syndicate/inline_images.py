"""Pictures inside a body: kept only when every URL they name is one of our stored sizes.

A picture from another host would tell that host who reads the page and when
(and could change under us), so an <img> whose src or any srcset candidate is
not SITE_URL/media/<id>/<width>.<jpg|webp> is removed whole. Runs on nh3's
output, whose attribute values are always double-quoted with <, >, & and "
escaped, so one pattern finds every tag.
"""
from __future__ import annotations

import html
import re

ATTRIBUTES = {"src", "srcset", "sizes", "alt", "width", "height", "loading", "decoding"}

_IMG = re.compile(r"<img((?:\s+[^\s=>]+(?:=\"[^\"]*\")?)*)\s*/?>")
_ATTR = re.compile(r"([^\s=>]+)(?:=\"([^\"]*)\")?")
_PATH = r"/media/[0-9a-f]{24}/[0-9]{1,6}\.(?:jpg|webp)"
_DESCRIPTOR = re.compile(r"[0-9]{1,6}w|[0-9]{1,2}(?:\.[0-9]{1,3})?x")
_DIMENSION = re.compile(r"[0-9]{1,5}")
# Media conditions and lengths only: no url(), quotes or anything else a browser would fetch.
_SIZES = re.compile(r"[A-Za-z0-9 ().,:%+*/-]{1,300}")
_SPACE = " \t\n\r\f"
_URL_ATTRS = re.compile(r"(?<=\s)(src|srcset)=\"([^\"]*)\"")


def keep_our_images(cleaned: str, site_url: str | None) -> str:
    """Sanitised HTML with each <img> made absolute and lazy, or removed when it names anything not ours."""
    ours = re.compile(("(?:" + re.escape(site_url) + ")?" if site_url else "(?!)") + _PATH)
    return _IMG.sub(lambda match: _rebuild(match.group(1), ours, site_url or ""), cleaned)


def _rebuild(raw: str, ours: re.Pattern, site_url: str) -> str:
    attrs = {name.lower(): html.unescape(value or "") for name, value in _ATTR.findall(raw)}
    src = _our_url(attrs.get("src", ""), ours, site_url)
    if src is None:
        return ""
    kept = {"src": src}
    if "srcset" in attrs:
        srcset = _our_srcset(attrs["srcset"], ours, site_url)
        if srcset is None:
            return ""
        kept["srcset"] = srcset
    if _SIZES.fullmatch(attrs.get("sizes", "")):
        kept["sizes"] = attrs["sizes"]
    kept["alt"] = attrs.get("alt", "")  # present even when empty: a picture is never read out as its URL
    for name in ("width", "height"):
        if _DIMENSION.fullmatch(attrs.get(name, "")):
            kept[name] = attrs[name]
    # Pages load pictures lazily, whatever the body asked for.
    kept["loading"], kept["decoding"] = "lazy", "async"
    return "<img " + " ".join(f'{name}="{html.escape(value, quote=True)}"' for name, value in kept.items()) + ">"


def _our_url(value: str, ours: re.Pattern, site_url: str) -> str | None:
    """The absolute form of one of our media URLs (a root-relative one included), or None."""
    value = value.strip(_SPACE)
    if not ours.fullmatch(value):
        return None
    return site_url + value if value.startswith("/") else value


def _our_srcset(value: str, ours: re.Pattern, site_url: str) -> str | None:
    """The srcset with every candidate made absolute, or None if any names something else."""
    candidates = []
    for candidate in value.split(","):
        parts = candidate.split()
        if not parts or len(parts) > 2 or (len(parts) == 2 and not _DESCRIPTOR.fullmatch(parts[1])):
            return None
        url = _our_url(parts[0], ours, site_url)
        if url is None:
            return None
        candidates.append(" ".join([url, *parts[1:]]))
    return ", ".join(candidates) or None


def page_images(stored: str, site_url: str) -> str:
    """A stored body's pictures made root-relative for a page; links and text are left as they are."""
    if "<img" not in stored:
        return stored
    ours = site_url + "/media/"

    def local(attr: re.Match) -> str:
        return f'{attr.group(1)}="{attr.group(2).replace(ours, "/media/")}"'

    return _IMG.sub(lambda tag: _URL_ATTRS.sub(local, tag.group(0)), stored)
