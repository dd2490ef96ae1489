"""Feed URLs: thin views that pick a definition and serve it rendered once per content version."""
from __future__ import annotations

from dataclasses import replace
import secrets
from urllib.parse import quote

from flask import Response, abort, request
from flask_babel import gettext as _

from .. import documents, timeutil
from ..content.state import snapshot
from ..members.auth import current_reader, is_personal
from . import bp, build
from .writers import MEDIA_TYPES, as_written, render

# Stands in for a member's token in cached documents; random, so no text can forge it.
TOKEN_PLACEHOLDER = "tok" + secrets.token_hex(12)


def _serve(fmt: str, builder, *args) -> Response:
    if fmt not in MEDIA_TYPES:
        abort(404, _("Feeds come as .atom, .rss or .json."))
    reader = current_reader(tokens=True)
    snap = snapshot()
    cache = documents.cache()
    # Members' documents differ only by the token in their links: rendered once with a stand-in,
    # then each member's token (as we make it, so one document per member, not per spelling) is
    # put in as the writer would have written it. The path names the document's language: /ru/ for another
    # language's feeds, the story for a story's feed (whose language changes only with the content version).
    key = ("feed", request.path, fmt, reader.is_member, reader.link_token is not None, reader.token_stopped,
           timeutil.today())
    render_as = replace(reader, link_token=TOKEN_PLACEHOLDER) if reader.link_token else reader
    rendered = cache.get(snap.version, key, lambda: documents.prepare(render(builder(*args, render_as, snap), fmt)))
    if reader.link_token:
        base, token = rendered, reader.link_token
        rendered = cache.get(snap.version, key + (token,), lambda: documents.prepare(
            base.plain.body.replace(TOKEN_PLACEHOLDER.encode(), as_written(fmt, quote(token, safe="")))))
    return documents.serve(rendered, MEDIA_TYPES[fmt], personal=is_personal(reader), changed_at=snap.changed_at)


# The default language's feeds are at the root; another language's under /<lang>/ (e.g. /ru/feeds/latest.atom).

@bp.get("/feeds/latest.<fmt>", defaults={"lang": None})
@bp.get("/<lang:lang>/feeds/latest.<fmt>")
def latest(fmt: str, lang: str | None):
    return _serve(fmt, build.latest, lang)


@bp.get("/stories/<slug>/feed.<fmt>")
def story(slug: str, fmt: str):
    return _serve(fmt, build.story, slug)


@bp.get("/regions/<slug>/feed.<fmt>", defaults={"lang": None})
@bp.get("/<lang:lang>/regions/<slug>/feed.<fmt>")
def region(slug: str, fmt: str, lang: str | None):
    return _serve(fmt, build.region, slug, lang)


@bp.get("/archive/<day>.<fmt>", defaults={"lang": None})
@bp.get("/<lang:lang>/archive/<day>.<fmt>")
def day(day: str, fmt: str, lang: str | None):
    which = timeutil.parse_day(day)
    if which is None:
        abort(404, _("Archive days are written YYYY-MM-DD."))
    return _serve(fmt, build.day, which, lang)
