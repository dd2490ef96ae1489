"""Rendered feeds, kept per worker until the content version moves on.

Rendering costs about as much as serving a whole request, so each document is
rendered once per content version and reused. The version is read from the
database on every request, so a change made through any worker is seen by all
of them on their next request.
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Hashable

from flask import current_app

from ..errors import APIError


@dataclass(frozen=True)
class Rendered:
    body: bytes
    etag: str


class RenderCache:
    def __init__(self, size: int):
        self.size = size
        self.version: int | None = None
        self.items: OrderedDict[Hashable, Rendered | APIError] = OrderedDict()
        self.lock = threading.Lock()

    def get_or_render(self, version: int, key: Hashable, render: Callable[[], bytes]) -> Rendered:
        """The rendered document for a key at a content version; an APIError the builder raised is kept too."""
        with self.lock:
            if version != self.version:
                self.items.clear()
                self.version = version
            hit = self.items.get(key)
            if hit is not None:
                self.items.move_to_end(key)
        if hit is None:
            try:
                body = render()
                hit = Rendered(body, '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"')
            except APIError as exc:
                hit = exc
            with self.lock:
                if version == self.version:
                    self.items[key] = hit
                    while len(self.items) > self.size:
                        self.items.popitem(last=False)
        if isinstance(hit, APIError):
            raise hit
        return hit


def render_cache() -> RenderCache:
    extensions = current_app.extensions
    cache = extensions.get("syndicate.feeds")
    if cache is None:
        cache = extensions["syndicate.feeds"] = RenderCache(current_app.config["FEED_CACHE_SIZE"])
    return cache
