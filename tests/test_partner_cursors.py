"""Cursors under concurrent writes: a partner following them from the start sees every change exactly once."""
from __future__ import annotations

import random
import threading

import pytest
from sqlalchemy import select

from conftest import last_line
from syndicate.extensions import db
from syndicate.models import Entry, SyndicationChange

pytestmark = pytest.mark.slow

WRITERS = 3
OPERATIONS = 40


@pytest.fixture
def app_config():
    return {"PARTNER_RATE_LIMIT": "100000 per minute", "API_RATE_LIMIT": "100000 per minute"}


def writer(app, token: str, seed: int, errors: list) -> None:
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    rng = random.Random(seed)
    mine: list[int] = []
    try:
        for n in range(OPERATIONS):
            roll = rng.random()
            if not mine or roll < 0.45:
                response = client.post(f"/api/stories/desk-{seed % 2}/entries", headers=headers, json={
                    "headline": f"w{seed}-{n}", "body_text": "x", "syndicate": rng.random() > 0.15})
                assert response.status_code == 201, response.json
                mine.append(response.json["id"])
            elif roll < 0.75:
                response = client.patch(f"/api/entries/{rng.choice(mine)}", headers=headers,
                                        json={"headline": f"w{seed}-{n} edited"})
                assert response.status_code in (200, 409), response.json
            elif roll < 0.88:
                response = client.patch(f"/api/entries/{rng.choice(mine)}", headers=headers,
                                        json={"syndicate": rng.random() > 0.5})
                assert response.status_code in (200, 409), response.json
            else:
                response = client.post(f"/api/entries/{mine.pop(rng.randrange(len(mine)))}/withdraw",
                                       headers=headers, json={"reason": "test"})
                assert response.status_code == 200, response.json
    except BaseException as exc:  # noqa: BLE001 (reported by the main thread)
        errors.append(exc)


def test_following_cursors_collects_every_change_exactly_once(app, client, runner, newsroom):
    for n in range(2):
        newsroom.story(title=f"Desk {n}", slug=f"desk-{n}")
    partner = {"Authorization": "Bearer " + last_line(runner.invoke(args=["partners", "add", "Pager"]).output)}
    tokens = [last_line(runner.invoke(args=["editors", "add", f"writer {n}"]).output) for n in range(WRITERS)]

    errors: list = []
    threads = [threading.Thread(target=writer, args=(app, tokens[n], n, errors)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()

    pages, since = [], 0
    while True:
        writing = any(t.is_alive() for t in threads)
        feed = client.get(f"/syndication/entries.json?since={since}&limit=5", headers=partner).json
        cursor = int(feed["_syndicate"]["cursor"])
        pages.append((since, cursor, [item["id"] for item in feed["items"]], feed["items"]))
        if not feed["items"] and not writing:
            break
        since = cursor
    for thread in threads:
        thread.join()
    assert errors == []

    with app.app_context():
        uid_of = {e.id: f"urn:uuid:{e.uid}" for e in db.session.scalars(select(Entry))}
        log = [(c.seq, uid_of[c.entry_id]) for c in db.session.scalars(select(SyndicationChange).order_by(SyndicationChange.seq))]
        final = {f"urn:uuid:{e.uid}": e.headline for e in db.session.scalars(select(Entry).join(Entry.story).where(
            Entry.status == "published", Entry.syndicate.is_(True)))}

    assert log, "the writers made changes"
    assert [seq for seq, _ in log] == list(range(1, len(log) + 1))  # numbered without gaps
    covered = []
    for since, cursor, ids, _ in pages:
        changed = [uid for seq, uid in log if since < seq <= cursor]
        covered += [seq for seq, _ in log if since < seq <= cursor]
        assert sorted(ids) == sorted(set(changed)), "a page holds exactly the entries changed in its range"
    assert covered == [seq for seq, _ in log]  # every change, once, in order
    assert len(pages) > 3

    held: dict[str, str] = {}
    for *_, items in pages:
        for item in items:
            if "deleted" in item.get("_syndicate", {}):
                held.pop(item["id"], None)
            else:
                held[item["id"]] = item["title"]
    assert held == final
