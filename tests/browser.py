"""Headless Chromium for the page tests: Debian's browser driven by playwright.

Importing this module skips the importing test module where playwright or
/usr/bin/chromium is missing, so the suite passes on a machine without a browser.
The `chromium` fixture (in conftest) launches it.
"""
from pathlib import Path

import pytest

pytest.importorskip("playwright.sync_api")
CHROMIUM = "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
PHONE = {"width": 375, "height": 812}

