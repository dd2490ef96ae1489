"""Text that is safe to store and to put in XML: sanitised HTML, no control characters."""
import re
from html import escape

import nh3

# C0 controls XML 1.0 refuses, plus lone surrogates and the two non-characters.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

ALLOWED_TAGS = {
    "p", "br", "a", "em", "strong", "b", "i", "u", "s", "q", "cite", "blockquote",
    "ul", "ol", "li", "h2", "h3", "h4", "figure", "figcaption", "abbr", "sub", "sup",
    "code", "pre", "hr", "span",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "q": {"cite"}, "blockquote": {"cite"}}


# Deeper than any story needs; past it, sanitising costs grow far faster than the text does.
MAX_HTML_DEPTH = 40
MAX_HTML_LENGTH = 2_000_000  # a bound on nh3's (linear) work; request bodies are smaller still
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)[^>]*?(/?)>")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# A new one of these closes an open one of the same name, as HTML parsers do (<li>a<li>b are siblings).
_SELF_CLOSING_SIBLINGS = {"p", "li", "dt", "dd", "tr", "td", "th", "option"}


class HTMLTooDeep(ValueError):
    """HTML nested past MAX_HTML_DEPTH: refused before it is sanitised."""


def html_depth(value: str) -> int:
    """How deep an HTML fragment's elements nest, read in one pass over its tags (no parser, linear)."""
    stack: list[str] = []
    deepest = 0
    for match in _TAG.finditer(value):
        closing, name, self_closing = match.group(1), match.group(2).lower(), match.group(3)
        if name in _VOID or self_closing:
            continue
        if closing:
            if name in stack:
                while stack.pop() != name:
                    pass
            continue
        if name in _SELF_CLOSING_SIBLINGS and stack and stack[-1] == name:
            stack.pop()
        stack.append(name)
        deepest = max(deepest, len(stack))
    return deepest


def check_html(value: str) -> None:
    """Raise HTMLTooDeep (a ValueError) for HTML too long or too deep to sanitise at a bounded cost."""
    if len(value) > MAX_HTML_LENGTH:
        raise HTMLTooDeep(f"is longer than {MAX_HTML_LENGTH} characters")
    if html_depth(value) > MAX_HTML_DEPTH:
        raise HTMLTooDeep(f"nests elements more than {MAX_HTML_DEPTH} deep")


def clean_text(value: str) -> str:
    """Plain text with the characters XML cannot carry removed."""
    return _XML_ILLEGAL.sub("", value)


def sanitise_html(value: str) -> str:
    """Body HTML reduced to an allow-list. No images or scripts: pages load nothing from elsewhere.

    Raises HTMLTooDeep for input past the bounds: callers check first (check_html) to answer 422.
    """
    check_html(value)
    return nh3.clean(
        clean_text(value),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    ).strip()


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
