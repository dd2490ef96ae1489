"""The one query every request makes: the content version, and the member a token names.

Feed readers poll all day and a cached document costs almost nothing to
serve, so this read is most of a request's database work: one statement on a
pooled connection, which also fetches the member's standing when the request
carries a member token or a signed-in session.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from flask import g

from ..extensions import db


@dataclass(frozen=True)
class MemberStanding:
    token_version: int
    status: str
    comp_until: date | None
    past_due_since: datetime | None


@dataclass(frozen=True)
class Pulse:
    version: int
    changed_at: datetime
    member: MemberStanding | None


_SQL = (
    "SELECT s.version, s.changed_at, m.token_version, m.status, m.comp_until, m.past_due_since "
    "FROM site_state s LEFT JOIN member m ON m.id = {} WHERE s.id = 1"
)


def _aware(value) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite hands back text
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc)


def _day(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def _fetch(member_id: int):
    """The row, on a connection borrowed from the pool for this one read and given straight back.

    This is the one query of a request answered from the document cache, so it goes to the driver
    through the pool without SQLAlchemy's statement layer (a quarter of the cost). A connection
    the driver failed on is invalidated, so the pool replaces it and the next request recovers.
    """
    engine = db.engine
    sql = _SQL.format("?" if engine.dialect.paramstyle == "qmark" else "%s")
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(sql, (member_id,))
        row = cursor.fetchone()
        cursor.close()
    except engine.dialect.loaded_dbapi.Error:
        connection.invalidate()
        raise
    finally:
        connection.close()
    return row


def read(member_id: int | None = None) -> Pulse:
    """The pulse for this request; read once per request (again only for another member)."""
    cached = g.get("pulse")
    if cached is not None and (member_id is None or g.get("pulse_member") == member_id):
        return cached
    row = _fetch(member_id or 0)
    if row is None:
        pulse = Pulse(0, datetime.fromtimestamp(0, timezone.utc), None)
    else:
        member = None
        if row[2] is not None:
            member = MemberStanding(row[2], row[3], _day(row[4]), _aware(row[5]))
        pulse = Pulse(row[0], _aware(row[1]), member)
    g.pulse, g.pulse_member = pulse, member_id
    return pulse
