"""The desk's markup: plain text with a few marks, made into HTML on the server, then sanitised.

What an editor types (what the desk's help and the README document, and nothing more):

- a blank line starts a new paragraph; a single line break stays a line break;
- **bold** and *italic* (or _italic_);
- [words](https://address) makes a link (http, https and mailto only);
- lines starting "- " or "* " make a bulleted list, "1. " a numbered one;
- lines starting "> " make a quotation.

Anything else, HTML included, is shown as typed. The marks are read by markdown-it-py
(CommonMark, linear time) with every other rule off; the result goes through the
project's sanitiser like every body. Text the desk would spend too long on, or that
nests too deeply to store, is refused with a reason (MarkupRefused) instead.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

from flask_babel import format_number
from flask_babel import ngettext
from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline

from ..text import clean_text, sanitise_html

MAX_CHARS = 100_000
# Each line and each mark costs the parser a few tokens; plain text between them costs next to
# nothing. Real updates use a few hundred of either; these bounds keep the worst text cheap to read
# (benchmarks/markup.py).
MAX_LINES = 2_000
MAX_MARKS = 2_000
_MARKS = ("*", "_", "[", "]", ">")
# Elements inside elements: a quote in a list item in a quote, with a bold link, is 8 (a tight
# list's items count their hidden paragraph). Well inside text.MAX_HTML_DEPTH.
MAX_DEPTH = 12
_LINK_SCHEMES = re.compile(r"(?:https?:|mailto:)", re.IGNORECASE)
# Only what the enabled inline rules start at (line break, emphasis, link brackets): a run of
# anything else is one text token, found by the regex engine rather than character by character.
_TEXT_RUN = re.compile(r"[^\n*_\[\]]+")


class MarkupRefused(ValueError):
    """Text the desk will not publish; the message says why, for the editor."""


def _text(state: StateInline, silent: bool) -> bool:
    run = _TEXT_RUN.match(state.src, state.pos, state.posMax)
    if run is None:
        return False
    if not silent:
        state.append_pending(run.group())
    state.pos = run.end()
    return True


def _parser() -> MarkdownIt:
    # maxNesting one past the limit: markdown-it drops what lies deeper without a word, so a
    # token at that level means something was dropped, and the text is refused (see _depth).
    md = MarkdownIt("zero", {"breaks": True, "maxNesting": MAX_DEPTH + 1})
    md.enable(["blockquote", "list", "emphasis", "link", "newline"])
    md.inline.ruler.at("text", _text)
    md.validateLink = lambda url: bool(_LINK_SCHEMES.match(url))
    return md


_MD = _parser()


def _depth(tokens) -> int:
    """How deep the parsed elements nest, counting inline ones (emphasis, links) inside their block."""
    deepest = 0
    for token in tokens:
        deepest = max(deepest, token.level + (token.nesting == 1))
        for child in token.children or ():
            deepest = max(deepest, token.level + child.level + (child.nesting == 1))
    return deepest


def _check_size(text: str) -> None:
    if len(text) > MAX_CHARS:
        raise MarkupRefused(ngettext("Keep the update under %(limit)s character.",
                                     "Keep the update under %(limit)s characters.", MAX_CHARS,
                                     limit=format_number(MAX_CHARS)))
    if text.count("\n") >= MAX_LINES:
        raise MarkupRefused(ngettext("Keep the update under %(limit)s line.", "Keep the update under %(limit)s lines.",
                                     MAX_LINES, limit=format_number(MAX_LINES)))
    if sum(text.count(mark) for mark in _MARKS) > MAX_MARKS:
        raise MarkupRefused(ngettext(
            "The update has more than %(limit)s mark (* _ [ ] >); keep formatting to what readers need.",
            "The update has more than %(limit)s marks (* _ [ ] >); keep formatting to what readers need.",
            MAX_MARKS, limit=format_number(MAX_MARKS)))


def to_html(text: str) -> str:
    """HTML from the desk's markup (not yet sanitised: see publishable). Raises MarkupRefused."""
    text = clean_text(text).replace("\r\n", "\n").replace("\r", "\n")
    _check_size(text)
    tokens = _MD.parse(text)
    if _depth(tokens) > MAX_DEPTH:
        raise MarkupRefused(ngettext(
            "Quotes, lists and emphasis nest more than %(num)d level deep here; flatten them.",
            "Quotes, lists and emphasis nest more than %(num)d levels deep here; flatten them.", MAX_DEPTH))
    # The renderer ends each block tag with a line break; every ">" it writes closes a tag
    # (text and addresses are escaped), so dropping those keeps the stored HTML compact.
    return _MD.renderer.render(tokens, _MD.options, {}).replace(">\n", ">")


def publishable(text: str) -> str:
    """Exactly the HTML that publishing this text stores: the markup, then the sanitiser."""
    return sanitise_html(to_html(text))


class _Back(HTMLParser):
    """Stored HTML back into the markup, so an update can be corrected in the same text area."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.line = ""
        self.lists: list[list] = []  # [kind, counter]
        self.quote = 0
        self.href: list[str | None] = []
        self.link_text = ""

    def _end_block(self):
        if self.line.strip():
            prefix = "> " if self.quote else ""
            self.blocks.append("\n".join(prefix + part for part in self.line.strip().split("\n")))
        self.line = ""

    def handle_starttag(self, tag, attrs):
        if tag in ("p", "h2", "h3", "h4", "figure", "pre"):
            self._end_block()
        elif tag == "br":
            self.line += "\n"
        elif tag in ("strong", "b"):
            self.line += "**"
        elif tag in ("em", "i"):
            self.line += "*"
        elif tag == "blockquote":
            self._end_block()
            self.quote += 1
        elif tag in ("ul", "ol"):
            self._end_block()
            self.lists.append([tag, 0])
        elif tag == "li" and self.lists:
            if self.line.strip():
                self.line += "\n"
            self.lists[-1][1] += 1
            kind, n = self.lists[-1]
            self.line += "- " if kind == "ul" else f"{n}. "
        elif tag == "a":
            self.href.append(dict(attrs).get("href"))
            self.line += "\x01"

    def handle_endtag(self, tag):
        if tag in ("p", "h2", "h3", "h4", "figure", "pre"):
            self._end_block()
        elif tag in ("strong", "b"):
            self.line += "**"
        elif tag in ("em", "i"):
            self.line += "*"
        elif tag == "blockquote":
            self._end_block()
            self.quote = max(0, self.quote - 1)
        elif tag in ("ul", "ol") and self.lists:
            self.lists.pop()
            if not self.lists:
                self._end_block()
        elif tag == "a" and self.href:
            href = self.href.pop()
            start = self.line.rfind("\x01")
            words = self.line[start + 1:]
            self.line = self.line[:start]
            self.line += words if not href else (href if words == href else f"[{words}]({href})")

    def handle_data(self, data):
        self.line += re.sub(r"\s+", " ", data) if not self.lists else data.replace("\n", " ")


def from_html(html: str) -> str:
    """The markup for a stored body. Lossy for what the markup cannot say (headings become paragraphs)."""
    back = _Back()
    back.feed(html)
    back.close()
    back._end_block()
    return "\n\n".join(back.blocks).replace("\x01", "")


def round_trips(html: str) -> bool:
    """Whether the desk can show this body as markup and publish it back unchanged."""
    return publishable(from_html(html)) == html
