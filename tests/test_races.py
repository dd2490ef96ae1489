"""Races that used to lose or duplicate work: retries that overlap the first request, a PATCH sent
twice, a request that read the content version before a newer one reached the document cache, and
Stripe calls that hang while editors and readers still need answers from the same gunicorn."""
from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pytest
from sqlalchemy import func, select

from conftest import STRIPE_KEY, WEBHOOK_SECRET, last_line
from servers import Gunicorn, HungServer, LiveServer, free_port, run_cli, wait_for
from syndicate.documents import DocumentCache, prepare
from syndicate.extensions import db
from syndicate.models import Correction, EditorialLog, Story
from test_faults import in_background, signed


@pytest.fixture
def origin(app):
    """The app served over HTTP by a threaded server, so requests really overlap."""
    with LiveServer(app, free_port()) as server:
        yield server.url


def send(method: str, url: str, body: dict | None, headers: dict) -> tuple[int, dict, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={**headers, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, dict(answer.headers), json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read())


def all_at_once(count: int, request) -> list[tuple[int, dict, dict]]:
    """Send request() from `count` threads released together; every answer, in no particular order."""
    start = threading.Barrier(count)
    answers = []

    def run():
        start.wait()
        answers.append(request())

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    assert len(answers) == count
    return answers


def one_answer(answers, status: int) -> dict:
    """Every copy of the request got the same status and the same body; that body."""
    assert {a[0] for a in answers} == {status}, [(a[0], a[2]) for a in answers]
    bodies = {json.dumps(a[2], sort_keys=True) for a in answers}
    assert len(bodies) == 1, bodies
    return answers[0][2]


def count(app, query) -> int:
    with app.app_context():
        try:
            return db.session.scalar(query)
        finally:
            db.session.remove()


# ---------------------------------------------------------------- Idempotency-Key under overlapping retries


def test_overlapping_retries_of_a_new_story_get_one_answer(app, origin, newsroom):
    headers = {**newsroom.headers, "Idempotency-Key": "story-once"}
    answers = all_at_once(6, lambda: send("POST", f"{origin}/api/stories",
                                          {"title": "Ceasefire talks", "slug": "talks", "kind": "live"}, headers))
    body = one_answer(answers, 201)
    assert body["slug"] == "talks"
    assert count(app, select(func.count()).select_from(Story)) == 1
    assert sum(a[1].get("Idempotent-Replayed") == "true" for a in answers) == 5


def test_overlapping_retries_of_a_withdrawal_get_one_answer(app, origin, newsroom):
    newsroom.story(title="S", slug="s")
    entry = newsroom.entry("s", headline="Shelter address")
    headers = {**newsroom.headers, "Idempotency-Key": "withdraw-once"}
    answers = all_at_once(6, lambda: send("POST", f"{origin}/api/entries/{entry['id']}/withdraw",
                                          {"reason": "Named a shelter"}, headers))
    assert one_answer(answers, 200)["status"] == "withdrawn"
    withdrawals = select(func.count()).select_from(EditorialLog).where(EditorialLog.action == "withdraw")
    assert count(app, withdrawals) == 1


# ---------------------------------------------------------------- a PATCH with a correction, sent twice


def corrections(newsroom, entry_id) -> list[str]:
    return [c["text"] for c in newsroom.client.get(f"/api/entries/{entry_id}", headers=newsroom.headers)
            .json["corrections"]]


def test_overlapping_retries_of_a_correction_append_it_once(app, origin, newsroom):
    newsroom.story(title="S", slug="s")
    entry = newsroom.entry("s", headline="Toll rises to 12")
    headers = {**newsroom.headers, "Idempotency-Key": "correct-once"}
    change = {"headline": "Toll rises to 21", "correction": "The toll was misreported as 12."}
    answers = all_at_once(6, lambda: send("PATCH", f"{origin}/api/entries/{entry['id']}", change, headers))
    one_answer(answers, 200)
    assert len({a[1]["ETag"] for a in answers}) == 1  # the replayed answers carry the first one's ETag
    assert corrections(newsroom, entry["id"]) == ["The toll was misreported as 12."]
    assert count(app, select(func.count()).select_from(Correction)) == 1


def test_a_retried_patch_with_one_key_replays_the_first_answer(newsroom):
    newsroom.story(title="S", slug="s")
    entry = newsroom.entry("s", headline="Toll rises to 12")
    path, headers = f"/api/entries/{entry['id']}", {**newsroom.headers, "Idempotency-Key": "patch-1"}
    change = {"correction": "The toll was misreported as 12."}
    first = newsroom.client.patch(path, json=change, headers=headers)
    again = newsroom.client.patch(path, json=change, headers=headers)
    assert first.status_code == again.status_code == 200 and first.json == again.json
    assert again.headers["Idempotent-Replayed"] == "true" and again.headers["ETag"] == first.headers["ETag"]
    assert corrections(newsroom, entry["id"]) == ["The toll was misreported as 12."]
    other = newsroom.client.patch(path, json={"correction": "Another."}, headers=headers)
    assert other.status_code == 422 and other.json["error"]["code"] == "idempotency_key_reused"


def test_a_retried_patch_with_if_match_appends_the_correction_once(newsroom):
    """Without a key: the old ETag is refused (412, SPEC); a client that re-read the entry and sends the
    same correction with the new ETag changes nothing, and the ETag stays as it was."""
    newsroom.story(title="S", slug="s")
    entry = newsroom.entry("s", headline="Toll rises to 12")
    path = f"/api/entries/{entry['id']}"
    opened = newsroom.client.get(path, headers=newsroom.headers).headers["ETag"]
    change = {"headline": "Toll rises to 21", "correction": "The toll was misreported as 12."}
    first = newsroom.client.patch(path, json=change, headers={**newsroom.headers, "If-Match": opened})
    assert first.status_code == 200
    stale = newsroom.client.patch(path, json=change, headers={**newsroom.headers, "If-Match": opened})
    assert stale.status_code == 412
    reread = newsroom.client.get(path, headers=newsroom.headers).headers["ETag"]
    assert reread == first.headers["ETag"]
    again = newsroom.client.patch(path, json=change, headers={**newsroom.headers, "If-Match": reread})
    assert again.status_code == 200 and again.headers["ETag"] == reread
    assert corrections(newsroom, entry["id"]) == ["The toll was misreported as 12."]
    # A different correction is a new one, and an edit without one still edits.
    assert newsroom.patch(entry["id"], correction="The town was misnamed.").status_code == 200
    assert newsroom.patch(entry["id"], headline="Toll rises to 22").status_code == 200
    assert corrections(newsroom, entry["id"]) == ["The toll was misreported as 12.", "The town was misnamed."]


# ---------------------------------------------------------------- the document cache's version


def test_a_request_that_read_an_older_version_never_empties_a_newer_cache():
    cache = DocumentCache(max_bytes=1 << 20, max_items=100)
    made = []

    def make(text: str):
        def render():
            made.append(text)
            return prepare(text)
        return render

    assert cache.get(6, ("page", "/"), make("version 6")).plain.body == b"version 6"
    # A slow request that read version 5 before the change arrives now: it gets its own document...
    assert cache.get(5, ("page", "/"), make("version 5")).plain.body == b"version 5"
    assert cache.version == 6
    # ...and the newer document is still kept, and was never replaced by the older one.
    assert cache.get(6, ("page", "/"), make("again")).plain.body == b"version 6"
    assert cache.get(5, ("page", "/about"), make("stale about")).plain.body == b"stale about"
    assert cache.get(6, ("page", "/about"), make("about 6")).plain.body == b"about 6"
    assert made == ["version 6", "version 5", "stale about", "about 6"]
    assert cache.get(7, ("page", "/"), make("version 7")).plain.body == b"version 7"


# ---------------------------------------------------------------- hung Stripe calls under gunicorn


@pytest.mark.slow
def test_hung_stripe_calls_leave_editors_and_readers_answered(database_url, tmp_path):
    """gunicorn as deployed (gunicorn.conf.py, two workers): two webhooks wait on a Stripe that never
    answers, and an editor's write, a desk page and a reader's page are answered before either call ends."""
    hung = HungServer()
    env = {"SYNDICATE_DATABASE_URL": database_url, "SYNDICATE_SECRET_KEY": "hung-stripe-test",
           "SYNDICATE_STRIPE_SECRET_KEY": STRIPE_KEY, "SYNDICATE_STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
           "SYNDICATE_STRIPE_API_BASE": hung.url, "SYNDICATE_STRIPE_TIMEOUT": "20"}
    try:
        with Gunicorn(env, workers=2, log_dir=tmp_path) as server:
            token = last_line(run_cli(server.env, "editors", "add", "desk"))
            calls = []
            for n in range(2):
                payload, headers = signed({"id": f"evt_hung_{n}", "type": "customer.subscription.created",
                                           "created": 1, "data": {"object": {"id": f"sub_{n}",
                                                                             "object": "subscription"}}})
                request = urllib.request.Request(server.url + "/stripe/webhook", data=payload, headers=headers)
                calls.append(in_background(lambda r=request: status_of(r)))
                wait_for(lambda n=n: hung.accepted >= n + 1, what=f"webhook {n + 1} to wait on Stripe")

            def editor_and_reader():
                write = send("POST", server.url + "/api/stories", {"title": "During the outage", "slug": "during"},
                             {"Authorization": f"Bearer {token}"})
                desk = status_of(urllib.request.Request(server.url + "/desk/signin"))
                page = status_of(urllib.request.Request(server.url + "/stories/during"))
                return write[0], desk, page

            editing, box = in_background(editor_and_reader)
            # Whichever ends first: the editor's requests, or a Stripe call (after STRIPE_TIMEOUT).
            wait_for(lambda: not editing.is_alive() or any(not t.is_alive() for t, _ in calls), timeout=60,
                     what="the editor's requests or a Stripe call to end")
            assert not editing.is_alive(), "the editor waited for the Stripe calls"
            assert all(t.is_alive() for t, _ in calls) and hung.accepted == 2
            assert box["result"] == (201, 200, 200)

            hung.close()  # Stripe fails outright now: the webhooks answer 503, to be delivered again
            for thread, _ in calls:
                thread.join(30)
            assert [b["result"] for _, b in calls] == [503, 503]
    finally:
        hung.close()


def status_of(request: urllib.request.Request) -> int:
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            answer.read()
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code
