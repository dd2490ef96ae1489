"""Writers: one FeedDoc to RSS 2.0 and Atom 1.0 (through feedgen) or JSON Feed 1.1 (our own).

The writers own the fiddly parts: aware UTC dates, entries in the given order,
an explicit `updated` so the bytes are stable, `self` before `alternate`,
and text that XML can carry.
"""
from __future__ import annotations

import json
from datetime import timezone
from xml.sax.saxutils import escape as xml_escape

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from ..text import clean_text
from .model import AT_NS, DC_NS, FH_NS, MEDIA_NS, NS, NS_PREFIX, FeedDoc, FeedItem

ATOM_NS = "http://www.w3.org/2005/Atom"
MEDIA_TYPES = {
    "atom": "application/atom+xml; charset=utf-8",
    "rss": "application/rss+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}


def render(doc: FeedDoc, fmt: str) -> bytes:
    if fmt == "json":
        return render_json(doc)
    return _render_xml(doc, fmt)


def as_written(fmt: str, text: str) -> bytes:
    """Text spelled as this format's writer spells it in an attribute, element or string."""
    if fmt == "json":
        return json.dumps(text, ensure_ascii=False)[1:-1].encode("utf-8")
    return xml_escape(text, {'"': "&quot;"}).encode("utf-8")


def _utc(moment):
    return moment.astimezone(timezone.utc)


def _archive_links(doc: FeedDoc, fmt: str) -> list[tuple[str, str]]:
    links = [
        ("current", doc.feed_url(doc.current_url, fmt)),
        ("prev-archive", doc.feed_url(doc.prev_archive_url, fmt)),
        ("next-archive", doc.feed_url(doc.next_archive_url, fmt)),
        ("next", doc.next_url),
        ("payment", doc.payment_url),
        ("hub", doc.hub_url),
    ]
    return [(rel, href) for rel, href in links if href]


class _FeedExtension(BaseExtension):
    """Feed-level additions feedgen has no field for: RFC 5005 markers and, in RSS, extra atom:links."""

    doc: FeedDoc | None = None
    fmt: str = "atom"

    def extend_ns(self):
        namespaces = {NS_PREFIX: NS, "fh": FH_NS}
        if self.doc is not None and self.doc.tombstones:
            namespaces["at"] = AT_NS
        if self.doc is not None and self.fmt == "rss":
            # Declared once on the root, and only where an item uses them.
            if any(item.image for item in self.doc.items):
                namespaces["media"] = MEDIA_NS
            if any(item.author for item in self.doc.items):
                namespaces["dc"] = DC_NS
        return namespaces

    def _extend(self, parent, first_item_tag: str, atom_links: bool):
        doc = self.doc
        added = []
        if atom_links:
            added += [etree.Element(f"{{{ATOM_NS}}}link", rel=rel, href=href)
                      for rel, href in _archive_links(doc, self.fmt)]
        if doc.is_archive:
            added.append(etree.Element(f"{{{FH_NS}}}archive"))
        if doc.naming_note:
            note = etree.Element(f"{{{NS}}}namingNote")
            note.text = clean_text(doc.naming_note)
            added.append(note)
        if doc.cursor is not None:
            cursor = etree.Element(f"{{{NS}}}cursor")
            cursor.text = doc.cursor
            added.append(cursor)
        # Atom wants feed metadata before the first entry; keep RSS tidy the same way.
        first_item = parent.find(first_item_tag)
        for element in added:
            if first_item is not None:
                first_item.addprevious(element)
            else:
                parent.append(element)
        return parent

    def extend_atom(self, feed):
        self._extend(feed, f"{{{ATOM_NS}}}entry", atom_links=False)
        self._tombstones(feed)
        return feed

    def _tombstones(self, feed):
        """RFC 6721 deleted entries, interleaved with the entries in change order."""
        entries = feed.findall(f"{{{ATOM_NS}}}entry")
        for tomb in self.doc.tombstones:
            element = etree.Element(f"{{{AT_NS}}}deleted-entry", ref=tomb.id, when=_utc(tomb.when).isoformat())
            etree.SubElement(element, f"{{{ATOM_NS}}}link", rel="alternate", href=tomb.link)
            if tomb.note:
                etree.SubElement(element, f"{{{AT_NS}}}comment").text = clean_text(tomb.note)
            if tomb.position < len(entries):
                entries[tomb.position].addprevious(element)
            else:
                feed.append(element)

    def extend_rss(self, feed):
        return self._extend(feed[0], "item", atom_links=True)


class _EntryExtension(BaseEntryExtension):
    item: FeedItem | None = None

    def extend_ns(self):
        return {NS_PREFIX: NS}

    def _extend(self, entry):
        item = self.item
        if item.naming_note:
            el = etree.SubElement(entry, f"{{{NS}}}namingNote")
            el.text = clean_text(item.naming_note)
            if item.naming_note_lang:
                el.set("{http://www.w3.org/XML/1998/namespace}lang", item.naming_note_lang)
        if item.key_event:
            etree.SubElement(entry, f"{{{NS}}}keyEvent").text = "true"
        return entry

    def extend_atom(self, entry):
        # Each entry says its story's language: a partner's change log mixes languages in one document.
        if self.item.language:
            entry.set("{http://www.w3.org/XML/1998/namespace}lang", self.item.language)
        if self.item.image:
            # Written here: feedgen 1.0 drops an entry link's rel, which would make this a second alternate.
            image = self.item.image
            etree.SubElement(entry, f"{{{ATOM_NS}}}link", rel="enclosure", type=image.type,
                             length=str(image.length), href=image.url)
        return self._extend(entry)

    def extend_rss(self, entry):
        # RSS has no item `updated`; feedparser and the readers built on it read atom:updated, and
        # a newer one is how a withdrawal's notice replaces what they hold.
        etree.SubElement(entry, f"{{{ATOM_NS}}}updated").text = _utc(self.item.updated).isoformat()
        if self.item.author:
            etree.SubElement(entry, f"{{{DC_NS}}}creator").text = clean_text(self.item.author)
        if self.item.image:
            _media_content(entry, self.item.image)
        return self._extend(entry)


def _media_content(entry, image) -> None:
    """Media RSS for readers that show pictures from it: size, medium, alt text as description, credit."""
    content = etree.SubElement(entry, f"{{{MEDIA_NS}}}content", url=image.url, type=image.type,
                               fileSize=str(image.length), medium="image", width=str(image.width),
                               height=str(image.height))
    etree.SubElement(content, f"{{{MEDIA_NS}}}description", type="plain").text = clean_text(image.alt)
    if image.credit:
        etree.SubElement(content, f"{{{MEDIA_NS}}}credit").text = clean_text(image.credit)


def _render_xml(doc: FeedDoc, fmt: str) -> bytes:
    fg = FeedGenerator()
    fg.register_extension(NS_PREFIX, _FeedExtension, _EntryExtension)
    ext = getattr(fg, NS_PREFIX)
    ext.doc, ext.fmt = doc, fmt

    fg.id(doc.id)
    fg.title(clean_text(doc.title))
    fg.subtitle(clean_text(doc.subtitle) or clean_text(doc.title))
    fg.language(doc.language)
    fg.updated(_utc(doc.updated))
    if fmt == "rss":
        fg.lastBuildDate(_utc(doc.updated))
    if doc.author:
        fg.author({"name": clean_text(doc.author)})
    if doc.rights:
        fg.rights(clean_text(doc.rights))
    # RSS takes its channel <link> from the last link() call: self first, then alternate.
    fg.link(href=doc.feed_url(doc.self_url, fmt), rel="self", type=MEDIA_TYPES[fmt].split(";")[0])
    fg.link(href=doc.home_url, rel="alternate", type="text/html")
    if fmt == "atom":
        for rel, href in _archive_links(doc, fmt):
            fg.link(href=href, rel=rel)

    for item in doc.items:
        fe = fg.add_entry(order="append")
        fe.id(item.id)
        fe.guid(item.id, permalink=False)
        fe.title(clean_text(item.title))
        fe.link(href=item.link, rel="alternate", type="text/html")
        fe.published(_utc(item.published))
        fe.updated(_utc(item.updated))
        for term, label in item.categories:
            fe.category(term=term, label=clean_text(label))
        if item.author:
            fe.author({"name": clean_text(item.author)})  # Atom; RSS gets dc:creator (see _EntryExtension)
        if item.image and fmt == "rss":
            fe.enclosure(item.image.url, str(item.image.length), item.image.type)  # Atom's: _EntryExtension
        content = clean_text(item.content_html)
        if fmt == "atom":
            fe.content(content, type="html")
            if item.summary:
                fe.summary(clean_text(item.summary))
        else:
            fe.description(content)
        entry_ext = getattr(fe, NS_PREFIX)
        entry_ext.item = item

    if fmt == "rss":
        return fg.rss_str(pretty=False)
    return fg.atom_str(pretty=False)


def render_json(doc: FeedDoc) -> bytes:
    """JSON Feed 1.1: https://jsonfeed.org/version/1.1 — feedgen has no writer for it."""
    extension = {key: value for key, value in (
        ("prev_archive", doc.feed_url(doc.prev_archive_url, "json")),
        ("next_archive", doc.feed_url(doc.next_archive_url, "json")),
        ("current", doc.feed_url(doc.current_url, "json")),
        ("archive", doc.is_archive or None),
        ("payment_url", doc.payment_url),
        ("naming_note", doc.naming_note),
        ("license", doc.rights),
        ("cursor", doc.cursor),
    ) if value}
    extension.update(doc.extra)
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": clean_text(doc.title),
        "home_page_url": doc.home_url,
        "feed_url": doc.feed_url(doc.self_url, "json"),
        "description": clean_text(doc.subtitle),
        "language": doc.language,
    }
    if doc.author:
        feed["authors"] = [{"name": clean_text(doc.author), "url": doc.home_url}]
    if doc.next_url:
        feed["next_url"] = doc.next_url
    if doc.hub_url:
        feed["hubs"] = [{"type": "WebSub", "url": doc.hub_url}]
    if extension:
        feed["_syndicate"] = extension
    items = [_json_item(item) for item in doc.items]
    for offset, tomb in enumerate(doc.tombstones):
        items.insert(tomb.position + offset, {
            "id": tomb.id, "url": tomb.link, "content_text": "",
            "_syndicate": {"deleted": {"when": _utc(tomb.when).isoformat(), "note": tomb.note}},
        })
    feed["items"] = items
    return json.dumps(feed, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _json_item(item: FeedItem) -> dict:
    out = {
        "id": item.id,
        "url": item.link,
        "title": clean_text(item.title),
        "content_html": clean_text(item.content_html),
        "date_published": _utc(item.published).isoformat(),
        "date_modified": _utc(item.updated).isoformat(),
    }
    if item.summary:
        out["summary"] = clean_text(item.summary)
    if item.categories:
        out["tags"] = [label for _, label in item.categories]
    if item.language:
        out["language"] = item.language
    if item.author:
        out["authors"] = [{"name": clean_text(item.author)}]
    if item.image:
        out["image"] = item.image.url
        out["attachments"] = [{"url": item.image.url, "mime_type": item.image.type,
                               "size_in_bytes": item.image.length, "title": clean_text(item.image.alt)}]
    extension = {}
    if item.naming_note:
        extension["naming_note"] = item.naming_note
    if item.key_event:
        extension["key_event"] = True
    if item.categories:
        extension["regions"] = [term for term, _ in item.categories]
    if extension:
        out["_syndicate"] = extension
    return out
