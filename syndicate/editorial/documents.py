"""An entry as the API shows it, how it is named, and its ETag: the version two editors compare before an edit."""
from __future__ import annotations

import hashlib
import json
import re

from sqlalchemy import select

from .. import timeutil
from ..numbers import ascii_int
from ..extensions import db
from ..models import Entry


def _when(moment) -> str | None:
    # Microseconds kept: two edits within one second still make two versions.
    return moment.astimezone(timeutil.tz()).isoformat() if moment is not None else None


def entry_state(entry: Entry) -> dict:
    """Everything an edit can change; its hash is the ETag, so any change makes a new one."""
    return {
        "id": entry.uid,
        "row_id": entry.id,
        "story": entry.story.slug,
        "headline": entry.headline,
        "body_html": entry.body_html,
        "published_at": _when(entry.published_at),
        "updated_at": _when(entry.updated_at),
        "key_event": entry.key_event,
        "regions": [r.slug for r in entry.regions],
        "syndicate": entry.syndicate,
        "embargo_until": _when(entry.embargo_until),
        "status": entry.status,
        "public_note": entry.withdrawn_note,
        "corrections": [{"text": c.text, "at": _when(c.created_at)} for c in entry.corrections],
        "image": entry.image.public_id if entry.image is not None else None,
        "byline": entry.byline,
        "translation_of": _uid_of(entry.translation_of_id),
        "needs_review": entry.needs_review,
    }


def _uid_of(entry_id: int | None) -> str | None:
    return db.session.scalar(select(Entry.uid).where(Entry.id == entry_id)) if entry_id is not None else None


def entry_etag(entry: Entry) -> str:
    """A strong ETag (quotes included) for the entry's current version."""
    raw = json.dumps(entry_state(entry), sort_keys=True, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return '"' + hashlib.sha256(raw).hexdigest()[:32] + '"'


UID = re.compile(r"(?:urn:uuid:)?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")


def find_entry(ref: str) -> Entry | None:
    """An entry by its public id (as feeds and pages show it, with or without urn:uuid:) or its row id."""
    if match := UID.fullmatch(ref.lower()):
        return db.session.scalar(select(Entry).where(Entry.uid == match.group(1)))
    row_id = ascii_int(ref)
    return db.session.get(Entry, row_id) if row_id is not None else None
