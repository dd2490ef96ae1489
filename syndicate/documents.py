"""Rendered documents (pages and feeds), kept per worker until the content version moves on.

Rendering a page or feed costs far more than serving one, so each document is
rendered once per content version and kind of reader, then reused. The
version is read on every request, so a change made through any worker or host
is seen by all of them on their next request. Each document is kept plain and
gzipped with its strong ETags; the cache is bounded by bytes and by count, and
only documents are kept: an error is raised to Flask's handlers every time,
never stored, so asking for a thousand missing URLs costs no memory.

The HTTP side lives here too: conditional requests, gzip, and the
Cache-Control that tells a shared cache (deploy/nginx.conf, a CDN) what it may
keep. Views call `serve` from inside Flask's request handling.
"""
from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from email.utils import format_datetime
from functools import lru_cache
from typing import Callable, Hashable

from flask import Flask, Response, current_app, request

from . import parts, timeutil
from .metrics import CACHE


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


def prepare(body: bytes | str) -> Rendered:
    if isinstance(body, str):
        body = body.encode()
    tag = hashlib.blake2b(body, digest_size=16).hexdigest()
    return Rendered(
        plain=Representation(body, f'"{tag}"'),
        gzipped=Representation(gzip.compress(body, compresslevel=6, mtime=0), f'"{tag}-gz"'),
    )


class DocumentCache:
    """One worker's rendered documents at one content version, least recently used dropped first."""

    def __init__(self, max_bytes: int, max_items: int):
        self.max_bytes = max_bytes
        self.max_items = max_items
        self.bytes = 0
        self.version: int | None = None
        self.items: OrderedDict[Hashable, Rendered] = OrderedDict()
        self.hits = 0
        self.misses = 0
        self.lock = threading.Lock()

    def get(self, version: int, key: Hashable, make: Callable[[], Rendered]) -> Rendered:
        """The document for a key at a content version, made (outside the lock) if it is not kept yet.

        Whatever `make` raises (a 404, a 401 for members) goes to the caller and nothing is kept.
        The version only moves forward: a request that read the version before a change, and
        reaches the cache after a newer request did, is answered by `make` alone and keeps nothing,
        so it never empties a cache that is already at the newer version.
        """
        with self.lock:
            if self.version is None or version > self.version:
                self.items.clear()
                self.bytes = 0
                self.version = version
            hit = self.items.get(key) if version == self.version else None
            if hit is not None:
                self.items.move_to_end(key)
                self.hits += 1
            else:
                self.misses += 1
        kind = key[0] if isinstance(key, tuple) and key else "other"  # "page" or "feed": a bounded set
        CACHE.labels(cache=kind, result="hit" if hit is not None else "miss").inc()
        if hit is not None:
            return hit
        made = make()
        self._store(version, key, made)
        return made

    def _store(self, version: int, key: Hashable, value: Rendered) -> None:
        with self.lock:
            if version != self.version or key in self.items or value.size > self.max_bytes:
                return
            self.items[key] = value
            self.bytes += value.size
            while self.bytes > self.max_bytes or len(self.items) > self.max_items:
                _, dropped = self.items.popitem(last=False)
                self.bytes -= dropped.size


def init_app(app: Flask) -> None:
    parts.of(app).documents = DocumentCache(app.config["DOCUMENT_CACHE_BYTES"], app.config["DOCUMENT_CACHE_ITEMS"])


def cache() -> DocumentCache:
    """This worker's document cache (made by init_app)."""
    return parts.current().documents


def serve(rendered: Rendered, media_type: str, *, personal: bool, changed_at: datetime) -> Response:
    """The HTTP answer for a rendered document: representation, validators, caching, 304.

    `personal` documents depend on a session or token: private to the browser or feed reader.
    Anonymous ones may be kept by a shared cache for SHARED_CACHE_SECONDS, and served stale
    for one more second while it asks again, which bounds how long a withdrawal can linger there.
    """
    gzipped = request.accept_encodings["gzip"] > 0
    chosen = rendered.gzipped if gzipped else rendered.plain
    response = Response(status=200, content_type=media_type)
    headers = response.headers
    headers["ETag"] = chosen.etag
    if personal:
        headers["Cache-Control"] = "private, no-cache"
    else:
        shared = current_app.config["SHARED_CACHE_SECONDS"]
        headers["Cache-Control"] = f"public, max-age=0, s-maxage={shared}, stale-while-revalidate=1"
    # A browser that signs in, or a reader that adds a token, gets another document at the same URL.
    headers["Vary"] = "Accept-Encoding, Authorization, Cookie"
    headers["X-Content-Type-Options"] = "nosniff"
    last_modified = _last_modified(changed_at, timeutil.today())
    if last_modified is not None:
        headers["Last-Modified"] = _http_date(last_modified)
    if _not_modified(chosen.etag, last_modified):
        response.status_code = 304
        del headers["Content-Type"]
        return response
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    response.set_data(chosen.body)  # Werkzeug sends no body to a HEAD, and keeps its Content-Length
    return response


@lru_cache(maxsize=64)
def _http_date(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


def _last_modified(changed_at: datetime, today: date) -> datetime | None:
    """The last content change (or the midnight that made a day an archive), to whole seconds.

    HTTP dates have whole seconds: rounded up, and only sent once that second is
    over, so a change later in the same second can never be answered with a 304.
    """
    moment = max(changed_at, timeutil.day_bounds(today)[0]).astimezone(timezone.utc)
    if moment.microsecond:
        moment = moment.replace(microsecond=0) + timedelta(seconds=1)
    return moment if moment <= timeutil.now() else None


def _not_modified(etag: str, last_modified: datetime | None) -> bool:
    """RFC 9110: If-None-Match decides when present; If-Modified-Since only otherwise."""
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or etag in tags
    since = request.if_modified_since
    return since is not None and last_modified is not None and last_modified <= since
