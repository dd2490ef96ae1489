"""The desk's markup and the body depth check against adversarial text (issue 15).

    python benchmarks/markup.py [--repeat 5]

Times, in process, the desk's markup (desk.markup.publishable: parse, render, sanitise) on
100 KB texts built to be slow (many marks, many lines, deep nesting, runs of brackets), and
text.check_html on 200,000-character bodies (the API's limit) built to nest deeply in an HTML5 parser's tree. Each row is the
best of --repeat runs; a refused text counts the time to refuse it. Targets: 100 ms per 100 KB
of markup, and well under a second (here: 250 ms) per body.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from syndicate.desk import markup  # noqa: E402
from syndicate.text import HTMLTooDeep, check_html, sanitise_html  # noqa: E402

KB100 = 100_000
BODY = 200_000  # the editorial API's limit on body_html, in characters


def fill(unit: str, size: int = KB100, budget: int | None = None) -> str:
    """unit repeated to size characters (or budget times), padded with plain words."""
    times = size // len(unit) if budget is None else min(budget, size // len(unit))
    text = unit * times
    return text + ("words " * size)[: size - len(text)]


def markup_cases() -> dict[str, str]:
    marks, lines = markup.MAX_MARKS, markup.MAX_LINES - 1
    return {
        "plain words": fill("words "),
        "punctuation !-:#<&": fill("!-:#<&"),
        "brackets [ (refused)": fill("["),
        "brackets [ at the mark limit": fill("[", budget=marks),
        "asterisks at the mark limit": fill("*", budget=marks),
        "'**a ' (refused)": fill("**a "),
        "'**a ' at the mark limit": fill("**a ", budget=marks // 2),
        "'_a' at the mark limit": fill("_a", budget=marks),
        "links at the mark limit": fill("[*a*](https://example.org/x) ", budget=marks // 4),
        "'> '*45+x (refused)": "> " * 45 + "x",
        "'> '*400 (refused)": "> " * 400,
        f"quotes {markup.MAX_DEPTH - 1} deep, repeated": fill("> " * (markup.MAX_DEPTH - 2) + "x\n\n", budget=marks // (markup.MAX_DEPTH - 2)),
        "a link in a list item at the limits": fill("- [a](https://example.org/)\n", budget=marks // 2),
        "list items at the line limit": fill("- a\n", budget=lines),
        "numbered items at the line limit": fill("1. a\n", budget=lines),
        "quoted lines at the line limit": fill("> a\n", budget=lines),
        "paragraphs at the line limit": fill("a\n\n", budget=lines // 2),
        "line breaks at the line limit": fill("a\n", budget=lines),
    }


def depth_cases() -> dict[str, str]:
    return {
        "<ul/><li/> (issue 15)": fill("<ul/><li/>", BODY),
        "<div>": fill("<div>", BODY),
        "<b>": fill("<b>", BODY),
        "<p>x": fill("<p>x", BODY),
        "<li>x": fill("<li>x", BODY),
        "<b><p>x</p>": fill("<b><p>x</p>", BODY),
        "<table><td>": fill("<table><td>", BODY),
        "misnested <b><i>x</b></i>": fill("<b><i>x</b></i>", BODY),
        "<x a='</div>'>": fill("<x a='</div>'>", BODY),
        "comments <!--<div>-->": fill("<!--<div>-->", BODY),
        "well-formed, shallow": fill("<p><b>x</b> <a href='https://e.org'>y</a></p>", BODY),
    }


def best(fn, text: str, repeat: int) -> tuple[float, float, str]:
    """The least CPU time and wall time over repeat runs (CPU time: other load on the machine barely moves it)."""
    cpu, wall, outcome = [], [], ""
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        try:
            fn(text)
            outcome = "accepted"
        except (markup.MarkupRefused, HTMLTooDeep) as exc:
            outcome = f"refused: {exc}"
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start)
    return min(cpu), min(wall), outcome


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    failed = False
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    print(f"{'desk markup, 100 KB':<44} {'CPU ms':>7} {'wall ms':>8}  result")
    for name, text in markup_cases().items():
        cpu, wall, outcome = best(markup.publishable, text, args.repeat)
        ok = cpu < 0.100
        failed |= not ok
        print(f"{name:<44} {cpu * 1000:7.1f} {wall * 1000:8.1f}  {'PASS' if ok else 'FAIL'}  {outcome[:60]}")
    print(f"\n{'body check, then sanitising, 200,000 chars':<44} {'CPU ms':>7} {'wall ms':>8}  result")
    for name, text in depth_cases().items():
        def check_then_clean(body: str) -> None:
            check_html(body)
            sanitise_html(body)

        cpu, wall, outcome = best(check_then_clean, text, args.repeat)
        ok = cpu < 0.250
        failed |= not ok
        print(f"{name:<44} {cpu * 1000:7.1f} {wall * 1000:8.1f}  {'PASS' if ok else 'FAIL'}  {outcome[:60]}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
