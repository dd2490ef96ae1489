"""Two hosts, one PostgreSQL and one Redis: what one host changes or counts, the other knows at once.

Each "host" is a gunicorn server of its own with two workers, as two machines behind a
load balancer would run it; nothing is shared between them but the database and Redis.
"""
from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
import uuid
from contextlib import ExitStack, contextmanager

import pytest

from conftest import TEST_DB_URL, last_line
from servers import Gunicorn, run_cli

REDIS_URL = os.environ.get("SYNDICATE_TEST_REDIS_URL")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (TEST_DB_URL and REDIS_URL),
                       reason="needs SYNDICATE_TEST_DATABASE_URL and SYNDICATE_TEST_REDIS_URL"),
]


@contextmanager
def two_hosts(database_url: str, tmp_path, **settings):
    """Two gunicorn servers over one database and one Redis, with one site address, as behind a
    load balancer. Rate-limit keys get a prefix of their own, so no other run's counts (and no
    flush of anyone's Redis) are involved."""
    env = {
        "SYNDICATE_DATABASE_URL": database_url,
        "SYNDICATE_SECRET_KEY": "two-hosts-test",
        "SYNDICATE_SITE_URL": "http://newsroom.test",
        "SYNDICATE_RATELIMIT_STORAGE_URI": REDIS_URL,
        "SYNDICATE_RATELIMIT_KEY_PREFIX": f"syndicate-two-hosts-{uuid.uuid4().hex}",
        **{f"SYNDICATE_{k}": v for k, v in settings.items()},
    }
    with ExitStack() as stack:
        hosts = [stack.enter_context(Gunicorn(env, workers=2, log_dir=tmp_path)) for _ in range(2)]
        yield env, hosts


def call(url: str, *, data: dict | None = None, token: str | None = None) -> tuple[int, dict, str]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()


def test_a_withdrawal_through_one_host_is_gone_from_both_on_the_next_request(database_url, tmp_path):
    with two_hosts(database_url, tmp_path) as (env, (one, other)):
        editor = last_line(run_cli(env, "editors", "add", "desk"))
        assert call(one.url + "/api/stories", data={"title": "Live", "slug": "live"}, token=editor)[0] == 201
        kept = f"Kept update {uuid.uuid4().hex[:8]}"
        gone = f"Withdrawn update {uuid.uuid4().hex[:8]}"
        for headline in (kept, gone):
            status, _, body = call(one.url + "/api/stories/live/entries", token=editor,
                                   data={"headline": headline, "body_text": "From the ground."})
            assert status == 201, body
        entry_id = json.loads(body)["id"]

        paths = ["/stories/live", "/", "/feeds/latest.atom", "/stories/live/feed.json"]
        # Every worker of both hosts has served (and may have cached) every document.
        for host in (one, other):
            for path in paths * 6:
                status, _, body = call(host.url + path)
                assert status == 200 and gone in body and kept in body, (host.url, path, status)

        status, _, body = call(f"{one.url}/api/entries/{entry_id}/withdraw", token=editor,
                               data={"reason": "A source's safety is at risk."})
        assert status == 200, body

        for host in (other, one):  # the host that did not take the withdrawal first
            for path in paths * 6:
                status, _, body = call(host.url + path)
                assert status == 200 and kept in body, (host.url, path, status)
                assert gone not in body, f"{path} on {host.url} still shows the withdrawn update"
        # One answer, whichever host gives it.
        assert call(one.url + "/feeds/latest.atom")[2] == call(other.url + "/feeds/latest.atom")[2]


API_LIMIT = 6


def test_rate_limits_are_counted_across_both_hosts(database_url, tmp_path):
    # Per hour, and the window opens at the first request: the test never straddles one.
    with two_hosts(database_url, tmp_path, API_RATE_LIMIT=f"{API_LIMIT} per hour") as (_, (one, other)):
        statuses = [call(host.url + "/api/openapi.json")[0] for host in [one, other] * API_LIMIT]
        # Each host alone (or each of the four workers) would have allowed six more.
        assert statuses == [200] * API_LIMIT + [429] * API_LIMIT, statuses
        status, headers, body = call(other.url + "/api/openapi.json")
        assert status == 429 and json.loads(body)["error"]["code"] == "rate_limited"
        assert int(headers["Retry-After"]) > 0
