"""Importing an existing feed into a story. Items are matched by their feed id, so re-imports update."""
from __future__ import annotations

import calendar
import json
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import feedparser
from sqlalchemy import select

from .. import timeutil
from ..extensions import db
from ..models import Entry, Story
from ..text import HTMLTooDeep, check_html, clean_text, sanitise_html, text_to_html
from . import service

MAX_BYTES = 20 * 1024 * 1024


class ImportProblem(Exception):
    pass


@dataclass
class Item:
    source_id: str
    headline: str
    body_html: str
    published_at: datetime | None


@dataclass
class Result:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    warnings: list[str] = field(default_factory=list)


def _read(source: str) -> bytes:
    if source.startswith(("http://", "https://")):
        try:
            with urllib.request.urlopen(source, timeout=30) as response:  # noqa: S310 (scheme checked)
                return response.read(MAX_BYTES + 1)[:MAX_BYTES]
        except OSError as exc:
            raise ImportProblem(f"Could not fetch {source}: {exc}") from None
    try:
        return Path(source).read_bytes()
    except OSError as exc:
        raise ImportProblem(f"Could not read {source}: {exc.strerror}") from None


def parse(raw: bytes) -> list[Item]:
    """Items of an RSS, Atom or JSON Feed document, oldest first."""
    stripped = raw.lstrip()
    items = _parse_json(raw) if stripped.startswith(b"{") else _parse_xml(raw)
    return sorted(items, key=lambda i: i.published_at or datetime.max.replace(tzinfo=timezone.utc))


def _parse_json(raw: bytes) -> list[Item]:
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):
        raise ImportProblem("The file is not valid JSON.") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        raise ImportProblem("The JSON is not a JSON Feed (no items list).")
    items = []
    for raw_item in doc["items"]:
        if not isinstance(raw_item, dict):
            continue
        source_id = str(raw_item.get("id") or raw_item.get("url") or "")
        body = raw_item.get("content_html") or ""
        if not body and raw_item.get("content_text"):
            body = text_to_html(str(raw_item["content_text"]))
        published = None
        for key in ("date_published", "date_modified"):
            if isinstance(raw_item.get(key), str):
                try:
                    published = timeutil.parse_instant(raw_item[key])
                    break
                except ValueError:
                    pass
        items.append(Item(source_id, str(raw_item.get("title") or ""), str(body), published))
    return items


def _parse_xml(raw: bytes) -> list[Item]:
    parsed = feedparser.parse(raw)
    if parsed.bozo and not parsed.entries:
        raise ImportProblem(f"Not a readable RSS or Atom feed: {parsed.get('bozo_exception')}")
    items = []
    for entry in parsed.entries:
        source_id = entry.get("id") or entry.get("link") or ""
        body = ""
        if entry.get("content"):
            body = entry.content[0].get("value", "")
        body = body or entry.get("summary", "")
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        published = datetime.fromtimestamp(calendar.timegm(stamp), timezone.utc) if stamp else None
        items.append(Item(source_id, entry.get("title", ""), body, published))
    return items


def import_feed(story: Story, source: str) -> Result:
    result = Result()
    for item in parse(_read(source)):
        headline = clean_text(item.headline).strip()[:300]
        source_id = item.source_id[:1000]
        if not source_id or not headline:
            result.skipped += 1
            continue
        try:
            check_html(item.body_html)
        except HTMLTooDeep as exc:
            result.skipped += 1
            result.warnings.append(f"{source_id}: the body {exc}; skipped")
            continue
        now = timeutil.now()
        existing = db.session.scalar(select(Entry).where(Entry.story_id == story.id, Entry.source_id == source_id))
        # An undated item keeps the date it was first imported with: a re-import must not make it news again.
        if item.published_at is not None:
            published = min(item.published_at, now)
        else:
            published = existing.published_at if existing is not None else now
        if existing is None:
            fields = service.EntryFields(headline=headline, body_html=item.body_html, published_at=published)
            _, warnings = service.add_entry(story, fields, source_id=source_id)
            result.created += 1
            result.warnings += warnings
            continue
        if existing.status != "published":
            result.unchanged += 1  # a withdrawn entry stays withdrawn whatever the old CMS says
            continue
        body = sanitise_html(item.body_html)
        if existing.headline == headline and existing.body_html == body and existing.published_at == published:
            result.unchanged += 1
            continue
        fields = service.EntryFields(headline=headline, body_html=body, published_at=published)
        result.warnings += service.edit_entry(existing, fields)
        result.updated += 1
    return result
