"""GET /syndication/entries.<atom|json>: thin; the work is in partners.feed."""
from __future__ import annotations

from flask import Response, current_app, request

from ..errors import APIError
from ..extensions import limiter
from ..metrics import PARTNER_PULLS
from ..numbers import ascii_int
from ..feeds.writers import MEDIA_TYPES, render
from . import bp, changes, feed, keys


def _int_arg(name: str, default: int, minimum: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    number = ascii_int(raw, minimum=minimum, maximum=10**18 - 1)
    if number is None:
        raise APIError(400, f"'{name}' must be a whole number of at least {minimum}.", code="bad_request",
                       fields={name: f"must be an integer >= {minimum}"})
    return number


@bp.get("/syndication/entries.<fmt>")
@limiter.limit(lambda: current_app.config["PARTNER_RATE_LIMIT"], key_func=keys.rate_limit_key)
def entries(fmt: str):
    if fmt not in ("atom", "json"):
        raise APIError(404, "The syndication feed comes as .atom or .json.")
    partner = keys.require_partner()
    since = _int_arg("since", 0, 0)
    limit = min(_int_arg("limit", feed.DEFAULT_LIMIT, 1), feed.MAX_LIMIT)
    try:
        pulled = feed.pull(partner, since, limit, fmt, limit_given="limit" in request.args)
    except changes.UnknownCursor as exc:
        raise APIError(400, str(exc), code="unknown_cursor", fields={"since": "is ahead of the change log"}) from None
    PARTNER_PULLS.labels(fmt).inc()
    response = Response(render(pulled.doc, fmt), content_type=MEDIA_TYPES[fmt])
    response.headers["Cache-Control"] = "private, no-store"
    return response
