"""The desk's markup: plain text with a few marks, made into HTML on the server, then sanitised.

What an editor types:

- a blank line starts a new paragraph; a single line break stays a line break;
- **bold** and *italic* (or _italic_);
- [words](https://address) makes a link, and a bare https:// address links itself;
- lines starting "- " or "* " make a bulleted list, "1. " a numbered one;
- lines starting "> " make a quotation.

Anything else, HTML included, is shown as typed: the text is escaped before any
mark is read, and the result goes through the project's sanitiser like every body.
"""
from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser

from ..text import clean_text, sanitise_html

_LINK = re.compile(r"\[([^\]\n]+)\]\(((?:https?://|mailto:)[^\s)]+)\)|(https?://[^\s<]+)")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_ITALIC = re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])|(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])")
_KINDS = (("ul", re.compile(r"\s*[-*]\s+(.*)")), ("ol", re.compile(r"\s*\d{1,3}[.)]\s+(.*)")),
          ("quote", re.compile(r"\s*>\s?(.*)")))
_TRAILING = ".,;:!?)"
MAX_CHARS = 100_000


def _inline(text: str) -> str:
    """Escape a line, then turn its links and emphasis into HTML (links first, so URLs keep their * and _)."""
    links: list[str] = []

    def keep(match: re.Match) -> str:
        if match.group(3):  # a bare address: leave sentence punctuation outside it
            url = match.group(3)
            tail = ""
            while url and url[-1] in _TRAILING:
                url, tail = url[:-1], url[-1] + tail
            links.append(f'<a href="{escape(url)}">{escape(url)}</a>')
            return f"\x00{len(links) - 1}\x00{escape(tail)}"
        links.append(f'<a href="{escape(match.group(2))}">{_emphasis(escape(match.group(1)))}</a>')
        return f"\x00{len(links) - 1}\x00"

    out = []
    position = 0
    for match in _LINK.finditer(text):
        out.append(_emphasis(escape(text[position:match.start()])))
        out.append(keep(match))
        position = match.end()
    out.append(_emphasis(escape(text[position:])))
    html = "".join(out)
    return re.sub(r"\x00(\d+)\x00", lambda m: links[int(m.group(1))], html)


def _emphasis(escaped: str) -> str:
    escaped = _BOLD.sub(r"<strong>\1</strong>", escaped)
    return _ITALIC.sub(lambda m: f"<em>{m.group(1) or m.group(2)}</em>", escaped)


def _kind(line: str) -> tuple[str, str]:
    for kind, pattern in _KINDS:
        match = pattern.fullmatch(line)
        if match:
            return kind, match.group(1)
    return "p", line


def _block(lines: list[str]) -> str:
    """One paragraph's lines: runs of list items, quoted lines and plain lines, each its own element."""
    runs: list[tuple[str, list[str]]] = []
    for line in lines:
        kind, text = _kind(line)
        if runs and runs[-1][0] == kind:
            runs[-1][1].append(text)
        else:
            runs.append((kind, [text]))
    html = []
    for kind, texts in runs:
        if kind in ("ul", "ol"):
            html.append(f"<{kind}>" + "".join(f"<li>{_inline(t.strip())}</li>" for t in texts) + f"</{kind}>")
        elif kind == "quote":
            html.append("<blockquote>" + to_html("\n".join(texts)) + "</blockquote>")
        else:
            html.append("<p>" + "<br>".join(_inline(t.strip()) for t in texts) + "</p>")
    return "".join(html)


def to_html(text: str) -> str:
    """HTML from the desk's markup (not yet sanitised: see publishable)."""
    text = clean_text(text[:MAX_CHARS]).replace("\r\n", "\n").replace("\r", "\n")
    blocks = [b for b in re.split(r"\n[ \t]*\n", text) if b.strip()]
    return "".join(_block([line for line in block.split("\n") if line.strip()]) for block in blocks)


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
