"""The two unit-of-work scopes: every transaction boundary is in writes.py, a change outside a scope is refused,
and a deferred unit takes the content lock only when the service inside it begins."""
from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from syndicate.extensions import db
from syndicate.models import Place
from syndicate.writes import content_write, end_read, private_write

PACKAGE = Path(__file__).resolve().parent.parent / "syndicate"
# The places that end a transaction without being a write's boundary, each with its reason beside it.
ALLOWED = {"writes.py", "errors.py", "migrations/env.py"}


def test_every_commit_and_rollback_is_a_scope_in_writes_py():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"\.(commit|rollback)\(\)|begin_(private_)?write\(", line) and name not in ALLOWED:
                found.append(f"{name}:{number}: {line.strip()}")
    assert found == []


def content_lock_free(app) -> bool:
    """Whether another connection could take the content lock this moment, without waiting for it."""
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite"):
        other = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            other.close()
    with db.engine.connect() as other:
        try:
            other.execute(text("SELECT version FROM site_state WHERE id = 1 FOR UPDATE NOWAIT"))
            return True
        except OperationalError:
            return False
        finally:
            other.rollback()


def places() -> list[str]:
    end_read()
    return list(db.session.scalars(select(Place.name).order_by(Place.name)))


def test_a_deferred_unit_locks_when_the_scope_inside_begins_and_commits_everything_once(app):
    with app.app_context():
        with content_write(deferred=True):
            db.session.scalar(select(Place.id))  # the view's reading and parsing: no lock yet
            assert content_lock_free(app)
            with content_write():  # the service: begins the unit, takes the lock
                db.session.add(Place(name="Shusha", alternate="Shushi"))
            assert not content_lock_free(app)  # held until the unit commits
            with private_write():  # the idempotency record: joins
                db.session.add(Place(name="Lachin", alternate="Berdzor"))
        assert content_lock_free(app)
        assert places() == ["Lachin", "Shusha"]

        with pytest.raises(ZeroDivisionError):
            with content_write(deferred=True):
                with content_write():
                    db.session.add(Place(name="Stepanakert", alternate="Khankendi"))
                1 / 0
        assert places() == ["Lachin", "Shusha"]
        db.session.remove()


def test_a_change_made_outside_a_scope_is_refused_not_committed_or_lost_silently(app):
    with app.app_context():
        db.session.add(Place(name="Shusha", alternate="Shushi"))
        with pytest.raises(RuntimeError, match="content_write"):
            with private_write():
                pass
        db.session.expunge_all()

        db.session.add(Place(name="Lachin", alternate="Berdzor"))
        db.session.flush()  # written to the transaction, yet in no scope: a scope's start would roll it back
        for scope in (content_write, private_write):
            with pytest.raises(RuntimeError):
                with scope():
                    pass
        with pytest.raises(RuntimeError):
            end_read()
        db.session.remove()
        assert places() == []
        db.session.remove()
