"""How deep an HTML body nests in the tree an HTML5 parser builds: never under-estimated, found in linear time.

HTML5 parsers (html5ever inside nh3 among them) spend time that grows with the square of the
depth, so the depth must be known before one runs. This reads the tags as an HTML5 tokenizer
does (comments, quoted attributes, raw text elements) and follows the parser's stack of open
elements: `<x/>` opens x unless x is void, `<p>` and `<li>` close the one before, an end tag
closes what a parser would close, formatting elements (b, i, a...) stay counted until their own
end tag, as a parser reopens them. Where a parser could do something this reading does not
follow (misnested formatting around blocks, stray table parts, a heading inside a heading...),
it stops closing anything for the rest of the body: from there every start tag adds a level.
That over-estimates odd HTML, which is then refused with a reason; it never under-estimates.
A few elements a body cannot keep and whose parsing rules differ (svg, math, select, template,
a script holding "<!--") are refused outright.
"""
from __future__ import annotations

import re

VOID = frozenset({"area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "image", "img",
                  "input", "keygen", "link", "meta", "param", "source", "track", "wbr"})
FORMATTING = frozenset({"a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong",
                        "tt", "u"})
SPECIAL = frozenset({
    "address", "applet", "area", "article", "aside", "base", "basefont", "bgsound", "blockquote", "body", "br",
    "button", "caption", "center", "col", "colgroup", "dd", "details", "dir", "div", "dl", "dt", "embed",
    "fieldset", "figcaption", "figure", "footer", "form", "frame", "frameset", "h1", "h2", "h3", "h4", "h5", "h6",
    "head", "header", "hgroup", "hr", "html", "iframe", "img", "input", "keygen", "li", "link", "listing", "main",
    "marquee", "menu", "meta", "nav", "noembed", "noframes", "noscript", "object", "ol", "p", "param",
    "plaintext", "pre", "script", "search", "section", "select", "source", "style", "summary", "table", "tbody",
    "td", "template", "textarea", "tfoot", "th", "thead", "title", "tr", "track", "ul", "wbr", "xmp"})
# Where a parser's "in scope" searches stop, and table parts (their own insertion modes).
BARRIER = frozenset({"applet", "caption", "html", "table", "td", "th", "marquee", "object", "button", "tr",
                     "tbody", "thead", "tfoot", "colgroup"})
# Start tags that close an open <p> ("close a p element" in the HTML standard).
CLOSES_P = frozenset({
    "address", "article", "aside", "blockquote", "center", "details", "dir", "div", "dl", "fieldset",
    "figcaption", "figure", "footer", "header", "hgroup", "main", "menu", "nav", "ol", "p", "section",
    "summary", "ul", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "listing", "form", "plaintext", "xmp", "hr"})
# End tags that close their element and everything above it when it is in scope.
BLOCK_END = frozenset({
    "address", "article", "aside", "blockquote", "center", "details", "dialog", "dir", "div", "dl", "fieldset",
    "figcaption", "figure", "footer", "header", "hgroup", "listing", "main", "menu", "nav", "ol", "pre",
    "section", "summary", "ul", "dd", "dt"})
# Newer in the standard than some parsers: whether they close anything differs, so they are not followed.
UNSETTLED = frozenset({"search", "dialog", "menuitem"})
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
CELLS = frozenset({"td", "th"})
SECTIONS = frozenset({"tbody", "thead", "tfoot"})
TABLE_PARTS = frozenset({"table", "caption", "colgroup", "tbody", "thead", "tfoot", "tr", "td", "th"})
REFUSED = frozenset({"svg", "math", "select", "template", "isindex"})
RAW_TEXT = frozenset({"title", "textarea", "style", "xmp", "iframe", "noembed", "noframes", "noscript", "script"})
# Where each search down the stack stops (computed once: they run for every tag).
_ITEM_STOP = {"li": SPECIAL - {"address", "div", "p", "li"}, "dd": SPECIAL - {"address", "div", "p", "dd", "dt"}}
_CELL_STOP = BARRIER - CELLS
_ROW_STOP = BARRIER - CELLS - {"tr"}
_SECTION_STOP = {name: BARRIER - CELLS - {"tr", name} for name in SECTIONS}
_TABLE_STOP = (BARRIER - TABLE_PARTS) | {"table"}
_LIST_ITEM_SCOPE = BARRIER | {"ol", "ul"}
_ANY_OTHER_STOP = SPECIAL | BARRIER
_TABLE_MODES = TABLE_PARTS - CELLS - {"caption"}
# Implied levels: <table><td> gets a tbody and a tr from the parser.
WEIGHT = {"table": 3}

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_WS = "\t\n\f\r "
# A tag after "<" or "</" and its first letter: the name, then attributes as the tokenizer reads
# them (a quote opens a value only after "="), then the end of the tag (None at the end of input).
_TAG = re.compile(r"""([^\t\n\f\r />]*)((?:[\t\n\f\r /]+|[^\t\n\f\r />][^\t\n\f\r />=]*"""
                  r"""(?:[\t\n\f\r ]*=[\t\n\f\r ]*(?:"[^"]*"|'[^']*'|[^\t\n\f\r >]+)?)?)*)(>)?""")
_COMMENT_END = re.compile(r"--!?>")


class Unmeasurable(ValueError):
    """HTML whose depth this reading does not follow (svg, math, select, template, a script holding "<!--")."""


class _Stack:
    """The parser's open elements, as far as depth goes."""

    def __init__(self, limit: int):
        self.limit = limit
        self.names: list[str] = []
        self.weight = 0
        # Open formatting elements, oldest first: [name, how many names were open below it, still on the stack].
        self.formatting: list[list] = []
        self.deepest = 0
        self.frozen = False  # from here on nothing closes

    def depth(self) -> int:
        return self.weight + len(self.formatting)

    def note(self, extra: int = 0) -> None:
        self.deepest = max(self.deepest, self.depth() + extra)

    def push(self, name: str) -> None:
        self.names.append(name)
        self.weight += WEIGHT.get(name, 1)
        self.note()

    def pop_to(self, index: int) -> None:
        """Close names[index] and everything above it; formatting elements above it stay counted (a parser reopens them)."""
        for name in self.names[index:]:
            self.weight -= WEIGHT.get(name, 1)
        del self.names[index:]
        for entry in self.formatting:
            if entry[1] > index:
                entry[2] = False

    def pop(self) -> None:
        self.pop_to(len(self.names) - 1)

    def topmost(self, wanted, stop) -> int | None:
        """Index of the topmost element in wanted, unless an element in stop lies above it (or is it)."""
        for index in range(len(self.names) - 1, -1, -1):
            name = self.names[index]
            if name in wanted:
                return index
            if name in stop:
                return None
        return None

    def freeze(self) -> None:
        self.frozen = True

    # ---- start tags

    def start(self, name: str) -> None:
        if name in REFUSED:
            raise Unmeasurable(f"contains <{name}>, which a body cannot hold")
        if name in VOID:
            if not self.frozen:
                self._implied_closes(name)  # <hr> closes a p
            if name == "col":
                self.note(1)  # a col outside a colgroup gets one from the parser
            return
        if name in FORMATTING:
            if (name in ("a", "nobr") and any(entry[0] == name for entry in self.formatting)) or \
                    (self.names and self.names[-1] in _TABLE_MODES):
                self.freeze()  # a second <a> closes the first by the adoption agency; in a table, it moves out
            self.formatting.append([name, len(self.names), True])
            self.note()
            return
        if not self.frozen:
            self._implied_closes(name)
        self.push(name)

    def _implied_closes(self, name: str) -> None:
        top = self.names[-1] if self.names else None
        if top in ("table", "tbody", "thead", "tfoot", "tr"):
            # Table modes: only the expected parts, in order, are followed.
            if not ((top == "table" and name in ("caption", "colgroup", "tbody", "thead", "tfoot", "tr"))
                    or (top in SECTIONS and name == "tr") or (top == "tr" and name in CELLS)):
                self.freeze()
            return
        if top == "colgroup":
            self.freeze()
            return
        if name in CELLS or name == "tr":
            # A new cell (or row) closes the open cell (and row) if that is the nearest table part.
            cell = self.topmost(CELLS, _CELL_STOP)
            if cell is None:
                self.freeze()  # a cell outside a row: the parser ignores it, or builds around it
                return
            if name == "tr":
                row = self.topmost({"tr"}, _ROW_STOP)
                if row is None:
                    self.freeze()
                    return
                self.pop_to(row)
            else:
                self.pop_to(cell)
            return
        if name in TABLE_PARTS - {"table"}:
            self.freeze()  # a table part outside its table
            return
        if name in UNSETTLED or (name == "table" and self.topmost({"p"}, BARRIER) is not None):
            self.freeze()  # whether <table> closes a p depends on the document's mode
        elif name in CLOSES_P:
            p = self.topmost({"p"}, BARRIER)
            if p is not None:
                self.pop_to(p)
            if name in HEADINGS and self.names and self.names[-1] in HEADINGS:
                self.freeze()  # a heading in a heading closes it only if it is the current node
        elif name == "li":
            self._close_item({"li"}, _ITEM_STOP["li"])
        elif name in ("dd", "dt"):
            self._close_item({"dd", "dt"}, _ITEM_STOP["dd"])
        elif name in ("option", "optgroup", "rb", "rp", "rt", "rtc", "button", "table", "form", "frameset",
                      "body", "html", "head"):
            self.freeze()  # closes something only in some states, or changes how what follows is read

    def _close_item(self, items: set[str], stop: frozenset) -> None:
        # The parser looks down the stack for an open item, stopping at a special element
        # other than address, div and p; then closes a p.
        index = self.topmost(items, stop)
        if index is not None:
            self.pop_to(index)
        p = self.topmost({"p"}, BARRIER)
        if p is not None:
            self.pop_to(p)

    # ---- end tags

    def end(self, name: str) -> None:
        if name in FORMATTING:
            self._end_formatting(name)
            return
        if self.frozen or name in VOID:
            if name == "p":
                self.note(1)
            return
        if name == "p":
            index = self.topmost({"p"}, BARRIER)
            if index is None:
                self.note(1)  # </p> with no <p> open makes an empty p
            else:
                self.pop_to(index)
        elif name == "li":
            self._end_at(self.topmost({"li"}, _LIST_ITEM_SCOPE))
        elif name in BLOCK_END:
            self._end_at(self.topmost({name}, BARRIER))
        elif name in HEADINGS:
            self._end_at(self.topmost(HEADINGS, BARRIER))
        elif name in CELLS:
            self._end_at(self.topmost({name}, _CELL_STOP | (CELLS - {name})), exact=True)
        elif name == "tr":
            self._end_at(self.topmost({"tr"}, _ROW_STOP), exact=True)
        elif name in SECTIONS:
            self._end_at(self.topmost({name}, _SECTION_STOP[name]), exact=True)
        elif name == "table":
            self._end_at(self.topmost({"table"}, _TABLE_STOP), exact=True)
        elif name in TABLE_PARTS or name in UNSETTLED or name in ("form", "body", "html", "button", "applet",
                                                                   "marquee", "object"):
            self.freeze()  # each has its own rule; not followed
        else:
            # Any other end tag: close the nearest element of that name, unless a special one comes first.
            self._end_at(self.topmost({name}, _ANY_OTHER_STOP))

    def _end_at(self, index: int | None, exact: bool = False) -> None:
        if index is not None:
            self.pop_to(index)
        elif exact:
            self.freeze()

    def _end_formatting(self, name: str) -> None:
        if self.frozen:
            return
        for index in range(len(self.formatting) - 1, -1, -1):
            entry = self.formatting[index]
            if entry[0] != name:
                continue
            if entry[2] and entry[1] == len(self.names):
                del self.formatting[index]  # nothing opened inside it is still open: it simply closes
            else:
                self.freeze()  # closed by a block and reopened since, or around open blocks: not followed
            return


def _skip_raw_text(value: str, name: str, position: int) -> int:
    """Where a raw text element's content ends (after its end tag), as the tokenizer finds it."""
    end = re.compile(r"</" + name + r"(?=[\t\n\f\r />])", re.IGNORECASE).search(value, position)
    stop = end.start() if end else len(value)
    if name == "script" and "<!--" in value[position:stop]:
        raise Unmeasurable("contains a script holding \"<!--\", whose end a parser finds elsewhere")
    if end is None:
        return len(value)
    close = _TAG.match(value, end.start() + 2)
    return close.end() if close.group(3) else len(value)


def html_depth(value: str, limit: int = 1 << 30) -> int:
    """How deep the elements of an HTML fragment nest once an HTML5 parser builds it, never less.

    Void elements do not count. Stops reading once past limit. Raises Unmeasurable (a ValueError).
    """
    stack = _Stack(limit)
    position, length = 0, len(value)
    while stack.deepest <= limit:
        position = value.find("<", position)
        if position < 0:
            break
        after = value[position + 1:position + 2]
        if after == "/":
            after, opening = value[position + 2:position + 3], False
        else:
            opening = True
        if opening and value.startswith("<!--", position):
            close = re.compile(r">").search(value, position + 4) if value.startswith(("<!-->", "<!--->"), position) \
                else _COMMENT_END.search(value, position + 4)
            position = close.end() if close else length
        elif opening and after in ("!", "?") or not opening and after and after != ">" and not _letter(after):
            close = value.find(">", position + 2)
            position = close + 1 if close >= 0 else length  # a bogus comment
        elif not opening and after == ">":
            position += 3
        elif _letter(after):
            tag = _TAG.match(value, position + (1 if opening else 2))
            if tag.group(3) is None:
                break  # the input ends inside a tag: the parser drops it
            position = tag.end()
            name = tag.group(1).translate(_ASCII_LOWER)
            if not opening:
                stack.end(name)
                continue
            stack.start(name)
            if name == "plaintext":
                break
            if name in RAW_TEXT:
                position = _skip_raw_text(value, name, position)
                stack.pop()
        else:
            position += 1
    return stack.deepest


def _letter(char: str) -> bool:
    return char.isascii() and char.isalpha()
