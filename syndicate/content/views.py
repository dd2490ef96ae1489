"""Reader-facing pages. Views read the request, ask queries and pages, and render."""
from __future__ import annotations

from flask import abort, render_template, request

from .. import timeutil
from ..access import entry_is_free
from ..members.auth import current_reader
from ..urls import absolute
from . import bp, pages, queries
from .state import snapshot


def _render(template: str, **context):
    reader = current_reader()
    html = render_template(template, **context)
    headers = {"Cache-Control": "private, no-cache" if reader.is_member else "public, no-cache"}
    if request.args.get("token"):
        headers["Referrer-Policy"] = "no-referrer"
    return html, 200, headers


@bp.get("/")
def home():
    snap = snapshot()
    reader = current_reader()
    live = queries.latest_live(snap)
    views = pages.entry_views(queries.story_page_entries(live), reader, snap) if live else []
    return _render(
        "content/home.html",
        live=live,
        entries=views[:20],
        more=len(views) > 20,
        note=pages.story_note(live, views, snap) if live else None,
        stories=[s for s in queries.latest_stories(12) if not live or s.id != live.id],
    )


@bp.get("/stories/<slug>")
def story(slug: str):
    snap = snapshot()
    reader = current_reader()
    item = queries.get_story(slug)
    views = pages.entry_views(queries.story_page_entries(item), reader, snap)
    url = absolute("content.story", slug=item.slug)
    return _render(
        "content/story.html",
        story=item,
        entries=views,
        note=pages.story_note(item, views, snap),
        series=queries.series_days(item),
        stories=[s for s in queries.latest_stories(6) if s.id != item.id],
        json_ld=pages.json_ld(item, views, url, _site_name()),
        gated=any(not v.readable and not v.withdrawn for v in views),
    )


@bp.get("/archive/")
def archive():
    snap = snapshot()
    days = list(snap.days)
    return _render("content/archive.html", days=days, stories=queries.stories_by_day(days),
                   public_days=snap.public_days, label=pages.day_label, is_free=entry_is_free)


@bp.get("/archive/<day>")
def day(day: str):
    which = timeutil.parse_day(day)
    if which is None:
        abort(404, "Archive days are written YYYY-MM-DD.")
    snap = snapshot()
    entries = queries.day_page_entries(which)
    if not entries:
        abort(404, "There is no coverage on that day.")
    views = pages.entry_views(entries, current_reader(), snap)
    older, newer = snap.neighbours(which)
    return _render("content/day.html", day=which, label=pages.day_label, entries=views, older=older, newer=newer,
                   gated=any(not v.readable and not v.withdrawn for v in views))


def _site_name() -> str:
    from flask import current_app

    return current_app.config["SITE_NAME"]
