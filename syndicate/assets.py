"""The site's own style sheet and scripts: addressed by their content, so browsers and the edge keep them.

Every `url_for("static", filename=...)` gets `?v=<digest of the file>`; a changed file gets a new
address, so an address can be cached for a year. Without the edge keeping them, each new reader's
page brought two or three requests to the app (measured by benchmarks/spike.py).
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Flask, request

YEAR = 31_536_000


@lru_cache(maxsize=64)
def _digest(path: str, mtime_ns: int) -> str:
    return hashlib.blake2b(Path(path).read_bytes(), digest_size=6).hexdigest()


def version(app: Flask, filename: str) -> str | None:
    """A short digest of a static file's bytes, or None when there is no such file."""
    path = Path(app.static_folder or "") / filename
    try:
        return _digest(str(path), path.stat().st_mtime_ns)
    except OSError:
        return None


def init_app(app: Flask) -> None:
    @app.url_defaults
    def _versioned(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values and "v" not in values:
            v = version(app, values["filename"])
            if v:
                values["v"] = v

    @app.after_request
    def _cache_versioned(response):
        # Only an address that names the bytes may be kept long; a bare one is revalidated.
        filename = (request.view_args or {}).get("filename", "")
        if (request.endpoint == "static" and response.status_code == 200 and filename
                and request.args.get("v") == version(app, filename)):
            response.cache_control.public = True
            response.cache_control.max_age = YEAR
            response.cache_control.immutable = True
            response.cache_control.no_cache = None
        return response
