"""Feed URLs: thin views that pick a definition and hand it to the cached renderer."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from email.utils import format_datetime
from functools import lru_cache

from flask import Response, abort, request
from werkzeug.wrappers import Request

from .. import timeutil
from ..content.state import snapshot
from ..access import ANONYMOUS
from ..members.auth import current_reader, presented_token, reader_for_token
from . import bp, build
from .cache import TOKEN_PLACEHOLDER, render_cache
from .writers import MEDIA_TYPES, render


def _serve(fmt: str, builder, *args) -> Response:
    if fmt not in MEDIA_TYPES:
        abort(404, "Feeds come as .atom, .rss or .json.")
    reader = current_reader()
    snap = snapshot()
    today = timeutil.today()
    # A member's links carry their token: render once with a stand-in, put the token in per member.
    render_as = replace(reader, link_token=TOKEN_PLACEHOLDER) if reader.link_token else reader
    rendered = render_cache().document(snap.version, _key(request.path, fmt, reader, today),
                                       lambda: render(builder(*args, render_as, snap), fmt), token=reader.link_token)
    return answer(request, fmt, reader, snap, today, rendered)


def cached_answer(req: Request, fmt: str) -> Response | None:
    """The answer to a feed request whose document is already rendered, or None (Flask renders it).

    Called by feeds.fastpath before Flask dispatches, inside an app context only.
    """
    token, in_url = presented_token(req)
    reader = reader_for_token(token, in_url, req.remote_addr) if token else ANONYMOUS
    snap = snapshot()
    today = timeutil.today()
    rendered = render_cache().peek(snap.version, _key(req.path, fmt, reader, today), reader.link_token)
    return answer(req, fmt, reader, snap, today, rendered) if rendered is not None else None


def _key(path: str, fmt: str, reader, today: date) -> tuple:
    return (path, fmt, reader.is_member, reader.link_token is not None, today)


def answer(req: Request, fmt: str, reader, snap, today: date, rendered) -> Response:
    """The HTTP answer for a rendered feed: representation, validators, caching, 304."""
    gzipped = req.accept_encodings["gzip"] > 0
    chosen = rendered.gzipped if gzipped else rendered.plain
    linked = reader.link_token is not None
    headers = [
        ("Content-Type", MEDIA_TYPES[fmt]),
        ("ETag", chosen.etag),
        ("Cache-Control", "private, no-cache" if linked or req.authorization is not None else "public, no-cache"),
        ("Vary", "Accept-Encoding, Authorization, Cookie"),  # a signed-in browser may see more
        ("X-Content-Type-Options", "nosniff"),
    ]
    last_modified = _last_modified(snap.changed_at, today)
    if last_modified is not None:
        headers.append(("Last-Modified", _http_date(last_modified)))
    if linked or req.args.get("token"):
        headers.append(("Referrer-Policy", "no-referrer"))
    if _not_modified(req, chosen.etag, last_modified):
        return Response(status=304, headers=headers)
    if gzipped:
        headers.append(("Content-Encoding", "gzip"))
    if req.method == "HEAD":
        response = Response(b"", status=200, headers=headers)
        response.headers["Content-Length"] = str(len(chosen.body))
        return response
    return Response(chosen.body, status=200, headers=headers)


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


def _not_modified(req: Request, etag: str, last_modified: datetime | None) -> bool:
    """RFC 9110: If-None-Match decides when present; If-Modified-Since only otherwise."""
    if_none_match = req.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or etag in tags
    since = req.if_modified_since
    return since is not None and last_modified is not None and last_modified <= since


@bp.get("/feeds/latest.<fmt>")
def latest(fmt: str):
    return _serve(fmt, build.latest)


@bp.get("/stories/<slug>/feed.<fmt>")
def story(slug: str, fmt: str):
    return _serve(fmt, build.story, slug)


@bp.get("/regions/<slug>/feed.<fmt>")
def region(slug: str, fmt: str):
    return _serve(fmt, build.region, slug)


@bp.get("/archive/<day>.<fmt>")
def day(day: str, fmt: str):
    which = timeutil.parse_day(day)
    if which is None:
        abort(404, "Archive days are written YYYY-MM-DD.")
    return _serve(fmt, build.day, which)
