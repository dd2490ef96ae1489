"""A spike of readers through the edge: does the origin's load stay flat as readers grow?

    python benchmarks/spike.py [--levels 100,1000,5000] [--duration 60] [--poll-seconds 30]

Serves a 10,000-entry SQLite newsroom (benchmarks/dataset.py) with `gunicorn -w 2` (the
project's gunicorn.conf.py) behind deploy/nginx.conf (benchmarks/edge.py), then, for each
level of concurrent readers:

- **open live pages**: each reader holds its own keep-alive connection, loads the live day
  with its style sheet and script, then asks for the page again every --poll-seconds with
  If-None-Match, as syndicate/static/live.js does (their first polls are spread over one
  period, as readers arriving over time would be);
- **new arrivals**: --arrivals per second per 100 readers open the home page or the live
  day, with its assets, on a fresh connection, and leave;
- **an editor** publishes an update through the API every --publish-every seconds, and a
  watcher, polling the live page through the edge every 100 ms, times how long each update
  takes to be visible to readers.

Each level runs for --duration seconds after every reader has arrived. It reports the
origin's request rate (lines in gunicorn's access log), the edge's cache hit ratio (from
X-Cache-Status: HIT and STALE/UPDATING count as hits, anything that asked the app does
not), errors (a 5xx, a timeout or a refused connection), p50/p99 latency of what readers
asked for, and publish-to-visible p50/max. The origin rate should stay flat as readers grow.

Needs nginx (Debian's nginx-light) and aiohttp (`pip install aiohttp`); raises its own open
file limit to what 5,000 connections need. Not run by CI.
"""
from __future__ import annotations

import argparse
import asyncio
import html
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import dataset
import edge

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from servers import Gunicorn, free_port  # noqa: E402

SECRET = "spike-benchmark-secret"
HITS = {"HIT", "STALE", "UPDATING"}


@dataclass
class Tally:
    """What readers saw during one level's measured window."""

    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    cache: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    measuring: bool = False

    def add(self, seconds: float, status: int, cache_status: str) -> None:
        if not self.measuring:
            return
        self.latencies.append(seconds)
        self.statuses[str(status)] = self.statuses.get(str(status), 0) + 1
        self.cache[cache_status] = self.cache.get(cache_status, 0) + 1
        if status >= 500:
            self.errors += 1

    def fail(self) -> None:
        if self.measuring:
            self.errors += 1

    @property
    def requests(self) -> int:
        return len(self.latencies)

    def hit_ratio(self) -> float:
        cached = sum(n for status, n in self.cache.items() if status != "-")
        return sum(self.cache.get(s, 0) for s in HITS) / cached if cached else 0.0


def cli(env: dict, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "syndicate.cli", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


def raise_file_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < needed:
        sys.exit(f"needs {needed} open files; the hard limit is {hard} (raise it with ulimit -Hn as root)")


async def fetch(session, url: str, tally: Tally, headers: dict | None = None) -> tuple[int, str, str | None]:
    """One GET as a browser sends it; returns the status, the body and the ETag."""
    import aiohttp

    started = time.perf_counter()
    try:
        async with session.get(url, headers={"Accept-Encoding": "gzip", **(headers or {})},
                               timeout=aiohttp.ClientTimeout(total=30)) as answer:
            body = await answer.text()
            tally.add(time.perf_counter() - started, answer.status, answer.headers.get("X-Cache-Status", "-"))
            return answer.status, body, answer.headers.get("ETag")
    except (aiohttp.ClientError, asyncio.TimeoutError):
        tally.fail()
        return 0, "", None


async def open_page(session, base: str, path: str, tally: Tally) -> str | None:
    """A page and the style sheet and scripts it names, as a browser loads them."""
    status, body, etag = await fetch(session, base + path, tally)
    for asset in dict.fromkeys(re.findall(r'(?:href|src)="(/static/[^"]+)"', body)):
        await fetch(session, base + html.unescape(asset), tally)
    return etag if status == 200 else None


async def live_reader(base: str, live: str, tally: Tally, poll: float, stop: asyncio.Event) -> None:
    """A reader who keeps the live day open: one connection, a conditional request each period."""
    import aiohttp

    await asyncio.sleep(random.uniform(0, poll))  # readers arrive over one period
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as session:
        etag = await open_page(session, base, live, tally)
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=poll)
            except asyncio.TimeoutError:
                pass
            if stop.is_set():
                return
            status, _, new = await fetch(session, base + live, tally, {"If-None-Match": etag} if etag else None)
            if status == 200 and new:
                etag = new


async def arrivals(base: str, live: str, rate: float, tally: Tally, stop: asyncio.Event) -> None:
    """New readers, each on a fresh connection: the home page or the live day, then gone."""
    import aiohttp

    async def visit(path: str) -> None:
        async with aiohttp.ClientSession() as session:
            await open_page(session, base, path, tally)

    visits: set[asyncio.Task] = set()
    while not stop.is_set():
        task = asyncio.create_task(visit(random.choice(["/", live, live])))
        visits.add(task)
        task.add_done_callback(visits.discard)
        await asyncio.sleep(random.expovariate(rate))
    await asyncio.gather(*visits, return_exceptions=True)


async def editor(origin: str, site: str, token: str, slug: str, every: float, seen: list[float],
                 stop: asyncio.Event) -> None:
    """Publishes through the API every `every` seconds; a watcher times each update onto the edge's page."""
    import aiohttp

    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    async with aiohttp.ClientSession() as api, aiohttp.ClientSession() as watcher:
        while not stop.is_set():
            headline = f"Spike update {time.monotonic_ns()}"
            body = json.dumps({"headline": headline, "body_text": "A development. " * 40})
            started = time.perf_counter()
            async with api.post(f"{origin}/api/stories/{slug}/entries", data=body, headers=headers) as answer:
                assert answer.status == 201, f"publish answered {answer.status}"
            while time.perf_counter() - started < 30:
                async with watcher.get(f"{site}/stories/{slug}") as page:
                    if headline in await page.text():
                        seen.append(time.perf_counter() - started)
                        break
                await asyncio.sleep(0.1)
            await asyncio.sleep(max(0.0, every - (time.perf_counter() - started)))


def access_lines(path: Path) -> int:
    with path.open("rb") as log:
        return sum(1 for _ in log)


async def level(n: int, args, origin: Gunicorn, site: str, live: str, slug: str, token: str) -> dict:
    tally = Tally()
    stop = asyncio.Event()
    readers = [asyncio.create_task(live_reader(site, live, tally, args.poll_seconds, stop)) for _ in range(n)]
    newcomers = asyncio.create_task(arrivals(site, live, max(0.1, args.arrivals * n / 100), tally, stop))
    await asyncio.sleep(args.poll_seconds + 2)  # every reader has arrived and polls

    seen: list[float] = []
    publishing = asyncio.create_task(editor(origin.url, site, token, slug, args.publish_every, seen, stop))
    tally.measuring = True
    before, started = access_lines(origin.access_log), time.perf_counter()
    await asyncio.sleep(args.duration)
    after, elapsed = access_lines(origin.access_log), time.perf_counter() - started
    tally.measuring = False
    stop.set()
    await asyncio.gather(*readers, newcomers, publishing, return_exceptions=True)

    ms = sorted(x * 1000 for x in tally.latencies) or [0.0]
    return {
        "readers": n,
        "edge_rps": tally.requests / elapsed,
        "origin_rps": (after - before) / elapsed,
        "hit_ratio": tally.hit_ratio(),
        "errors": tally.errors,
        "p50": statistics.median(ms),
        "p99": ms[min(len(ms) - 1, int(len(ms) * 0.99))],
        "visible_p50": statistics.median(seen) if seen else float("nan"),
        "visible_max": max(seen) if seen else float("nan"),
        "statuses": tally.statuses,
        "cache": tally.cache,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levels", default="100,1000,5000", help="concurrent readers per level")
    parser.add_argument("--duration", type=float, default=60, help="measured seconds per level (default 60)")
    parser.add_argument("--poll-seconds", type=float, default=30, help="how often an open page asks (default 30)")
    parser.add_argument("--arrivals", type=float, default=1.0, help="new readers per second per 100 open (default 1)")
    parser.add_argument("--publish-every", type=float, default=10, help="seconds between updates (default 10)")
    parser.add_argument("--entries", type=int, default=10_000, help="size of the newsroom (default 10,000)")
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    if not edge.available():
        sys.exit("needs nginx (apt-get install nginx-light)")
    raise_file_limit(max(levels) * 2 + 1024)

    work = Path(tempfile.mkdtemp(prefix="spike-bench-"))
    edge_port = free_port()
    site = f"http://127.0.0.1:{edge_port}"
    url = f"sqlite:///{work}/spike.sqlite"
    env = {**os.environ, "SYNDICATE_DATABASE_URL": url, "SYNDICATE_SECRET_KEY": SECRET, "SYNDICATE_SITE_URL": site,
           "SYNDICATE_TRUSTED_PROXIES": "1", "SYNDICATE_API_RATE_LIMIT": "100000 per minute"}
    dataset.init_schema(url, env, str(ROOT))
    os.environ.update({k: v for k, v in env.items() if k.startswith("SYNDICATE_")})
    from syndicate import create_app
    from syndicate.extensions import db

    app = create_app()
    info = dataset.build(app, args.entries, log=lambda message: print(message, file=sys.stderr))
    with app.app_context():
        db.engine.dispose()
    slug = _busiest(url)
    token = cli(env, "editors", "add", "spike desk")
    print(f"newsroom: {info.entries:,} entries; live day /stories/{slug}", file=sys.stderr)

    rows = []
    with Gunicorn(env, workers=2, log_dir=work) as origin, \
            edge.Nginx(edge_port, origin.port, work / "nginx", connections=max(levels) * 2 + 512):
        for n in levels:
            print(f"[spike] {n} readers ...", file=sys.stderr)
            rows.append(asyncio.run(level(n, args, origin, site, f"/stories/{slug}", slug, token)))

    print(f"\nreaders polling every {args.poll_seconds:g} s, {args.arrivals:g} arrivals/s per 100 readers, "
          f"an update every {args.publish_every:g} s; {args.duration:g} s measured per level; "
          f"gunicorn -w 2 behind deploy/nginx.conf")
    print(f"{'readers':>8}{'edge r/s':>10}{'origin r/s':>12}{'hit ratio':>11}{'errors':>8}"
          f"{'p50 ms':>9}{'p99 ms':>9}{'visible p50 s':>15}{'visible max s':>15}")
    for row in rows:
        print(f"{row['readers']:>8}{row['edge_rps']:>10.1f}{row['origin_rps']:>12.1f}{row['hit_ratio']:>11.2%}"
              f"{row['errors']:>8}{row['p50']:>9.1f}{row['p99']:>9.1f}{row['visible_p50']:>15.2f}"
              f"{row['visible_max']:>15.2f}")
    for row in rows:
        print(f"{row['readers']} readers: statuses {row['statuses']}, X-Cache-Status {row['cache']}")


def _busiest(url: str) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        slug = conn.execute(text(
            "SELECT s.slug FROM story s JOIN entry e ON e.story_id = s.id WHERE s.kind = 'live' "
            "GROUP BY s.slug ORDER BY max(e.published_at) DESC, count(e.id) DESC LIMIT 1")).scalar_one()
    engine.dispose()
    return slug


if __name__ == "__main__":
    main()
