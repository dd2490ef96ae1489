"""Text that is safe to store and to put in XML: sanitised HTML, no control characters."""
import re
from html import escape

import nh3

from . import htmldepth, inline_images

# C0 controls XML 1.0 refuses, plus lone surrogates and the two non-characters.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

ALLOWED_TAGS = {
    "p", "br", "a", "em", "strong", "b", "i", "u", "s", "q", "cite", "blockquote",
    "ul", "ol", "li", "h2", "h3", "h4", "figure", "figcaption", "abbr", "sub", "sup",
    "code", "pre", "hr", "span", "img",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "q": {"cite"}, "blockquote": {"cite"},
                      "img": inline_images.ATTRIBUTES}


# Deeper than any story needs; past it, sanitising costs grow far faster than the text does.
MAX_HTML_DEPTH = 40
MAX_HTML_LENGTH = 2_000_000  # a bound on nh3's (linear) work; request bodies are smaller still


class HTMLTooDeep(ValueError):
    """HTML nested past MAX_HTML_DEPTH (or too long, or unmeasurable): refused before it is sanitised."""


def html_depth(value: str, limit: int = MAX_HTML_DEPTH) -> int:
    """How deep an HTML fragment nests in an HTML5 parser's tree, never under-estimated (see htmldepth)."""
    return htmldepth.html_depth(value, limit)


def check_html(value: str) -> None:
    """Raise HTMLTooDeep (a ValueError) for HTML too long or too deep to sanitise at a bounded cost."""
    if len(value) > MAX_HTML_LENGTH:
        raise HTMLTooDeep(f"is longer than {MAX_HTML_LENGTH} characters")
    try:
        depth = html_depth(value)
    except htmldepth.Unmeasurable as exc:
        raise HTMLTooDeep(str(exc)) from None
    if depth > MAX_HTML_DEPTH:
        raise HTMLTooDeep(f"nests elements more than {MAX_HTML_DEPTH} deep as an HTML parser reads it "
                          "(an element written <x/> is opened, not closed)")


def clean_text(value: str) -> str:
    """Plain text with the characters XML cannot carry removed."""
    return _XML_ILLEGAL.sub("", value)


def sanitise_html(value: str) -> str:
    """Body HTML reduced to an allow-list. No scripts, and images only of ours: pages load nothing from elsewhere.

    Raises HTMLTooDeep for input past the bounds: callers check first (check_html) to answer 422.
    """
    check_html(value)
    cleaned = nh3.clean(
        clean_text(value),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return inline_images.keep_our_images(cleaned, _site_url()).strip()


def _site_url() -> str | None:
    """Where our images live; outside an app nothing is ours, so every <img> goes."""
    from flask import current_app, has_app_context

    return current_app.config["SITE_URL"] if has_app_context() else None


def text_to_html(value: str) -> str:
    """Paragraphs from plain text: blank lines separate them."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", clean_text(value)) if p.strip()]
    return "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)


def html_to_text(value: str) -> str:
    return re.sub(r"\s+", " ", nh3.clean(value, tags=set())).strip()


def plain_text(value: str) -> str:
    """The words of an HTML fragment, entities decoded."""
    import html as _html

    return _html.unescape(html_to_text(value))


_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def teaser(text: str, words: int = 40) -> str:
    """The opening of a gated entry, long enough to judge it by: a sentence or two.

    It never gives away more than half of the entry, so a short update stays closed
    (no teaser at all when even one sentence would be too much).
    """
    all_words = text.split()
    limit = min(words, len(all_words) // 2)
    if limit < 8:
        return ""
    kept: list[str] = []
    for sentence in _SENTENCE_END.split(text.strip()):
        sentence_words = sentence.split()
        if len(kept) + len(sentence_words) > limit:
            break
        kept += sentence_words
        if len(kept) >= 15:
            break
    if len(kept) >= 8:
        return " ".join(kept)
    # No sentence ends early enough: cut at a word, and say so.
    return " ".join(all_words[:limit]).rstrip(",;:.") + "…"
