"""Reading the desk's forms: what the editor typed, kept for re-display, and every problem named."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import format_number
from flask_babel import gettext as _
from flask_babel import ngettext

from .. import timeutil
from ..editorial.service import EntryFields
from ..text import clean_text
from . import markup

_LOCAL_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}")
_IMAGE_ID = re.compile(r"[A-Za-z0-9]{1,32}")
_UID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass
class Compose:
    """The compose form, as typed (strings and flags), so a refused or previewed form shows it again."""

    headline: str = ""
    body: str = ""
    key_event: bool = False
    regions: list[str] = field(default_factory=list)
    syndicate: bool = True
    embargo: str = ""
    byline: str = ""
    # The lead image: an upload's words, and once it is stored its public id (carried by the form
    # from then on, so a preview, a refusal or "Publish anyway?" never asks for the file again).
    image: str = ""
    alt: str = ""
    caption: str = ""
    credit: str = ""
    translation_of: str = ""  # the public id of the original's update this one translates
    errors: dict[str, str] = field(default_factory=dict)
    html: str = ""  # the body as HTML (not yet sanitised), when the markup was accepted

    def entry_fields(self) -> EntryFields:
        return EntryFields(headline=self.headline, body_html=self.html, key_event=self.key_event,
                           regions=self.regions, syndicate=self.syndicate, embargo_until=self.embargo_until(),
                           image=self.image or None, byline=self.byline or None)

    def embargo_until(self) -> datetime | None:
        if not self.embargo:
            return None
        # A datetime-local field carries no zone: editors write the newsroom's time.
        return datetime.fromisoformat(self.embargo).replace(tzinfo=timeutil.tz())


def _text(form, name: str, limit: int) -> str:
    return clean_text(form.get(name, ""))[:limit + 1].strip()


def _body(form) -> str:
    # Browsers send a textarea's line breaks as CRLF.
    return clean_text(form.get("body", "")).replace("\r\n", "\n")[:markup.MAX_CHARS + 1]


def _markup(body: str, errors: dict[str, str]) -> str:
    """The body as HTML; a body the desk refuses (too long, too many marks, too deep) is an error on "body"."""
    try:
        return markup.to_html(body)
    except markup.MarkupRefused as exc:
        errors["body"] = str(exc)
        return ""


def _line(form, name: str, limit: int) -> str:
    """One line (a byline, a credit): runs of spaces and line breaks become one space."""
    return " ".join(clean_text(form.get(name, ""))[:limit * 2].split())


def read_compose(form, known_regions: set[str]) -> Compose:
    image = form.get("image", "")
    c = Compose(
        headline=_text(form, "headline", 300),
        body=_body(form),
        key_event=form.get("key_event") == "on",
        regions=[r for r in dict.fromkeys(form.getlist("regions")) if r in known_regions],
        syndicate=form.get("syndicate") == "on",
        embargo=form.get("embargo", "").strip()[:16],
        byline=_line(form, "byline", 200),
        image="" if form.get("remove_image") == "on" or not _IMAGE_ID.fullmatch(image) else image,
        alt=_text(form, "alt", 1000),
        caption=_text(form, "caption", 2000),
        credit=_line(form, "credit", 300),
        translation_of=form.get("translation_of", "") if _UID.fullmatch(form.get("translation_of", "")) else "",
    )
    for name, limit in (("byline", 200), ("alt", 1000), ("caption", 2000), ("credit", 300)):
        if len(getattr(c, name)) > limit:
            c.errors[name] = too_long(limit)
    if not c.headline:
        c.errors["headline"] = _("Write a headline.")
    elif len(c.headline) > 300:
        c.errors["headline"] = headline_too_long()
    if not c.body.strip():
        c.errors["body"] = _("Write the update.")
    else:
        c.html = _markup(c.body, c.errors)
    if c.embargo:
        try:
            ok = bool(_LOCAL_TIME.fullmatch(c.embargo)) and c.embargo_until() is not None
        except ValueError:
            ok = False
        if not ok:
            c.errors["embargo"] = _("Give the embargo as a date and time, e.g. %(example)s.",
                                    example="2026-11-05 18:30")
            c.embargo = ""
    return c


@dataclass
class Correction:
    headline: str
    body: str
    note: str
    etag: str
    typo: bool = False  # a fix with no public note: logged as an edit, never shown as a correction
    errors: dict[str, str] = field(default_factory=dict)
    html: str = ""  # the body as HTML (not yet sanitised), when the markup was accepted


def read_correction(form) -> Correction:
    c = Correction(headline=_text(form, "headline", 300), body=_body(form),
                   note=_text(form, "correction", 2000), etag=form.get("etag", "")[:100],
                   typo=form.get("kind") == "typo")
    if c.typo:
        if c.note:
            # Never drop what the editor wrote for readers without saying so.
            c.errors["correction"] = _("A typo fix shows readers no note. To publish this note, choose "
                                       "“Publish the correction”; for a quiet fix, clear the note.")
    elif not c.note:
        c.errors["correction"] = _("Say what was corrected: readers see this note, dated.")
    elif len(c.note) > 2000:
        c.errors["correction"] = too_long(2000)
    if not c.headline:
        c.errors["headline"] = _("The update needs a headline.")
    elif len(c.headline) > 300:
        c.errors["headline"] = headline_too_long()
    if not c.body.strip():
        c.errors["body"] = _("The update needs its text.")
    else:
        c.html = _markup(c.body, c.errors)
    return c


@dataclass
class Withdrawal:
    reason: str
    note: str
    errors: dict[str, str] = field(default_factory=dict)


def read_withdrawal(form) -> Withdrawal:
    w = Withdrawal(reason=_text(form, "reason", 2000), note=_text(form, "public_note", 2000))
    if not w.reason:
        w.errors["reason"] = _("Give the reason (editors see it; readers do not).")
    for name, value in (("reason", w.reason), ("public_note", w.note)):
        if len(value) > 2000:
            w.errors[name] = too_long(2000)
    return w


def too_long(limit: int) -> str:
    return ngettext("Keep it under %(limit)s character.", "Keep it under %(limit)s characters.", limit,
                    limit=format_number(limit))


def headline_too_long() -> str:
    return ngettext("Keep the headline under %(limit)s character.", "Keep the headline under %(limit)s characters.",
                    300, limit=format_number(300))
