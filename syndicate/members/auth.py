"""How a request proves membership: a feed token (?token= or Bearer), or a signed-in session."""
from __future__ import annotations

from flask import g, request, session

from ..access import ANONYMOUS, Reader
from ..extensions import db
from ..models import Member
from . import networks
from .service import has_access, member_for_token


def _presented_token() -> tuple[str | None, bool]:
    """The token the request carries and whether it came in the URL."""
    auth = request.authorization
    if auth is not None and auth.type == "bearer" and auth.token:
        return auth.token, False
    token = request.args.get("token")
    return (token, True) if token else (None, False)


def current_reader() -> Reader:
    if "reader" in g:
        return g.reader
    token, in_url = _presented_token()
    reader = ANONYMOUS
    if token:
        member = member_for_token(token)
        if member is not None:
            reader = Reader(member_id=member.id, link_token=token if in_url else None)
            networks.record(member.id, request.remote_addr)
    elif session.get("member_id"):
        member = db.session.get(Member, session["member_id"])
        if member is not None and member.token_version == session.get("member_v") and has_access(member):
            reader = Reader(member_id=member.id)
    g.reader = reader
    return reader
