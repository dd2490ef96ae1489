"""What the desk does, as plain functions over the editorial service: the views only read and render.

Every change goes through editorial.service (the same rules, change log,
WebSub pings and partner tombstones as the API) and through the idempotency
table, keyed by the key each form carries from when it was rendered: a double
click or a resend after a dropped connection gets the first answer.
"""
from __future__ import annotations

import secrets
from urllib.parse import urlencode

from flask import current_app, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext, ngettext
from sqlalchemy import select

from ..content.queries import all_regions, latest_live, story_by_slug  # noqa: F401  (the desk's views use them)
from ..editorial import idempotency, service, translations
from ..editorial.documents import entry_etag, find_entry
from ..errors import APIError
from ..extensions import db
from ..feeds.build import REMOVED_SENTENCE, REMOVED_TITLE
from ..models import EditorialLog, Editor, Entry, Story, SyndicationChange
from ..text import html_to_text, sanitise_html
from ..media import store
from ..media.process import Unusable, process
from ..writes import end_read
from . import days, markup
from .forms import Compose, Correction, Withdrawal

LOG_PAGE = 50
# What the desk says of a picture the media pipeline refuses, by the status it refuses with: words an
# editor on a phone can act on, in the desk's language.
REFUSED_PICTURES = {
    413: lazy_gettext("The picture has too many pixels to use. Nothing was published; choose a smaller one."),
    415: lazy_gettext("The file is not a JPEG, PNG, WebP or HEIC image. Nothing was published."),
    422: lazy_gettext("The picture is damaged or incomplete and cannot be read. Nothing was published."),
}
UNSIGNED = ("csrf_token", "idempotency_key", "confirmed_warnings")


def new_key() -> str:
    """A key for one rendering of a form: sending that form twice makes one change."""
    return secrets.token_urlsafe(18)


def form_fingerprint(method: str, path: str, form) -> str:
    # The CSRF token is left out: it is signed anew on each render, and a restored draft has another.
    # So is the "publish anyway" answer: it says nothing about what is published.
    items = sorted((k, v) for k, v in form.items(multi=True) if k not in UNSIGNED)
    return idempotency.fingerprint(method, path, urlencode(items).encode())


def form_key(form) -> str:
    key = form.get("idempotency_key", "")
    if not idempotency.KEY.fullmatch(key):
        raise APIError(400, _("This form is missing its key; reload the page and send it again."))
    return key


def actor(editor: Editor) -> service.Actor:
    return service.Actor(editor.name, "desk", editor.id)


def entry_by_ref(ref: str) -> Entry | None:
    return find_entry(ref)


def story_entries(story: Story) -> list[Entry]:
    """Every update of a story, withdrawn ones too, newest first."""
    query = select(Entry).where(Entry.story_id == story.id).order_by(Entry.published_at.desc(), Entry.id.desc())
    return list(db.session.scalars(query))


def blank_compose(story: Story) -> Compose:
    return Compose(regions=[r.slug for r in story.regions], syndicate=story.syndicate)


def attach_upload(compose: Compose, upload, editor_id: int) -> int | None:
    """Store the picture chosen with the compose form as its lead image; the HTTP status when it is refused."""
    # The same functions as POST /api/media. A refusal is the form's error (None: stored, or no file
    # chosen). Once stored, the form carries the image's id, not the file.
    if upload is None or not upload.filename:
        return None  # no file chosen: browsers send an empty part
    limit = current_app.config["MEDIA_MAX_BYTES"]
    data = upload.read(limit + 1)
    if not data:
        compose.errors["image_file"] = _("The chosen file is empty. Choose the picture again.")
        return 422
    if len(data) > limit:
        compose.errors["image_file"] = _("The picture is larger than %(mb)s MB. Nothing was published.",
                                         mb=format_decimal(limit / (1024 * 1024)))
        return 413
    if not compose.alt:
        compose.errors["alt"] = _("Say what the picture shows, for readers who cannot see it: alt text is required "
                                  "with a picture. Then choose the picture again.")
        return 422
    end_read()  # no transaction stays open while the picture is decoded
    try:
        renditions = process(data, current_app.config["MEDIA_MAX_PIXELS"])
    except Unusable as exc:
        compose.errors["image_file"] = str(REFUSED_PICTURES.get(exc.status, REFUSED_PICTURES[422]))
        return exc.status
    image = store.save(renditions, alt=compose.alt, caption=compose.caption or None,
                       credit=compose.credit or None, editor_id=editor_id)
    compose.image = image.public_id
    return None


def image_view(public_id: str) -> dict | None:
    """What the desk shows of an image: its narrowest size (a thumbnail, from this host) and its words."""
    image = store.find(public_id) if public_id else None
    if image is None or not image.renditions:
        return None
    small = min(image.renditions, key=lambda r: r.width)
    src = url_for("media.rendition", public_id=image.public_id, width=small.width,
                  ext=store.EXTENSIONS[small.format])
    return {"id": image.public_id, "src": src, "width": small.width, "height": small.height, "alt": image.alt,
            "caption": image.caption, "credit": image.credit}


def preview(compose: Compose) -> tuple[str, list[str]]:
    """Exactly the HTML publishing would store, and the gazetteer's warnings about it (the markup was read already)."""
    html = sanitise_html(compose.html)
    return html, gazetteer_notes(compose.headline, html)


def gazetteer_notes(headline: str, html: str) -> list[str]:
    """The gazetteer's warnings about an update, in the desk's language (the API's stay in English)."""
    return [_("%(given)s appears without its other name; the style is %(name)s (%(alternate)s).",
              given=given, name=name, alternate=alternate)
            for given, name, alternate in service.gazetteer_findings(headline, html_to_text(html))]


def publish(editor: Editor, story: Story, compose: Compose, key: str, print_: str) -> tuple[dict, bool]:
    def action():
        fields = compose.entry_fields()
        if compose.translation_of:
            fields.translation_of = translations.source_entry(story, compose.translation_of)
        entry, warnings = service.add_entry(story, fields, actor=actor(editor))
        location = url_for("desk.story", slug=story.slug, published=entry.uid) + f"#entry-{entry.uid}"
        return 303, {"location": location, "warnings": warnings, "uid": entry.uid}

    _status, body, replayed = idempotency.run_once(editor.id, key, print_, action)
    return body, replayed


def correct(editor: Editor, entry: Entry, c: Correction, key: str, print_: str) -> tuple[dict, bool]:
    def action():
        fields = service.EntryFields(headline=c.headline)
        # The body is rewritten only when the editor changed it, so a rich body (headings, say)
        # that the desk's markup cannot say survives a correction to the headline or a note.
        if body_changed(entry, c):
            fields.body_html = c.html
        # A typo fix goes through the same path with no note: the service logs it as an edit.
        warnings = service.edit_entry(entry, fields, None if c.typo else c.note, actor=actor(editor),
                                      if_match=[c.etag])
        return 303, {"location": url_for("desk.story", slug=entry.story.slug) + f"#entry-{entry.uid}",
                     "warnings": warnings}

    _status, body, replayed = idempotency.run_once(editor.id, key, print_, action)
    return body, replayed


def body_changed(entry: Entry, c: Correction) -> bool:
    return c.body.strip() != markup.from_html(entry.body_html).strip()


def changes_nothing(entry: Entry, c: Correction) -> bool:
    """Whether a typo fix leaves the update as it is (then there is nothing to save, or to log)."""
    return c.headline == entry.headline and not body_changed(entry, c)


def withdraw(editor: Editor, entry: Entry, w: Withdrawal, key: str, print_: str) -> tuple[dict, bool]:
    def action():
        service.withdraw_entry(entry, w.reason, w.note or None, actor=actor(editor))
        return 303, {"location": url_for("desk.story", slug=entry.story.slug) + f"#entry-{entry.uid}"}

    _status, body, replayed = idempotency.run_once(editor.id, key, print_, action)
    return body, replayed


def partners_told(entry: Entry) -> bool:
    """Whether partners were sent a tombstone for this update: the last change they got about it is one."""
    last = db.session.scalar(select(SyndicationChange.kind).where(SyndicationChange.entry_id == entry.id)
                             .order_by(SyndicationChange.seq.desc()).limit(1))
    return last == "delete"


def removed_notice(lang: str) -> tuple[str, str]:
    """The title and sentence feeds carry for a withdrawn update of a story in `lang`, as feeds.build writes them."""
    from .. import i18n

    with i18n.in_language(lang):
        return _(REMOVED_TITLE), _(REMOVED_SENTENCE)


def withdrawal_message(note: str, days: int, partners_held_it: bool, lang: str) -> str:
    """What the desk says after a withdrawal: exactly what readers, feed readers and partners now get."""
    pages = (_("Pages show your public note in its place.") if note
             else _("It is gone from every page (with no public note, nothing stands in its place)."))
    # The notice feeds carry is quoted as feeds write it (feeds.build): in the story's language.
    title, sentence = removed_notice(lang)
    if days == 0:
        feeds = _("Feeds stop listing it; feed readers that fetched it keep what they hold.")
    elif note:
        feeds = ngettext(
            "For %(num)d day, every feed that would hold it carries an item with the same id titled “%(title)s”, "
            "whose only text is your public note: feed readers that fetched the update replace its headline and "
            "text with that when they next refresh.",
            "For %(num)d days, every feed that would hold it carries an item with the same id titled “%(title)s”, "
            "whose only text is your public note: feed readers that fetched the update replace its headline and "
            "text with that when they next refresh.", days, title=title)
    else:
        feeds = ngettext(
            "For %(num)d day, every feed that would hold it carries an item with the same id titled “%(title)s”, "
            "whose only text is the sentence “%(sentence)s”: feed readers that fetched the update replace its "
            "headline and text with that when they next refresh.",
            "For %(num)d days, every feed that would hold it carries an item with the same id titled “%(title)s”, "
            "whose only text is the sentence “%(sentence)s”: feed readers that fetched the update replace its "
            "headline and text with that when they next refresh.", days, title=title,
            sentence=sentence)
    partners = (_("Partners that received it get a tombstone telling them to take it down.") if partners_held_it
                else _("Partners never received it, so they get nothing."))
    return " ".join([_("Withdrawn."), pages, feeds, partners])


def start_next_day(editor: Editor, story: Story, title: str, summary: str, key: str, print_: str) -> dict:
    """Open the next day of a live blog; when another tab or editor opened it already, land on that one."""
    proposal = days.propose(story)
    if not days.can_start(proposal):
        raise APIError(409, _("The next day starts at midnight, newsroom time."), code="too_early")

    def action():
        new = service.create_story(
            title=title, slug=proposal.slug, summary=summary, kind="live", language=story.language,
            access=story.access, regions=proposal.regions, series=proposal.series, published_at=None,
            syndicate=story.syndicate, actor=actor(editor))
        if not story.series:  # the current day joins the series the new one starts (same transaction)
            story.series = proposal.series
        return 303, {"location": url_for("desk.story", slug=new.slug)}

    try:
        _status, body, _replayed = idempotency.run_once(editor.id, key, print_, action)
    except APIError as exc:
        # The day exists (the series allows one per date): another tab or editor started it, before
        # this form was sent or while it waited for the write lock. A resend of this same form is
        # answered by run_once before this point.
        started = _started(proposal) if exc.code == 409 else None
        if started is None:
            raise
        return started
    return body


def _started(proposal: days.NextDay) -> dict | None:
    """Where to go when the proposed day of the series exists already."""
    existing = service.live_day_of(proposal.series, proposal.day)
    if existing is None:
        return None
    return {"location": url_for("desk.story", slug=existing.slug), "existing": True}


def current_etag(entry: Entry) -> str:
    return entry_etag(entry)


def log_page(page: int) -> tuple[list[EditorialLog], bool]:
    """One page of the log, newest first, and whether an older page follows."""
    rows = list(db.session.scalars(
        select(EditorialLog).order_by(EditorialLog.at.desc(), EditorialLog.id.desc())
        .offset((page - 1) * LOG_PAGE).limit(LOG_PAGE + 1)
    ))
    return rows[:LOG_PAGE], len(rows) > LOG_PAGE


def log_targets(rows: list[EditorialLog]) -> dict[int, Entry]:
    ids = {r.entry_id for r in rows if r.entry_id}
    if not ids:
        return {}
    return {e.id: e for e in db.session.scalars(select(Entry).where(Entry.id.in_(ids)))}


def stories_by_id(rows: list[EditorialLog]) -> dict[int, Story]:
    ids = {r.story_id for r in rows if r.story_id}
    if not ids:
        return {}
    return {s.id: s for s in db.session.scalars(select(Story).where(Story.id.in_(ids)))}
