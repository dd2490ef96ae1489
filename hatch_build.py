"""Compiles the translation catalogues (.po, kept in the repo) to the .mo files Flask-Babel reads.

Runs on every install, editable ones included, so a checkout never serves a stale catalogue.
"""
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CompileCatalogues(BuildHookInterface):
    PLUGIN_NAME = "compile-catalogues"

    def initialize(self, version, build_data):
        root = Path(self.root)
        for po in sorted((root / "syndicate" / "locale").glob("*/LC_MESSAGES/*.po")):
            with po.open("rb") as source:
                catalogue = read_po(source, locale=po.parent.parent.name)
            mo = po.with_suffix(".mo")
            with mo.open("wb") as target:
                # Fuzzy entries are a translator's guess: never shown to readers.
                write_mo(target, catalogue, use_fuzzy=False)
            build_data["artifacts"].append(mo.relative_to(root).as_posix())
