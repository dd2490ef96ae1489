"""Member tokens: signed with itsdangerous, one salt per purpose, revocable by version."""
from __future__ import annotations

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer

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
    """(member id, token version) from a genuine token, or None."""
    if not token or len(token) > 200:
        return None
    try:
        claim = _serializer(FEED_PURPOSE).loads(token)
    except BadData:
        return None
    if (not isinstance(claim, list) or len(claim) != 2
            or not all(isinstance(x, int) and not isinstance(x, bool) for x in claim)):
        return None
    return claim[0], claim[1]
