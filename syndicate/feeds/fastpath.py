"""Feeds already rendered are answered before Flask dispatches the request.

A feed reader's poll of a cached document needs the content version, perhaps
a member's standing (one query, content.pulse), a cache lookup and headers.
Flask's routing, hooks and request context cost more than all of that, so
requests for feed URLs try this first and fall through to Flask, which
renders and fills the cache, whenever the document is not there yet, or the
request is anything but a cookie-less GET or HEAD.
"""
from __future__ import annotations

import logging
import re

from flask import Flask
from werkzeug.wrappers import Request

log = logging.getLogger(__name__)

FEED_PATH = re.compile(
    r"/(?:feeds/latest|stories/[^/]+/feed|regions/[^/]+/feed|archive/\d{4}-\d{2}-\d{2})\.(atom|rss|json)")


class CachedFeeds:
    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD") and "HTTP_COOKIE" not in environ:
            match = FEED_PATH.fullmatch(environ.get("PATH_INFO", ""))
            if match:
                response = self._cached(environ, match.group(1))
                if response is not None:
                    return response(environ, start_response)
        return self.wsgi_app(environ, start_response)

    def _cached(self, environ, fmt: str):
        from .views import cached_answer

        try:
            with self.app.app_context():
                return cached_answer(Request(environ), fmt)
        except Exception:  # noqa: BLE001 (Flask answers instead, and reports any real error properly)
            log.exception("feed fast path failed; falling back to Flask")
            return None
