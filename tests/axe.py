"""axe-core, the accessibility engine, run inside a page the browser has loaded.

.ci/run installs it from npm into tests/.axe (`npm install --prefix tests/.axe axe-core@4`);
where it is missing, the checks that need it are skipped. The script is evaluated through
the browser's debugging protocol, so the pages' own CSP (which allows no such script) stays on.
"""
from __future__ import annotations

from pathlib import Path

import pytest

AXE = Path(__file__).with_name(".axe") / "node_modules" / "axe-core" / "axe.min.js"


def violations(page) -> list[str]:
    """axe's WCAG 2.1 A and AA violations on the page, one line each."""
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed at {AXE}")
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    found = page.evaluate(
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
        ".then(r => r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', ')))")
    return found
