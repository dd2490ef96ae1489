"""Partner keys: random, shown once, stored as a SHA-256 hash, checked in constant time."""
from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app, g, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import timeutil
from ..errors import APIError
from ..extensions import db
from ..models import Partner
from ..writes import private_write


class NameTaken(ValueError):
    pass


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def default_license() -> str:
    config = current_app.config
    return config.get("PARTNER_LICENSE") or (
        f"Republished by agreement with {config['SITE_NAME']}. All rights reserved.")


def add(name: str, license_text: str | None) -> str:
    """Create a partner; returns its key, which is not stored and cannot be shown again."""
    key = "pk_" + secrets.token_urlsafe(32)
    try:
        with private_write():
            db.session.add(Partner(name=name, key_hash=_hash(key), license=license_text or default_license()))
    except IntegrityError:
        raise NameTaken(name) from None
    return key


def revoke(name: str) -> bool:
    with private_write():
        partner = db.session.scalar(select(Partner).where(Partner.name == name, Partner.revoked_at.is_(None)))
        if partner is None:
            return False
        partner.revoked_at = timeutil.now()
    return True


def all_partners() -> list[Partner]:
    return list(db.session.scalars(select(Partner).order_by(Partner.name)))


def presented_key() -> str | None:
    auth = request.authorization
    if auth is not None and auth.type == "bearer" and auth.token:
        return auth.token
    return None


def _lookup() -> Partner | None:
    """The current partner whose key the request presents, looked up once per request."""
    if "partner_lookup" not in g:
        key = presented_key()
        digest = _hash(key) if key else None
        partner = db.session.scalar(select(Partner).where(Partner.key_hash == digest)) if digest else None
        # The lookup is by hash; the comparison below keeps the check itself constant-time too.
        if partner is None or partner.revoked_at is not None or not hmac.compare_digest(partner.key_hash, digest):
            partner = None
        g.partner_lookup = partner
    return g.partner_lookup


def require_partner() -> Partner:
    partner = _lookup()
    if partner is None:
        raise APIError(401, "Send a current partner key as 'Authorization: Bearer <key>'.")
    g.partner = partner
    return partner


def rate_limit_key() -> str:
    """Per partner for a current key; per address for everything else, so guessing keys fills one bucket."""
    try:
        partner = _lookup()
    except Exception:  # noqa: BLE001 (the database fails the view too; the limit must not be the one to raise)
        partner = None
    return f"partner:{partner.id}" if partner is not None else "addr:" + (request.remote_addr or "-")
