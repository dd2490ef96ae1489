"""Member tokens (feeds) and sign-in links: itsdangerous, one salt per purpose."""
from __future__ import annotations

import secrets
from functools import lru_cache
from datetime import datetime, timezone

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer, URLSafeTimedSerializer

FEED_PURPOSE = "syndicate.member-feed"


def _serializer(purpose: str) -> URLSafeSerializer:
    # itsdangerous signs with the last key and accepts any: old keys keep working while rotating.
    config = current_app.config
    keys = [*config["SECRET_KEY_FALLBACKS"], config["SECRET_KEY"]]
    return URLSafeSerializer(keys, salt=purpose)


def make_feed_token(member_id: int, token_version: int) -> str:
    """A token proving membership in feed URLs. It carries ids only and never expires by time."""
    return _serializer(FEED_PURPOSE).dumps([member_id, token_version])


def read_feed_token(token: str) -> tuple[int, int] | None:
    """(member id, token version) from a genuine token, or None.

    Whether the token still proves membership is a database question (members.auth); this only
    checks the signature, remembered per key set since feed readers send the same token all day.
    """
    if not token or len(token) > 200:
        return None
    config = current_app.config
    return _verified(tuple(config["SECRET_KEY_FALLBACKS"]), config["SECRET_KEY"], token)


@lru_cache(maxsize=4096)
def _verified(fallbacks: tuple, key: str, token: str) -> tuple[int, int] | None:
    try:
        claim = URLSafeSerializer([*fallbacks, key], salt=FEED_PURPOSE).loads(token)
    except BadData:
        return None
    if (not isinstance(claim, list) or len(claim) != 2
            or not all(isinstance(x, int) and not isinstance(x, bool) for x in claim)):
        return None
    return claim[0], claim[1]


SIGNIN_PURPOSE = "syndicate.signin"
SIGNIN_MAX_AGE = {"signin": 30 * 60, "welcome": 7 * 24 * 3600}


def _timed(purpose: str) -> URLSafeTimedSerializer:
    config = current_app.config
    return URLSafeTimedSerializer([*config["SECRET_KEY_FALLBACKS"], config["SECRET_KEY"]], salt=purpose)


def make_signin_token(member_id: int, kind: str) -> str:
    """A single-use sign-in link token: 30 minutes from /signin, 7 days in a welcome mail."""
    return _timed(SIGNIN_PURPOSE).dumps([member_id, secrets.token_urlsafe(16), kind])


def read_signin_token(token: str) -> tuple[int, str] | None:
    """(member id, single-use nonce) from a genuine, unexpired sign-in token, or None."""
    if not token or len(token) > 300:
        return None
    try:
        claim, signed_at = _timed(SIGNIN_PURPOSE).loads(token, max_age=max(SIGNIN_MAX_AGE.values()),
                                                         return_timestamp=True)
    except BadData:
        return None
    if not isinstance(claim, list) or len(claim) != 3 or claim[2] not in SIGNIN_MAX_AGE:
        return None
    member_id, nonce, kind = claim
    age = (datetime.now(timezone.utc) - signed_at).total_seconds()
    if age > SIGNIN_MAX_AGE[kind] or not isinstance(member_id, int) or not isinstance(nonce, str):
        return None
    return member_id, nonce


JOIN_PURPOSE = "syndicate.join"
JOIN_MAX_AGE = 24 * 3600  # a day to open the mail and decide


def make_join_token(email: str, tier_id: int) -> str:
    """The token of a mailed "continue to payment" link: proof that whoever opens it reads that address."""
    return _timed(JOIN_PURPOSE).dumps([email, tier_id])


def read_join_token(token: str) -> tuple[str, int] | None:
    """(email, tier id) from a genuine join token less than a day old, or None."""
    if not token or len(token) > 600:
        return None
    try:
        claim = _timed(JOIN_PURPOSE).loads(token, max_age=JOIN_MAX_AGE)
    except BadData:
        return None
    if (not isinstance(claim, list) or len(claim) != 2 or not isinstance(claim[0], str)
            or not isinstance(claim[1], int) or isinstance(claim[1], bool)):
        return None
    return claim[0], claim[1]
