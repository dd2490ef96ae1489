"""Signed-in sessions that the server can end: a member's and an editor's, side by side in one browser.

Flask's session is a signed cookie, so signing out there only asks the browser
to forget it. Here a sign-in is a row (signed_in_session) and the cookie holds
its random id under one key per purpose (member_sid, editor_sid): deleting the
row ends the session for every copy of the cookie, and each purpose comes and
goes without touching the other's key or the CSRF secret beside them. Readers
who only opened a form get no row, and no marker: their cookie holds the CSRF
secret alone, and the edge serves them from its cache.

A session lasts PERMANENT_SESSION_LIFETIME from sign-in and is never extended:
a sliding one would cost a write per request, and the edge's signed_in marker
set at sign-in could not follow it. The marker expires with the longest-lived
session it stands for, and goes when the last one ends.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from flask import after_this_request, current_app, g, session
from sqlalchemy import delete, func, select

from . import timeutil
from .extensions import db
from .models import SignedInSession
from .writes import end_read, private_write

KEYS = {"member": "member_sid", "editor": "editor_sid"}

# Not a secret and proves nothing: it tells a front proxy (deploy/nginx.conf) to pass this
# browser's requests through rather than answer them from its shared cache. The session cookie
# cannot serve for that, since anyone who only opened a form holds one for its CSRF secret.
MARKER = "signed_in"


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def _held(purpose: str) -> str | None:
    """The session id this browser holds for a purpose, if it looks like one of ours."""
    sid = session.get(KEYS[purpose])
    return sid if isinstance(sid, str) and 0 < len(sid) <= 64 else None


def start(purpose: str, subject_id: int, version: int) -> None:
    """Sign this browser in for `purpose`, replacing any session it held for that purpose (not the other)."""
    old = _held(purpose)
    sid = secrets.token_urlsafe(32)
    now = timeutil.now()
    with private_write():
        if old:
            db.session.execute(delete(SignedInSession).where(SignedInSession.id_hash == _hash(old)))
        db.session.add(SignedInSession(id_hash=_hash(sid), purpose=purpose, subject_id=subject_id,
                                       version=version, created_at=now,
                                       expires_at=now + current_app.permanent_session_lifetime))
    session[KEYS[purpose]] = sid
    session.permanent = True
    g.pop("signed_in_sessions", None)
    _mark_later()


def subject(purpose: str) -> tuple[int, int] | None:
    """(subject id, version at sign-in) of this browser's live session for `purpose`; one read per request."""
    found = g.setdefault("signed_in_sessions", {})
    if purpose in found:
        return found[purpose]
    sid, row = _held(purpose), None
    if sid:
        row = db.session.execute(select(SignedInSession.subject_id, SignedInSession.version).where(
            SignedInSession.id_hash == _hash(sid), SignedInSession.purpose == purpose,
            SignedInSession.expires_at > timeutil.now())).first()
    found[purpose] = None if row is None else (row[0], row[1])
    if found[purpose] is None and KEYS[purpose] in session:
        forget(purpose)
    return found[purpose]


def forget(purpose: str) -> None:
    """Drop a session the server no longer honours from this browser (its row is left to expire)."""
    session.pop(KEYS[purpose], None)
    if not any(key in session for key in KEYS.values()):
        session.permanent = False  # what is left (a CSRF secret) lasts no longer than the browser's session
    g.setdefault("signed_in_sessions", {})[purpose] = None
    _mark_later()


def end(purpose: str) -> None:
    """Sign this browser out of `purpose`: its row goes, so a copy of the cookie opens nothing either."""
    sid = _held(purpose)
    if sid:
        with private_write():
            db.session.execute(delete(SignedInSession).where(SignedInSession.id_hash == _hash(sid)))
    forget(purpose)


def end_all(purpose: str, subject_id: int) -> None:
    """End every session of one member or editor, in the caller's transaction."""
    db.session.execute(delete(SignedInSession).where(SignedInSession.purpose == purpose,
                                                     SignedInSession.subject_id == subject_id))


def _last_expiry() -> datetime | None:
    """When the last of this browser's live sessions expires, or None if it holds none."""
    hashes = [_hash(sid) for sid in map(_held, KEYS) if sid]
    if not hashes:
        return None
    latest = db.session.scalar(select(func.max(SignedInSession.expires_at)).where(
        SignedInSession.id_hash.in_(hashes), SignedInSession.expires_at > timeutil.now()))
    end_read()
    return latest


def _mark_later() -> None:
    """Bring the marker up to date on this request's response (once, however often sessions changed)."""
    if not g.get("signed_in_marker"):
        g.signed_in_marker = True
        after_this_request(_mark)


def _mark(response):
    """Set the marker to expire with this browser's last live session, or remove it when none is left."""
    config = current_app.config
    secure = config["ENV"] == "production"
    expires = _last_expiry()
    if expires is None:
        response.delete_cookie(MARKER, httponly=True, samesite="Lax", secure=secure)
    else:
        max_age = max(int((expires - timeutil.now()).total_seconds()), 0)
        response.set_cookie(MARKER, "1", max_age=max_age, expires=expires, httponly=True, samesite="Lax",
                            secure=secure)
    return response
