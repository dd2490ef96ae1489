"""The site's feeds, declared once each as a FeedDoc: what they hold and how they link."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from html import escape
from urllib.parse import quote

from flask import current_app, url_for
from flask_babel import gettext as _

from .. import i18n, languages, media, timeutil
from ..access import Reader
from ..content import queries
from ..content.state import Snapshot
from ..content.translations import neighbours
from ..errors import APIError
from ..models import Entry, Image
from ..urls import absolute, site_root
from .model import FeedDoc, FeedImage, FeedItem



def N_(message: str) -> str:
    """Marks a message for the catalogue where it is kept as a constant; `_()` translates it where it is used."""
    return message


def _join_url() -> str:
    """Where a feed sends readers to join: the join page in the feed's language (/ru/join)."""
    return absolute("members.join", **languages.prefix_values(i18n.current()))


def members_only(message: str) -> APIError:
    join = url_for("members.join", **languages.prefix_values(i18n.current()))
    return APIError(401, message, code="members_only", headers={"Link": f'<{join}>; rel="payment"'})


def entry_url(entry: Entry) -> str:
    """The update's permanent address, which leads to whichever page of its story holds it."""
    return absolute("content.update", slug=entry.story.slug, uid=entry.uid)


def entry_note(entry: Entry, snap: Snapshot):
    """The naming note an entry carries, if any of its regions (or its story's) is covered."""
    if not snap.notes:
        return None
    if not any(r.id in snap.covered_region_ids for r in entry.all_regions()):
        return None
    return snap.note_for(entry.story.language)


def feed_image(image: Image | None) -> FeedImage | None:
    """What feeds say of a lead image: its widest size as the enclosure, and its words."""
    if image is None or not image.renditions:
        return None
    shown = media.urls(image)
    return FeedImage(url=shown["src"], type=shown["type"], length=shown["length"], width=shown["width"],
                     height=shown["height"], alt=image.alt, caption=image.caption, credit=image.credit)


def lead_figure(image: FeedImage) -> str:
    """The lead image inside the content too, for readers that ignore enclosures."""
    caption = " · ".join(escape(part) for part in (image.caption, image.credit) if part)
    figcaption = f"<figcaption>{caption}</figcaption>" if caption else ""
    return (f'<figure><img src="{escape(image.url)}" alt="{escape(image.alt)}" width="{image.width}" '
            f'height="{image.height}">{figcaption}</figure>')


def entry_content(entry: Entry, note, image: FeedImage | None = None) -> str:
    """The body as readers get it: the lead image above it, corrections below it, then the naming note."""
    parts = [lead_figure(image)] if image is not None else []
    parts.append(entry.body_html)
    for correction in entry.corrections:
        parts.append(
            '<p class="correction"><strong>'
            + escape(_("Correction (%(when)s):", when=timeutil.display(correction.created_at)))
            + f"</strong> {escape(correction.text)}</p>"
        )
    if note:
        parts.append(f'<p class="naming-note"><em>{escape(note.text)}</em></p>')
    return "\n".join(parts)


def entry_item(entry: Entry, snap: Snapshot) -> FeedItem:
    note = entry_note(entry, snap)
    updated = max([entry.updated_at] + ([note.created_at] if note else []))
    image = feed_image(entry.image)
    return FeedItem(
        id=f"urn:uuid:{entry.uid}",
        title=entry.headline,
        link=entry_url(entry),
        published=entry.published_at,
        updated=updated,
        content_html=entry_content(entry, note, image),
        categories=[(r.slug, r.name_in(entry.story.language)) for r in entry.all_regions()],
        naming_note=note.text if note else None,
        naming_note_lang=note.lang if note else None,
        key_event=entry.key_event,
        language=entry.story.language,
        image=image,
        author=entry.byline,
    )


# In the default language, as the desk quotes them; each feed writes them in its own language.
REMOVED_TITLE = N_("This update was removed")
REMOVED_SENTENCE = N_("The newsroom removed this update.")


def withdrawn_since() -> datetime:
    """Updates withdrawn from this moment on keep a removal notice in feeds.

    Whole local days (today counts as one), so a document rendered for today stays right all day.
    """
    first_day = timeutil.today() - timedelta(days=current_app.config["WITHDRAWN_DAYS"] - 1)
    return timeutil.day_bounds(first_day)[0]


def removed_item(entry: Entry) -> FeedItem:
    """A withdrawn update as feeds carry it: its id, a newer `updated`, and none of its text.

    Readers replace an item they hold when its `updated` moves on; one that merely vanishes they keep.
    """
    note = entry.withdrawn_note
    # Pages keep a withdrawn update's place only when it left a note: otherwise link its story.
    link = entry_url(entry) if note else absolute("content.story", slug=entry.story.slug)
    return FeedItem(
        id=f"urn:uuid:{entry.uid}",
        title=_(REMOVED_TITLE),
        link=link,
        published=entry.published_at,
        updated=max(entry.withdrawn_at or entry.updated_at, entry.updated_at),
        content_html=f"<p>{escape(note or _(REMOVED_SENTENCE))}</p>",
        language=entry.story.language,
    )


def stopped_token_item(when: datetime) -> FeedItem:
    """The one item that tells a feed reader its member address no longer works, and where to go."""
    account = absolute("members.account", **languages.prefix_values(i18n.current()))
    join = _join_url()
    return FeedItem(
        # One id for good: a reader shows it once, however many documents carry it.
        id=f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, site_root() + '/account#member-feed-address')}",
        title=_("This member feed address no longer works"),
        link=account,
        # Dated with the document, so readers that sort by date show it on top.
        published=when,
        updated=when,
        content_html=(
            "<p>" + escape(_("The member token in this feed address no longer works: a new one was made for the "
                             "membership, or the membership has ended. This feed now holds only what is free to "
                             "everyone.")) + "</p><p>"
            + _('<a href="%(account)s">Sign in to your account</a> for your current member feed address, '
                'or <a href="%(join)s">join</a> to read everything again.', account=escape(account), join=escape(join))
            + "</p>"
        ),
        language=i18n.current(),
    )


def _items(entries: list[Entry], withdrawn: list[Entry], snap: Snapshot) -> list[FeedItem]:
    """Entries and removal notices together, newest first by published time, as the updates sat."""
    rows = [(e.published_at, e.id, entry_item(e, snap)) for e in entries]
    rows += [(e.published_at, e.id, removed_item(e)) for e in withdrawn]
    rows.sort(key=lambda row: row[:2], reverse=True)
    return [item for _, _, item in rows]


def _doc(reader: Reader, snap: Snapshot, *, self_path: str, home_url: str, title: str, subtitle: str,
         entries: list[Entry], withdrawn: list[Entry], language: str = "en") -> FeedDoc:
    config = current_app.config
    items = _items(entries, withdrawn, snap)
    self_url = site_root() + self_path
    newest_past = snap.newest_before(timeutil.today())
    notes = {i.naming_note for i in items if i.naming_note}
    # A feed reader's only way in is the URL, so every link to this document carries its token;
    # a request with the token in a header gets clean links.
    link_query = f"?token={quote(reader.link_token, safe='')}" if reader.link_token else ""
    updated = max((i.updated for i in items), default=snap.changed_at)
    if reader.token_stopped:
        items.insert(0, stopped_token_item(updated))
    return FeedDoc(
        id=self_url + link_query,
        title=title,
        subtitle=subtitle,
        self_url=self_url,
        home_url=home_url,
        updated=updated,
        items=items,
        language=language,
        author=config["SITE_NAME"],
        payment_url=_join_url(),
        # A hub would learn a member's feed URL and hand it to whoever subscribes: public documents only.
        hub_url=None if reader.is_member else config["WEBSUB_HUB"] or None,
        prev_archive_url=_day_feed_base(newest_past) if newest_past else None,
        naming_note=notes.pop() if len(notes) == 1 else None,
        link_query=link_query,
    )


def _prefix(lang: str) -> str:
    """The path prefix of a language's feeds: none for the site's default language."""
    return "" if lang == languages.default() else f"/{lang}"


def _day_feed_base(day: date, lang: str | None = None) -> str:
    return site_root() + _prefix(lang or languages.default()) + f"/archive/{day.isoformat()}"


def latest(lang: str | None, reader: Reader, snap: Snapshot) -> FeedDoc:
    lang = lang or languages.default()
    i18n.use(lang)  # every word the document adds (titles, notices, dates) in the feed's language
    name = current_app.config["SITE_NAME"]
    doc = _doc(
        reader, snap, self_path=_prefix(lang) + "/feeds/latest",
        home_url=absolute("content.home", **languages.prefix_values(lang)),
        title=_("%(site)s: latest updates", site=name), subtitle=_("The newest reporting from %(site)s", site=name),
        entries=queries.latest(reader, snap, current_app.config["FEED_LIMIT"], lang),
        withdrawn=queries.withdrawn_latest(reader, withdrawn_since(), lang), language=lang,
    )
    _archive_in(doc, lang, snap)
    return doc


def _archive_in(doc: FeedDoc, lang: str, snap: Snapshot) -> None:
    """A language's subscription feed leads back to that language's day feeds."""
    if lang == languages.default() and not languages.others():
        return  # one language: the snapshot's days are that language's days
    days = queries.days_in(lang, snap)
    today = timeutil.today()
    newest_past = next((d for d in days if d < today), None)
    doc.prev_archive_url = _day_feed_base(newest_past, lang) if newest_past else None


def story(slug: str, reader: Reader, snap: Snapshot) -> FeedDoc:
    item = queries.get_story(slug)
    i18n.use(languages.of_story(item))  # a story's feed speaks its story's language
    entries = queries.for_story(item, reader, snap, current_app.config["FEED_LIMIT"])
    if not entries and not reader.is_member and queries.story_has_entries(item):
        raise members_only(_("This story's updates are for members. Join to read them in your feed reader."))
    return _doc(
        reader, snap, self_path=f"/stories/{item.slug}/feed", home_url=absolute("content.story", slug=item.slug),
        title=item.title, subtitle=item.summary, entries=entries, language=item.language,
        withdrawn=queries.withdrawn_for_story(item, reader, withdrawn_since()),
    )


def region(slug: str, lang: str | None, reader: Reader, snap: Snapshot) -> FeedDoc:
    lang = lang or languages.default()
    i18n.use(lang)
    item = queries.get_region(slug)
    name = current_app.config["SITE_NAME"]
    doc = _doc(
        reader, snap, self_path=_prefix(lang) + f"/regions/{item.slug}/feed",
        home_url=absolute("content.home", **languages.prefix_values(lang)),
        title=f"{name}: {item.name_in(lang)}", subtitle=_("Reporting on %(region)s", region=item.name_in(lang)),
        entries=queries.for_region(item, reader, snap, current_app.config["FEED_LIMIT"], lang),
        withdrawn=queries.withdrawn_for_region(item, reader, withdrawn_since(), lang), language=lang,
    )
    _archive_in(doc, lang, snap)
    return doc


def day(which: date, lang: str | None, reader: Reader, snap: Snapshot) -> FeedDoc:
    lang = lang or languages.default()
    i18n.use(lang)
    if which not in snap.day_set:
        raise APIError(404, _("There is no coverage on that day."))
    days = queries.days_in(lang, snap)
    if which not in days:
        raise APIError(404, _("There is no coverage in this language on that day."))
    entries = queries.for_day(which, reader, snap, lang)
    if not entries:
        raise members_only(_("This day's coverage is in the members' archive. Join to read it."))
    name = current_app.config["SITE_NAME"]
    doc = _doc(
        reader, snap, self_path=_prefix(lang) + f"/archive/{which.isoformat()}",
        home_url=absolute("content.day", day=which.isoformat(), **languages.prefix_values(lang)),
        title=f"{name}: {timeutil.display_day(which)}",
        subtitle=_("Every update of %(day)s", day=timeutil.display_day(which)), entries=entries,
        withdrawn=queries.withdrawn_for_day(which, reader, withdrawn_since(), lang), language=lang,
    )
    older, newer = neighbours(days, which)
    doc.prev_archive_url = _day_feed_base(older, lang) if older else None
    doc.next_archive_url = _day_feed_base(newer, lang) if newer else None
    doc.current_url = site_root() + _prefix(lang) + "/feeds/latest"
    doc.is_archive = which < timeutil.today()
    return doc
