"""Signing members in by email: links that work once, and the welcome mail, in the member's language."""
from __future__ import annotations

from flask import current_app, render_template
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from .. import i18n, languages, timeutil
from ..extensions import db
from ..models import Member, UsedSigninLink
from ..urls import absolute
from ..writes import private_write
from . import mail
from .service import feed_token, find, has_access, known_language, language_of, normalise_email
from .tokens import make_signin_token, read_signin_token


def feed_urls(member: Member) -> dict[str, str]:
    """The member's private feed URLs, one per format: the feeds of their language."""
    token = feed_token(member)
    where = languages.prefix_values(language_of(member))
    return {fmt: absolute("feeds.latest", fmt=fmt, token=token, **where) for fmt in ("rss", "atom", "json")}


def signin_url(member: Member, kind: str) -> str:
    """A sign-in link whose page is in the member's language."""
    return absolute("members.signin_link", token=make_signin_token(member.id, kind),
                    **languages.prefix_values(language_of(member)))


def queue_welcome(member: Member) -> None:
    """Queue the welcome mail in the caller's transaction: it leaves only if that commits."""
    with i18n.in_language(language_of(member)):
        body = render_template("members/mail/welcome.txt", member=member, signin_url=signin_url(member, "welcome"),
                               feeds=feed_urls(member))
        subject = _("Welcome to %(site)s", site=current_app.config["SITE_NAME"])
    mail.send(member.email, subject, body)


def send_welcome(member_id: int) -> None:
    member = db.session.get(Member, member_id)
    if member is not None:
        queue_welcome(member)  # in a private_write() of its own (members.mail)


def send_signin_link(email: str, lang: str) -> None:
    """Queue a sign-in request for any well-formed address: the same work whether or not it is a member's.

    The outbox looks the address up when sending (signin_mail), outside the request. `lang` is the
    language of the form that asked.
    """
    normal = normalise_email(email)
    if normal is None:
        return
    queue_signin(normal, lang)  # in a private_write() of its own (members.mail)


def queue_signin(email: str, lang: str) -> None:
    """Queue a sign-in request in the caller's transaction."""
    mail.request_signin(email, lang)


def remember_language(member: Member, lang: str | None) -> None:
    """The member asked from a form in `lang`: their mail and links are in it from now on (caller's write)."""
    member.language = known_language(lang) or member.language


def signin_mail(email: str, lang: str | None = None) -> tuple[str, str, str] | None:
    """(to, subject, body) of the sign-in mail for an address, or None if it is no member's.

    Called by the outbox in a write of its own: the member's language becomes the form's (`lang`).
    """
    member = find(email)
    if member is None:
        return None
    remember_language(member, lang)
    with i18n.in_language(language_of(member)):
        body = render_template("members/mail/signin.txt", member=member, signin_url=signin_url(member, "signin"),
                               active=has_access(member))
        subject = _("Sign in to %(site)s", site=current_app.config["SITE_NAME"])
    return member.email, subject, body


def peek(token: str) -> Member | None:
    """The member a sign-in link is for, without using it (GET and HEAD change nothing)."""
    claim = read_signin_token(token)
    if claim is None or db.session.get(UsedSigninLink, claim[1]) is not None:
        return None
    return db.session.get(Member, claim[0])


def use(token: str) -> Member | None:
    """Spend a sign-in link: the member it signs in, or None if it is bad, expired or used."""
    claim = read_signin_token(token)
    if claim is None:
        return None
    member = db.session.get(Member, claim[0])
    if member is None:
        return None
    # The nonce's primary key makes the link single-use; no wider lock is needed.
    try:
        with private_write():
            db.session.add(UsedSigninLink(nonce=claim[1], used_at=timeutil.now()))
    except IntegrityError:
        return None
    return member
