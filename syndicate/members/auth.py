"""How a request proves membership: a feed token (?token= or Bearer), or a signed-in session."""
from __future__ import annotations

from flask import current_app, g, request, session

from .. import timeutil
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
    elif session.get("member_id"):
        member_id = session["member_id"]
        if isinstance(member_id, int) and _standing_ok(member_id, session.get("member_v")):
            reader = Reader(member_id=member_id)
    g.reader = reader
    return reader


def signed_in_member_id() -> int | None:
    """The member whose session this is, if it still stands (whatever the request's URL carries)."""
    member_id = session.get("member_id")
    if isinstance(member_id, int) and _standing_ok(member_id, session.get("member_v")):
        return member_id
    return None


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


# Not a secret and proves nothing: it tells a front proxy (deploy/nginx.conf) to pass this
# browser's requests through rather than answer them from its shared cache. The session cookie
# cannot serve for that, since anyone who only opened a form holds one for its CSRF secret.
SIGNED_IN_COOKIE = "signed_in"


def mark_signed_in(response):
    config = current_app.config
    response.set_cookie(SIGNED_IN_COOKIE, "1", max_age=config["PERMANENT_SESSION_LIFETIME"], httponly=True,
                        samesite="Lax", secure=config["ENV"] == "production")
    return response


def mark_signed_out(response):
    response.delete_cookie(SIGNED_IN_COOKIE, httponly=True, samesite="Lax")
    return response
