"""The body depth check never under-estimates the tree an HTML5 parser (html5lib) builds, and refuses fast.

syndicate.htmldepth follows a parser's stack of open elements in one pass; these tests build tag
soup from the constructs where parsers differ from plain nesting (self-closing non-void tags,
implied ends, misnested formatting, tables, raw text, comments, quoted attributes) and check its
answer against html5lib's tree.
"""
from __future__ import annotations

import html5lib
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syndicate.htmldepth import VOID, Unmeasurable, html_depth

PIECES = [
    "<b>", "</b>", "<i>", "</i>", "<a href='x'>", "</a>", "<em>", "</em>", "<s>", "</s>", "<nobr>", "<font>", "</font>",
    "<p>", "</p>", "<p/>", "<div>", "</div>", "<span>", "</span>", "<q>", "</q>", "<ul>", "</ul>", "<ul/>", "<li>",
    "</li>", "<li/>", "<dl>", "<dd>", "<dt>", "</dd>", "<h1>", "</h1>", "<h2>", "</h2>", "<h3>", "</h6>",
    "<blockquote>", "</blockquote>", "<pre>", "</pre>", "<center>", "<address>", "</address>", "<listing>",
    "<table>", "</table>", "<caption>", "<colgroup>", "<col>", "<tbody>", "</tbody>", "<thead>", "<tfoot>", "<tr>",
    "</tr>", "<td>", "</td>", "<th>", "</th>", "<p><table>", "<button>", "</button>", "<form>", "</form>",
    "<object>", "</object>", "<applet>", "</applet>", "<marquee>", "<option>", "<optgroup>", "<ruby>", "<rt>", "<rb>",
    "<body>", "</body>", "<html>", "</html>", "<head>", "<frameset>", "<dialog>", "</dialog>",
    "<br>", "</br>", "<hr>", "<hr/>", "<img>", "<image>", "<input>", "<wbr>",
    "<textarea>", "</textarea>", "<title>", "</title>", "<style>", "</style>", "<xmp>", "</xmp>", "<iframe>",
    "</iframe>", "<plaintext>", "<!--", "-->", "--!>", "<!x>", "<?x>", "<x a='</div>'>", "<li a=\"", "\">",
    "<div a=b\"c>", "<B>", "</B>", "<DIV>", "<", "</", ">", "x", " ", "\n",
]


def parser_depth(body: str) -> int:
    """Depth of html5lib's tree for the body as a fragment, void elements not counted."""
    deepest, todo = 0, [(html5lib.parseFragment(body, container="div", namespaceHTMLElements=False), 0)]
    while todo:
        node, depth = todo.pop()
        for child in node:
            if isinstance(child.tag, str):
                below = depth + (child.tag not in VOID)
                deepest = max(deepest, below)
                todo.append((child, below))
    return deepest


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=80))
def test_depth_is_never_less_than_the_parsers(pieces):
    body = "".join(pieces)
    try:
        measured = html_depth(body)
    except Unmeasurable:
        return
    assert measured >= parser_depth(body), body


@pytest.mark.parametrize("body, depth", [
    ("<ul/><li/>" * 50, 100),             # self-closing non-void tags open their element
    ("<p>a<p>b<p>c", 1),                  # implied ends
    ("<ul><li>a<li>b</ul>", 2),
    ("<table><tr><td>a<td>b</table>", 4),  # tbody implied
    ("<b><p>x</p></b>" * 30, 2),
    ("<div><!-- <div><div> --></div>", 1),
    ("<div title='</div>'><div>", 2),
    ("<textarea><div><div></textarea>", 1),
])
def test_table_of_depths(body, depth):
    assert parser_depth(body) == depth
    assert html_depth(body) >= depth
    assert html_depth(body) <= depth + 2  # well-formed and common forms are read closely


@pytest.mark.parametrize("body", ["<svg><g>", "<math>", "<select><option>", "<template>",
                                  "<script><!--<script></script>--></script>"])
def test_what_it_cannot_follow_is_refused(body):
    with pytest.raises(Unmeasurable):
        html_depth(body)
