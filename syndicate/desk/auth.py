"""Editors at the desk: mailed single-use sign-in links, and the desk session checked on every request.

The desk session is a server-side session of its own purpose (syndicate.sessions)
beside a member's, so one never stands for the other and each ends alone. It
remembers the editor's session_version: `syndicate editors revoke` deletes the
editor's sessions and raises it, which also ends every unused sign-in link.
"""
from __future__ import annotations

import secrets

from flask import current_app, g, render_template
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import i18n, sessions, timeutil
from ..extensions import db
from ..members import mail
from ..members.service import known_language, normalise_email
from ..models import Editor, UsedSigninLink
from ..urls import absolute
from ..writes import private_write

PURPOSE = "syndicate.desk-signin"
MAX_AGE = 30 * 60


def _serializer() -> URLSafeTimedSerializer:
    config = current_app.config
    return URLSafeTimedSerializer([*config["SECRET_KEY_FALLBACKS"], config["SECRET_KEY"]], salt=PURPOSE)


def make_token(editor: Editor) -> str:
    return _serializer().dumps([editor.id, editor.session_version, secrets.token_urlsafe(16)])


def read_token(token: str) -> tuple[int, int, str] | None:
    """(editor id, session version, nonce) from a genuine link younger than 30 minutes, or None."""
    if not token or len(token) > 300:
        return None
    try:
        claim = _serializer().loads(token, max_age=MAX_AGE)
    except BadData:
        return None
    if (not isinstance(claim, list) or len(claim) != 3 or not isinstance(claim[2], str)
            or not all(isinstance(x, int) and not isinstance(x, bool) for x in claim[:2])):
        return None
    return claim[0], claim[1], claim[2]


def _active(editor_id: int, version) -> Editor | None:
    editor = db.session.get(Editor, editor_id)
    if editor is None or editor.revoked_at is not None or editor.session_version != version:
        return None
    return editor


def send_link(email: str, lang: str) -> None:
    """Queue a desk sign-in request for any well-formed address: the same work whether or not it is an editor's.

    The outbox looks the address up when sending (signin_mail), outside the request, so
    neither the answer nor its timing says who is an editor. The request keeps the language
    the sign-in page was in, and the mail is written in it.
    """
    address = normalise_email(email)
    if address is None:
        return
    mail.request_desk_signin(address, lang)  # in a private_write() of its own (members.mail)


def signin_mail(email: str, lang: str | None = None) -> tuple[str, str, str] | None:
    """(to, subject, body) of the desk sign-in mail for an address, in `lang`, or None if it is no active editor's."""
    editor = db.session.scalar(select(Editor).where(Editor.email == email.lower()))
    if editor is None or editor.revoked_at is not None:
        return None
    url = absolute("desk.signin_link", token=make_token(editor))
    # A request queued before the languages changed (or by an older version, with none) gets the default.
    with i18n.in_language(known_language(lang)):
        body = render_template("desk/mail/signin.txt", editor=editor, signin_url=url)
        subject = _("Sign in to the desk of %(site)s", site=current_app.config["SITE_NAME"])
    return editor.email, subject, body


def peek(token: str) -> Editor | None:
    """The editor a link is for, without using it: GET and HEAD change nothing."""
    claim = read_token(token)
    if claim is None or db.session.get(UsedSigninLink, claim[2]) is not None:
        return None
    return _active(claim[0], claim[1])


def use(token: str) -> Editor | None:
    """Spend a link: the editor it signs in, or None if it is bad, expired, used or revoked since."""
    claim = read_token(token)
    if claim is None:
        return None
    # The nonce's primary key makes the link single-use: no content lock is needed, nor taken.
    try:
        with private_write():
            editor = _active(claim[0], claim[1])
            if editor is None:
                return None
            db.session.add(UsedSigninLink(nonce=claim[2], used_at=timeutil.now()))
    except IntegrityError:
        return None
    return editor


def open_session(editor: Editor) -> None:
    """Sign the editor in, leaving a member's session (and the CSRF secret) in this browser alone."""
    sessions.start("editor", editor.id, editor.session_version)


def close_session() -> None:
    """Sign this browser out of the desk: the session row goes, a member's session stays."""
    sessions.end("editor")


def current_editor() -> Editor | None:
    """The editor this session belongs to, if the server still holds it and the editor is not revoked."""
    held = sessions.subject("editor")
    if held is None:
        return None
    editor = _active(*held)
    if editor is None:
        sessions.forget("editor")
    return editor


def signed_in() -> bool:
    """Whether this browser holds a live desk session; asked once per request (public pages' header and cache key)."""
    if "desk_signed_in" not in g:
        g.desk_signed_in = current_editor() is not None
    return g.desk_signed_in
