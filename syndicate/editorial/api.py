"""The editorial JSON API: thin views over editorial.service."""
from __future__ import annotations

import re

from flask import current_app, g, jsonify, request

from .. import languages
from ..content.queries import story_by_slug
from ..errors import APIError
from ..extensions import limiter
from ..feeds.build import entry_url
from ..models import Entry
from ..urls import absolute
from . import bp, service, translations
from .auth import require_editor
from .documents import entry_etag, entry_state, find_entry
from .idempotency import idempotent
from .openapi import spec
from .validate import LANGUAGE, SLUG, Fields, json_body
from ..text import HTMLTooDeep, check_html

BYLINE_MAX = 200  # the column's width

# One budget per address for the whole API, not one per route.
limiter.shared_limit(lambda: current_app.config["API_RATE_LIMIT"], scope="api")(bp)


@bp.before_request
def _authenticate():
    from flask import request

    if request.endpoint != "api.openapi":
        require_editor()


@bp.get("/openapi.json")
def openapi():
    return jsonify(spec())


def _actor() -> service.Actor:
    return service.Actor(g.editor.name, "api", g.editor.id)


@bp.post("/stories")
@idempotent
def create_story():
    f = Fields(json_body(), {"title", "slug", "summary", "kind", "language", "access", "regions", "series",
                             "published_at", "syndicate", "translation_of"})
    title = f.text("title", required=True)
    slug = f.pattern("slug", SLUG, "use lower-case letters, digits and hyphens", max_len=120)
    summary = f.text("summary", max_len=2000, allow_empty=True) or ""
    kind = f.choice("kind", ("live", "article"), "live")
    language = _language(f)
    access = f.choice("access", ("standard", "public", "members"), "standard")
    regions = f.slugs("regions")
    series = f.pattern("series", SLUG, "use lower-case letters, digits and hyphens", max_len=120)
    published_at = f.instant("published_at", not_after_now=True)
    syndicate = f.flag("syndicate", True)
    f.check()
    source = (translations.source_story(f.data["translation_of"], language)
              if f.data.get("translation_of") is not None else None)
    story = service.create_story(title=title, slug=slug, summary=summary, kind=kind, language=language,
                                 access=access, regions=regions, series=series, published_at=published_at,
                                 syndicate=syndicate, actor=_actor(), translation_of=source)
    body = {"id": story.id, "slug": story.slug, "url": absolute("content.story", slug=story.slug)}
    return body, 201


def _language(f: Fields) -> str:
    """The story's language: one of SYNDICATE_LANGUAGES, the site's default when not given."""
    hint = "must be one of the site's languages: " + ", ".join(languages.configured())
    value = f.pattern("language", LANGUAGE, hint, max_len=35)
    if value is None:
        return languages.default()
    if value.lower() not in languages.configured():
        f.errors["language"] = hint
        return languages.default()
    return value.lower()


def _entry_fields(f: Fields, creating: bool) -> service.EntryFields:
    fields = service.EntryFields(
        headline=f.text("headline", required=creating),
        key_event=f.flag("key_event"),
        regions=f.slugs("regions"),
        syndicate=f.flag("syndicate"),
        embargo_until=f.instant("embargo_until"),
        clear_embargo=f.has("embargo_until") and f.data["embargo_until"] is None,
        image=f.media_id("image"),
        clear_image=f.has("image") and f.data["image"] is None,
    )
    byline = f.line("byline", max_len=BYLINE_MAX)
    fields.byline = byline or None  # an empty byline is none: a name is never made up to fill it
    fields.clear_byline = f.has("byline") and not byline
    if f.has("body_html") and f.has("body_text"):
        f.errors["body_text"] = "give body_html or body_text, not both"
    html = f.text("body_html", max_len=200_000)
    if html is not None:
        try:
            check_html(html)  # before anything is locked or sanitised: the cost stays bounded
        except HTMLTooDeep as exc:
            f.errors["body_html"], html = str(exc), None
    text = f.text("body_text", max_len=200_000)
    fields.body_html = service.body_from(html, text)
    if creating and fields.body_html is None and "body_html" not in f.errors and "body_text" not in f.errors:
        f.errors["body_html"] = "give body_html or body_text"
    return fields


@bp.post("/stories/<slug>/entries")
@idempotent
def add_entry(slug: str):
    story = _story(slug)
    f = Fields(json_body(), {"headline", "body_html", "body_text", "published_at", "key_event", "regions",
                             "syndicate", "embargo_until", "image", "byline", "translation_of"})
    fields = _entry_fields(f, creating=True)
    fields.published_at = f.instant("published_at", not_after_now=True)
    f.check()
    if f.has("translation_of") and f.data["translation_of"] is not None:
        fields.translation_of = translations.source_entry(story, f.data["translation_of"])
    entry, warnings = service.add_entry(story, fields, actor=_actor())
    return {"id": entry.id, "uid": entry.uid, "url": entry_url(entry), "warnings": warnings}, 201


@bp.get("/entries/<ref>")
def get_entry(ref: str):
    entry = _entry(ref)
    body = {**entry_state(entry), "url": entry_url(entry)}
    return body, 200, {"ETag": entry_etag(entry), "Cache-Control": "private, no-cache"}


def _if_match() -> list[str] | None:
    """The ETags an If-Match header names (None: no condition). Weak ones never match an edit."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    return re.findall(r'(?<![Ww]/)"[^"]*"', header)


@bp.patch("/entries/<ref>")
@idempotent
def edit_entry(ref: str):
    entry = _entry(ref)
    f = Fields(json_body(), {"headline", "body_html", "body_text", "correction", "key_event", "regions",
                             "syndicate", "embargo_until", "published_at", "image", "byline"})
    fields = _entry_fields(f, creating=False)
    fields.published_at = f.instant("published_at", not_after_now=True)
    correction = f.text("correction", max_len=2000)
    if not f.data and not f.errors:
        f.errors["body"] = "give at least one field to change"
    f.check()
    warnings = service.edit_entry(entry, fields, correction, actor=_actor(), if_match=_if_match())
    return ({"id": entry.id, "uid": entry.uid, "url": entry_url(entry), "updated_at": entry.updated_at.isoformat(),
             "warnings": warnings}, 200, {"ETag": entry_etag(entry)})


@bp.post("/entries/<ref>/withdraw")
@idempotent
def withdraw_entry(ref: str):
    entry = _entry(ref)
    f = Fields(json_body(), {"reason", "public_note"})
    reason = f.text("reason", required=True, max_len=2000)
    note = f.text("public_note", max_len=2000)
    f.check()
    service.withdraw_entry(entry, reason, note, actor=_actor())
    return {"id": entry.id, "uid": entry.uid, "status": entry.status}


def _story(slug: str):
    story = story_by_slug(slug)
    if story is None:
        raise APIError(404, f"No story with the slug {slug!r}.")
    return story


def _entry(ref: str) -> Entry:
    entry = find_entry(ref)
    if entry is None:
        raise APIError(404, "No entry has that id.")
    return entry
