"""Editor tokens: random, shown once, stored as a SHA-256 hash."""
from __future__ import annotations

import hashlib
import secrets

from flask import g, request
from sqlalchemy import select

from .. import sessions, timeutil
from ..errors import APIError
from ..extensions import db
from ..models import Editor
from ..writes import private_write


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def add_editor(name: str, email: str | None = None) -> str:
    """Create an editor; returns the token, which is not stored and cannot be shown again."""
    token = "ed_" + secrets.token_urlsafe(32)
    with private_write():
        db.session.add(Editor(name=name, token_hash=hash_token(token), email=email))
    return token


def revoke_editor(name: str) -> Editor | None:
    """End an editor's API token and every desk session (and unused sign-in link) they hold."""
    with private_write():
        editor = db.session.scalar(select(Editor).where(Editor.name == name))
        if editor is None:
            return None
        editor.revoked_at = editor.revoked_at or timeutil.now()
        editor.session_version = editor.session_version + 1
        sessions.end_all("editor", editor.id)
    return editor


def require_editor() -> Editor:
    auth = request.authorization
    if auth is None or auth.type != "bearer" or not auth.token:
        raise APIError(401, "Send an editor token as 'Authorization: Bearer <token>'.",
                       headers={"WWW-Authenticate": 'Bearer realm="editorial"'})
    # Looking up the hash, not the token, keeps the comparison's timing independent of the secret.
    editor = db.session.scalar(
        select(Editor).where(Editor.token_hash == hash_token(auth.token), Editor.revoked_at.is_(None))
    )
    if editor is None:
        raise APIError(401, "That editor token is not valid.",
                       headers={"WWW-Authenticate": 'Bearer realm="editorial", error="invalid_token"'})
    g.editor = editor
    return editor
