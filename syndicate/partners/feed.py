"""The partners' pull: a page of the change log as a feed of entries and tombstones."""
from __future__ import annotations

from dataclasses import dataclass
from html import escape

from flask import current_app
from sqlalchemy import select

from .. import timeutil
from ..content.state import snapshot
from ..extensions import db
from ..feeds.build import entry_item, entry_url
from ..feeds.model import FeedDoc, FeedItem, Tombstone
from ..models import Entry, Partner, PartnerPull
from ..urls import site_root
from ..writes import private_write
from . import changes

DEFAULT_LIMIT = 100
MAX_LIMIT = 500


@dataclass
class Pull:
    doc: FeedDoc
    entries: int
    tombstones: int


def attribution(item: FeedItem) -> str:
    name = escape(current_app.config["SITE_NAME"])
    return (f'<p class="attribution">Originally published by {name}: '
            f'<a href="{escape(item.link)}">{escape(item.link)}</a></p>')


def pull(partner: Partner, since: int, limit: int, fmt: str, limit_given: bool) -> Pull:
    """Build one page for a partner and log the pull. Raises changes.UnknownCursor."""
    changes.release_due_embargoes()
    page, next_cursor = changes.page(since, limit)

    latest: dict[int, changes.SyndicationChange] = {}
    for change in page:  # an entry appears once per page, at its last change
        latest.pop(change.entry_id, None)
        latest[change.entry_id] = change
    entries = {e.id: e for e in db.session.scalars(select(Entry).where(Entry.id.in_(list(latest))))}

    snap = snapshot()
    now = timeutil.now()
    items: list[FeedItem] = []
    tombstones: list[Tombstone] = []
    for entry_id, change in latest.items():
        entry = entries[entry_id]
        if changes.partner_visible(entry, now):
            item = entry_item(entry, snap)
            item.content_html += "\n" + attribution(item)
            items.append(item)
        else:
            tombstones.append(Tombstone(
                id=f"urn:uuid:{entry.uid}",
                when=entry.withdrawn_at if entry.status == "withdrawn" else change.at,
                note=entry.withdrawn_note,
                link=entry_url(entry),
                position=len(items),
            ))

    root = site_root()
    limit_query = f"&limit={limit}" if limit_given else ""
    config = current_app.config
    doc = FeedDoc(
        id=f"{root}/syndication/entries",
        title=f"{config['SITE_NAME']}: syndication for {partner.name}",
        subtitle="Entries partners may republish, as a change log: oldest change first.",
        self_url=f"{root}/syndication/entries",
        home_url=root + "/",
        updated=max([i.updated for i in items] + [t.when for t in tombstones], default=snap.changed_at),
        items=items,
        author=config["SITE_NAME"],
        hub_url=config["WEBSUB_HUB"] or None,
        link_query=f"?since={since}{limit_query}",
        tombstones=tombstones,
        rights=partner.license,
        next_url=f"{root}/syndication/entries.{fmt}?since={next_cursor}{limit_query}",
        cursor=str(next_cursor),
    )
    # A log row: it orders nothing, so it takes no content lock.
    with private_write():
        db.session.add(PartnerPull(partner_id=partner.id, at=now, cursor_in=since, cursor_out=next_cursor,
                                   entries=len(items), tombstones=len(tombstones)))
    return Pull(doc, len(items), len(tombstones))
