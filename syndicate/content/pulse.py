"""The one query every request makes: the content version, and the member a token names.

Feed readers poll all day, and a cached feed costs almost nothing to serve, so
this read is most of a request's database work. It goes straight to the
driver on a connection each worker thread keeps for it (outside the pool, in
autocommit), as one statement that also fetches the member's standing when a
request carries a member token.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime, timezone

from flask import current_app, g

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
    "FROM site_state s LEFT JOIN member m ON m.id = {p} WHERE s.id = 1"
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


class _Connections:
    """Each thread's connection, and a list of all of them so an app can close them when it is done."""

    def __init__(self):
        self.local = threading.local()
        self.opened: list = []
        self.lock = threading.Lock()

    def get(self):
        connection = getattr(self.local, "connection", None)
        if connection is None:
            pooled = db.engine.raw_connection()
            connection = pooled.driver_connection  # read before detach(), which lets go of it
            pooled.detach()  # kept by this thread for good, not borrowed from the pool
            if hasattr(connection, "autocommit"):
                connection.rollback()
                connection.autocommit = True  # psycopg: no transaction left open between reads
            self.local.connection = connection
            with self.lock:
                self.opened.append(connection)
        return connection

    def forget(self) -> None:
        connection = getattr(self.local, "connection", None)
        self.local.connection = None
        if connection is not None:
            with self.lock:
                if connection in self.opened:
                    self.opened.remove(connection)
            try:
                connection.close()
            except Exception:  # noqa: BLE001 (it is being dropped because it failed)
                pass


def close_all(app) -> None:
    """Close every pulse connection an app opened (tests, and an app shutting down)."""
    holder = app.extensions.get("syndicate.pulse")
    if holder is None:
        return
    with holder.lock:
        opened, holder.opened = holder.opened, []
    for connection in opened:
        try:
            connection.close()
        except Exception:  # noqa: BLE001 (closing is best effort)
            pass


def read(member_id: int | None = None) -> Pulse:
    """The pulse for this request; read once per request."""
    cached = g.get("pulse")
    if cached is not None and (member_id is None or g.get("pulse_member") == member_id):
        return cached
    extensions = current_app.extensions
    holder = extensions.get("syndicate.pulse")
    if holder is None:
        holder = extensions.setdefault("syndicate.pulse", _Connections())
    sql = extensions.get("syndicate.pulse.sql")
    if sql is None:
        sql = extensions["syndicate.pulse.sql"] = _SQL.format(p="?" if db.engine.dialect.paramstyle == "qmark" else "%s")
    for attempt in (1, 2):
        try:
            cursor = holder.get().cursor()
            cursor.execute(sql, (member_id or 0,))
            row = cursor.fetchone()
            cursor.close()
            break
        except db.engine.dialect.loaded_dbapi.Error:
            # The server went away (restart, failover): reconnect once, then let it fail loudly.
            holder.forget()
            if attempt == 2:
                raise
    if row is None:
        pulse = Pulse(0, datetime.fromtimestamp(0, timezone.utc), None)
    else:
        member = None
        if row[2] is not None:
            member = MemberStanding(row[2], row[3], _day(row[4]), _aware(row[5]))
        pulse = Pulse(row[0], _aware(row[1]), member)
    g.pulse, g.pulse_member = pulse, member_id
    return pulse
