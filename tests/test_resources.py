"""Servers that keep running: descriptors, database connections and memory stay bounded under load.

Each test serves the demo newsroom from a real server process (`syndicate demo`, or
gunicorn) and reads what the kernel or PostgreSQL says about that process, never
the app's own idea of what it holds.
"""
from __future__ import annotations

import http.client
import itertools
import json
import os
import re
import subprocess
import sys
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import TEST_DB_URL, last_line
from servers import Gunicorn, free_port, run_cli, wait_for

pytestmark = pytest.mark.slow


def get(url: str, timeout: float = 10) -> tuple[int, bytes]:
    """One GET on a connection of its own, as a separate reader would make it."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def run_all(urls, threads: int = 4) -> Counter:
    """GET every URL from a few threads at once; count (path without query, status)."""
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return Counter(pool.map(_path_and_status, urls))


def _path_and_status(url: str) -> tuple[str, int]:
    return urlsplit(url).path, get(url)[0]


def demo_data(env: dict) -> str:
    """Load the demo newsroom into env's database; return a member's feed token."""
    run_cli(env, "demo", "--no-serve")
    return last_line(run_cli(env, "members", "comp", "resources-reader@example.org"))


def story_path(base: str) -> str:
    """A live day's page, found the way a reader finds it: from the home page."""
    status, body = get(base + "/")
    assert status == 200
    return re.search(rb'href="(/stories/live-[0-9-]+)"', body).group(1).decode()


def open_descriptors(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1)) / 1024


# --------------------------------------------------------------------------- descriptors

# Room for descriptors that come and go without leaking: a database connection or two more in
# the pool when more requests happen to overlap than during the warm-up (a SQLite connection
# holds three: the file, its -wal and its -shm), and the sockets of requests that have just been
# answered and whose threads are still closing them. A leak of one per request would be +2,000.
FD_SLACK = 10


@pytest.fixture
def demo_server(database_url, tmp_path):
    port = free_port()
    env = {**os.environ, "SYNDICATE_DATABASE_URL": database_url, "SYNDICATE_SECRET_KEY": "resources-test"}
    log = tmp_path / "demo.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "syndicate.cli", "demo", "--host", "127.0.0.1", "--port", str(port)],
            cwd=tmp_path, env=env, stdout=sink, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"

    def serving() -> bool:
        assert process.poll() is None, log.read_text()[-3000:]
        try:
            return get(base + "/healthz", timeout=1)[0] == 200
        except OSError:
            return False

    try:
        wait_for(serving, timeout=60, what="syndicate demo")
        yield base, process.pid, env
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_demo_server_descriptors_stay_flat_over_2000_requests(demo_server):
    base, pid, env = demo_server
    token = last_line(run_cli(env, "members", "comp", "fd-reader@example.org"))
    mix = [f"{base}/feeds/latest.atom", base + story_path(base), f"{base}/healthz",
           f"{base}/feeds/latest.atom?token={token}"]
    # Every URL once, alone, to check it is what we mean to load; then a warm-up at full concurrency.
    assert [get(url)[0] for url in mix] == [200, 200, 200, 200]
    assert get(mix[0])[1] != get(mix[3])[1]  # the member's feed really is the member's
    run_all(itertools.islice(itertools.cycle(mix), 200))
    before = open_descriptors(pid)

    counts = run_all(itertools.islice(itertools.cycle(mix), 2000))
    assert sum(counts.values()) == 2000 and {status for _, status in counts} == {200}, counts

    limit = before + FD_SLACK
    try:
        wait_for(lambda: open_descriptors(pid) <= limit, timeout=5, what="descriptors")
    except AssertionError:
        pytest.fail(f"open descriptors went from {before} to {open_descriptors(pid)} over 2,000 requests "
                    f"(allowed: {limit})")


# --------------------------------------------------------------------------- PostgreSQL connections

POOL_SIZE = 1
WORKERS = 2


@pytest.mark.skipif(not TEST_DB_URL, reason="SYNDICATE_TEST_DATABASE_URL is not set")
def test_postgresql_connections_stay_within_the_pool_of_each_worker(database_url, tmp_path):
    """A sync gunicorn worker serves one request at a time, so one pooled connection is all it
    needs: with the pool at 1 and no overflow, any connection beyond one per worker was opened
    outside the pool (and would multiply with workers and threads in production)."""
    from sqlalchemy import create_engine, text

    name = f"syndicate-test-{uuid.uuid4().hex[:12]}"
    options = {"pool_size": POOL_SIZE, "max_overflow": 0, "pool_timeout": 5,
               "connect_args": {"application_name": name}}
    env = {"SYNDICATE_DATABASE_URL": database_url, "SYNDICATE_SECRET_KEY": "resources-test"}
    token = demo_data({**os.environ, **env})
    env["SYNDICATE_SQLALCHEMY_ENGINE_OPTIONS"] = json.dumps(options)

    watcher = create_engine(database_url, isolation_level="AUTOCOMMIT")
    seen: list[int] = []
    with Gunicorn(env, workers=WORKERS, log_dir=tmp_path) as server, watcher.connect() as conn:
        base = server.url
        story = story_path(base)
        mix = [f"{base}/", f"{base}{story}", f"{base}/feeds/latest.atom", f"{base}/feeds/latest.json",
               f"{base}/archive/", f"{base}/feeds/latest.atom?token={token}", f"{base}{story}/feed.rss",
               f"{base}/archive/1900-01-01", f"{base}/healthz"]
        count = text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name")

        def sample() -> None:
            # Autocommit: each query is its own transaction, so each sees the present (PostgreSQL
            # keeps one snapshot of the activity view per transaction).
            seen.append(conn.execute(count, {"name": name}).scalar_one())

        with ThreadPoolExecutor(max_workers=6) as pool:
            load = pool.map(_path_and_status, itertools.islice(itertools.cycle(mix), 900))
            statuses = Counter()
            for result in load:
                statuses[result] += 1
                sample()
        sample()
    watcher.dispose()

    assert {status for (_, status) in statuses} <= {200, 404} and statuses[("/archive/1900-01-01", 404)] == 100, \
        statuses
    assert max(seen) >= 1, "the app's connections were not found by their application_name"
    assert max(seen) <= POOL_SIZE * WORKERS, (
        f"{max(seen)} server connections for {WORKERS} workers with a pool of {POOL_SIZE} "
        f"(samples: {Counter(seen)})")


# --------------------------------------------------------------------------- memory

MAX_GROWTH_MB = 30


def test_worker_memory_stays_bounded_over_10000_missing_days(database_url, tmp_path):
    """Every error is a fresh answer, not a document kept (or a traceback grown) per URL."""
    env = {"SYNDICATE_DATABASE_URL": database_url, "SYNDICATE_SECRET_KEY": "resources-test"}
    demo_data({**os.environ, **env})
    with Gunicorn(env, workers=1, log_dir=tmp_path) as server:
        (worker,) = server.worker_pids()
        port = server.port
        story = story_path(server.url)

        def missing(first: date, n: int) -> list[str]:
            days = [(first + timedelta(days=i)).isoformat() for i in range(n)]
            return [f"/archive/{d}" + (".atom" if i % 2 else "") for i, d in enumerate(days)]

        # Warm-up: every kind of answer measured below, and the pages around them, once or more.
        warm = missing(date(1800, 1, 1), 300) + ["/", story, "/feeds/latest.atom", "/archive/"] * 5
        assert Counter(status for status in keep_alive(port, warm)) == {404: 300, 200: 20}
        before = rss_mb(worker)

        distinct = missing(date(1900, 1, 1), 5000)
        same = ["/archive/1899-12-31", "/archive/1899-12-31.atom"] * 2500
        assert len(set(distinct)) == 5000
        assert Counter(keep_alive(port, distinct + same)) == {404: 10_000}
        after = rss_mb(worker)
        assert server.worker_pids() == [worker]  # the same worker all along (none restarted)

    assert after - before < MAX_GROWTH_MB, f"worker RSS went from {before:.0f} MB to {after:.0f} MB"


def keep_alive(port: int, paths: list[str], clients: int = 2) -> list[int]:
    """GET each path in order from a few clients, each on one http.client connection (reopened
    whenever the server closes it, as gunicorn's sync worker does after each answer)."""

    def client(part: list[str]) -> list[int]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        statuses = []
        try:
            for path in part:
                conn.request("GET", path, headers={"Accept-Encoding": "gzip"})
                response = conn.getresponse()
                response.read()
                statuses.append(response.status)
        finally:
            conn.close()
        return statuses

    parts = [paths[i::clients] for i in range(clients)]
    with ThreadPoolExecutor(max_workers=clients) as pool:
        return [status for statuses in pool.map(client, parts) for status in statuses]
