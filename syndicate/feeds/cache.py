"""Rendered feeds, kept per worker until the content version moves on.

Rendering costs about as much as serving a whole request, so each document is
rendered once per content version and reused; the version is read on every
request, so a change made through any worker is seen by all of them on their
next request. Each document is kept plain and gzipped, with its ETags, and the
cache is bounded by bytes. A member's document differs from another member's
only by the token in its feed links: it is rendered once with a placeholder
and the token put in when a member asks for it.
"""
from __future__ import annotations

import gzip
import hashlib
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Hashable

from flask import current_app

from ..errors import APIError

# Stands in for a member's token in cached documents; random, so no text can forge it.
TOKEN_PLACEHOLDER = "tok" + secrets.token_hex(12)


@dataclass(frozen=True)
class Representation:
    body: bytes
    etag: str


@dataclass(frozen=True)
class Rendered:
    plain: Representation
    gzipped: Representation

    @property
    def size(self) -> int:
        return len(self.plain.body) + len(self.gzipped.body)


def prepare(body: bytes) -> Rendered:
    tag = hashlib.blake2b(body, digest_size=16).hexdigest()
    return Rendered(
        plain=Representation(body, f'"{tag}"'),
        gzipped=Representation(gzip.compress(body, compresslevel=6, mtime=0), f'"{tag}-gz"'),
    )


class RenderCache:
    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.bytes = 0
        self.version: int | None = None
        self.items: OrderedDict[Hashable, Rendered | APIError] = OrderedDict()
        self.lock = threading.Lock()

    def document(self, version: int, key: tuple, render: Callable[[], bytes], token: str | None = None) -> Rendered:
        """The document for a key at a content version, for a reader whose links carry `token` (if any).

        An APIError the renderer raised (a 401 or 404) is kept and raised again.
        """
        base = self._get(version, key, lambda: prepare(render()))
        if token is None:
            return base
        placeholder = TOKEN_PLACEHOLDER.encode()
        return self._get(version, key + (token,),
                         lambda: prepare(base.plain.body.replace(placeholder, token.encode())))

    def peek(self, version: int, key: tuple, token: str | None = None) -> Rendered | None:
        """The document if it is already rendered at this version (a member's copy is made from it)."""
        with self.lock:
            base = self.items.get(key) if version == self.version else None
        if not isinstance(base, Rendered):
            return None
        if token is None:
            return base
        placeholder = TOKEN_PLACEHOLDER.encode()
        return self._get(version, key + (token,), lambda: prepare(base.plain.body.replace(placeholder, token.encode())))

    def _get(self, version: int, key: Hashable, make: Callable[[], Rendered]) -> Rendered:
        with self.lock:
            if version != self.version:
                self.items.clear()
                self.bytes = 0
                self.version = version
            hit = self.items.get(key)
            if hit is not None:
                self.items.move_to_end(key)
        if hit is None:
            try:
                hit = make()
            except APIError as exc:
                hit = exc
            self._store(version, key, hit)
        if isinstance(hit, APIError):
            raise hit
        return hit

    def _store(self, version: int, key: Hashable, value: Rendered | APIError) -> None:
        size = value.size if isinstance(value, Rendered) else 0
        with self.lock:
            if version != self.version or key in self.items or size > self.max_bytes:
                return
            self.items[key] = value
            self.bytes += size
            while self.bytes > self.max_bytes:
                _, dropped = self.items.popitem(last=False)
                self.bytes -= dropped.size if isinstance(dropped, Rendered) else 0


def render_cache() -> RenderCache:
    extensions = current_app.extensions
    cache = extensions.get("syndicate.feeds")
    if cache is None:
        cache = extensions.setdefault("syndicate.feeds", RenderCache(current_app.config["FEED_CACHE_BYTES"]))
    return cache
