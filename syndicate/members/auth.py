"""How a request proves membership: a feed token (?token= or Bearer), or a signed-in session."""
from __future__ import annotations

from flask import current_app, g, request

from .. import sessions, timeutil
from ..access import ANONYMOUS, Reader, membership_open
from ..content import pulse
from . import networks
from .tokens import make_feed_token, read_feed_token


def presented_token(req) -> tuple[str | None, bool]:
    """The token a request carries and whether it came in the URL."""
    auth = req.authorization
    if auth is not None and auth.type == "bearer" and auth.token:
        return auth.token, False
    token = req.args.get("token")
    return (token, True) if token else (None, False)


STOPPED_TOKEN = Reader(token_stopped=True)


def reader_for_token(token: str, in_url: bool, remote_addr: str | None) -> Reader:
    """The reader a member token proves (counting where it was fetched from), or the anonymous one.

    A token that is ours but no longer proves membership gives an anonymous reader told why, so
    feeds can say so; anything that is not ours (tampered, forged, garbage) is no token at all.
    """
    claim = read_feed_token(token)
    if claim is None:
        return ANONYMOUS
    if not _standing_ok(*claim):
        return STOPPED_TOKEN
    networks.record(claim[0], remote_addr)
    # Decoders forgive trailing junk, so many spellings verify: links carry the one we make.
    return Reader(member_id=claim[0], link_token=make_feed_token(*claim) if in_url else None)


def current_reader(tokens: bool = False) -> Reader:
    """Who is asking: a signed-in session, or with `tokens` (feed URLs) a member token too.

    Pages go by the session alone: a browser signs in once, and a token pasted into a page's
    address would only leak through history and links.
    """
    if "reader" in g:
        return g.reader
    reader = ANONYMOUS
    token, in_url = presented_token(request) if tokens else (None, False)
    if token:
        reader = reader_for_token(token, in_url, request.remote_addr)
    else:
        member_id = signed_in_member_id()
        if member_id is not None:
            reader = Reader(member_id=member_id)
    g.reader = reader
    return reader


def signed_in_member_id() -> int | None:
    """The member whose session this is, if it still proves membership (whatever the request's URL carries)."""
    held = _session_member()
    if held is not None and _standing_ok(*held):
        return held[0]
    return None


def account_member_id() -> int | None:
    """The member signed in on this browser, lapsed or not: a lapsed member still reaches /account to renew."""
    held = _session_member()
    return None if held is None else held[0]


def _session_member() -> tuple[int, int] | None:
    """(member id, token version) of this browser's member session, while the server still holds it.

    A new token (or a deleted member) ends it, even one signed in while the token was being replaced.
    """
    held = sessions.subject("member")
    if held is None:
        return None
    standing = pulse.read(held[0]).member
    if standing is None or standing.token_version != held[1]:
        sessions.forget("member")
        return None
    return held


def is_personal(reader: Reader) -> bool:
    """Whether the answer depends on who asks: a member, or any request that offers a token.

    Such answers are private: no shared cache may keep them or give them to anyone else.
    """
    return reader.is_member or request.authorization is not None or "token" in request.args


def _standing_ok(member_id: int, token_version) -> bool:
    """Whether the member exists, holds this token version and has access now: in the request's one query."""
    standing = pulse.read(member_id).member
    return (
        standing is not None
        and standing.token_version == token_version
        and membership_open(standing.status, standing.comp_until, standing.past_due_since, timeutil.today(),
                            timeutil.now(), current_app.config["GRACE_DAYS"])
    )
