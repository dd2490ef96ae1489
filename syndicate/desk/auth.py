"""Editors at the desk: mailed single-use sign-in links, and the desk session checked on every request.

The desk session lives in its own keys (editor_id, editor_v) beside a member's,
so one never stands for the other. editor_v is the editor's session_version:
`syndicate editors revoke` raises it, which ends every desk session (and every
unused sign-in link) on its next request.
"""
from __future__ import annotations

import secrets

from flask import current_app, render_template, session
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import timeutil
from ..extensions import db
from ..members import mail
from ..members.auth import mark_signed_in, mark_signed_out
from ..members.service import normalise_email
from ..models import Editor, UsedSigninLink
from ..urls import absolute
from ..writes import begin_write

PURPOSE = "syndicate.desk-signin"
MAX_AGE = 30 * 60
SESSION_KEYS = ("editor_id", "editor_v")


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


def send_link(email: str) -> None:
    """Mail a sign-in link if the address is an active editor's; the caller answers the same either way."""
    address = (normalise_email(email) or "").lower()
    editor = db.session.scalar(select(Editor).where(Editor.email == address)) if address else None
    if editor is None or editor.revoked_at is not None:
        return
    url = absolute("desk.signin_link", token=make_token(editor))
    body = render_template("desk/mail/signin.txt", editor=editor, signin_url=url)
    to = editor.email
    db.session.rollback()  # no transaction stays open while the mail goes out
    mail.send(to, f"Sign in to the desk of {current_app.config['SITE_NAME']}", body)


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
    begin_write()
    editor = _active(claim[0], claim[1])
    if editor is None:
        db.session.rollback()
        return None
    db.session.add(UsedSigninLink(nonce=claim[2], used_at=timeutil.now()))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return None
    return editor


def open_session(editor: Editor) -> None:
    """Sign the editor in, leaving a member's keys (and the CSRF secret) in the session alone."""
    session["editor_id"], session["editor_v"] = editor.id, editor.session_version
    session.permanent = True


def close_session() -> None:
    for key in SESSION_KEYS:
        session.pop(key, None)


def current_editor() -> Editor | None:
    """The editor this session belongs to, if it is still valid; one primary-key read."""
    editor_id = session.get("editor_id")
    if not isinstance(editor_id, int) or isinstance(editor_id, bool):
        return None
    editor = _active(editor_id, session.get("editor_v"))
    if editor is None:
        close_session()
    return editor


def set_marker(response) -> None:
    mark_signed_in(response)


def clear_marker(response) -> None:
    # A member signed in on the same browser keeps the marker: their pages must still bypass shared caches.
    if not session.get("member_id"):
        mark_signed_out(response)
