#!/usr/bin/env python
"""Load and scale benchmark for syndicate (not run by CI; see benchmarks/README.md).

    python benchmarks/run.py                          # 10,000 entries, ~12 minutes
    python benchmarks/run.py --duration 3s --rounds 1 # a quick look, ~2 minutes
    python benchmarks/run.py --entries 1000000        # also builds 10,000 and compares day latency

Builds a data set, serves it with `gunicorn -w 2` on 127.0.0.1 and through
deploy/nginx.conf in front of it, loads both with wrk and prints one table: what
readers hit (the busiest live day, the home page, an article, an archive day, the
latest feed, a member's archive document) as a ratio to the framework floor
(/healthz at the origin) measured in the same run, the cold render of the busiest
live day page, day page and feed latency at 10k vs 1M entries, and memory per
worker after an archive walk and 10,000 missing URLs, each against issue 8's target.
"""
from __future__ import annotations

import argparse
import http.client
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import dataset  # noqa: E402
import edge  # noqa: E402

BASELINE = 10_000
ACCEPT_GZIP = "Accept-Encoding: gzip"  # what feed readers and aggregators send
MEMBER_EMAIL = "bench-member@example.org"

# Issue 8: ratios to /healthz at the origin, milliseconds, a ratio of latencies, megabytes.
TARGETS = {
    "live": 0.5,
    "home": 0.6,
    "article": None,  # measured, no target
    "day": None,
    "latest": 0.7,
    "latest304": 0.8,
    "member": 0.6,
    "edge": 8.0,  # each of the anonymous live day, home and latest feed through deploy/nginx.conf
    "cold_ms": 25.0,
    "scale": 1.25,
    "rss_mb": 150.0,
}
MISSING_URLS = 10_000


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- data sets

@dataclass
class DataSet:
    entries: int
    url: str
    token: str = ""
    info: dict = field(default_factory=dict)
    day: str = ""  # the members-only day measured
    day_entries: int = 0
    days: list[str] = field(default_factory=list)  # newest first
    busiest: str = ""  # the slug of the busiest live day
    busiest_entries: int = 0
    article: str = ""  # the slug of the newest article every reader may read


def base_env(secret: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNDICATE_")}
    env["SYNDICATE_SECRET_KEY"] = secret
    return env


def prepare(entries: int, url: str, secret: str) -> DataSet:
    """Schema through `syndicate init`, rows in bulk (unless already built), and a member token."""
    from syndicate import create_app

    env = base_env(secret)
    log(f"[data] {entries:,} entries -> {_safe(url)}")
    dataset.init_schema(url, env, str(ROOT))
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": secret})
    found = dataset.existing(app)
    if found is None:
        info = dataset.build(app, entries, log=log)
        log(f"[data] built {info.entries:,} entries over {info.days:,} days, {info.stories:,} stories "
            f"in {info.seconds:.0f} s")
    elif found.get("entries") != str(entries):
        raise SystemExit(f"{_safe(url)} already holds other data ({found}); give an empty database.")
    else:
        log(f"[data] reusing the data set already in {_safe(url)} ({found})")
    _dispose(app)

    out = subprocess.run(
        [sys.executable, "-c", "from syndicate.cli import main; main()", "members", "comp", MEMBER_EMAIL],
        env={**env, "SYNDICATE_DATABASE_URL": url}, cwd=str(ROOT), check=True, capture_output=True, text=True,
    )
    ds = DataSet(entries=entries, url=url, token=out.stdout.strip().splitlines()[-1])

    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT day, entries FROM coverage_day WHERE entries > 0 ORDER BY day DESC")).all()
        ds.info = dict(part.split("=", 1) for part in conn.execute(
            text("SELECT summary FROM story WHERE slug = :s"), {"s": dataset.MARKER_SLUG}).scalar_one().split(";"))
        # The busiest live day (the newest day of a data set built here; any other the busiest one).
        busiest = conn.execute(text(
            "SELECT s.slug, count(e.id) FROM story s JOIN entry e ON e.story_id = s.id "
            "WHERE s.kind = 'live' AND s.slug = :slug AND e.status = 'published' GROUP BY s.slug"),
            {"slug": ds.info.get("busiest", "")}).first() or conn.execute(text(
            "SELECT s.slug, count(e.id) AS n FROM story s JOIN entry e ON e.story_id = s.id "
            "WHERE s.kind = 'live' AND e.status = 'published' GROUP BY s.slug ORDER BY n DESC LIMIT 1")).first()
        ds.busiest, ds.busiest_entries = busiest
        ds.article = conn.execute(text(
            "SELECT slug FROM story WHERE kind = 'article' AND access <> 'members' AND slug <> :marker "
            "ORDER BY published_at DESC LIMIT 1"), {"marker": dataset.MARKER_SLUG}).scalar_one()
    engine.dispose()
    ds.days = [str(r[0]) for r in rows]
    # A typical day for members: past the public window (the two newest days with coverage),
    # of the next eleven the one of median size. It depends on the newest days only, which are
    # the same in every data set, so the same document is measured at 10k and at 1M entries.
    candidates = sorted(rows[2:13], key=lambda r: (r[1], r[0]))
    day = candidates[len(candidates) // 2]
    ds.day, ds.day_entries = str(day[0]), day[1]
    return ds


def _dispose(app) -> None:
    from syndicate.extensions import db

    with app.app_context():
        db.engine.dispose()


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def bump_version(url: str, engine_cache: dict = {}) -> None:  # noqa: B006 (a deliberate per-process cache)
    """Raise site_state.version, as every content write does: each worker's next request is cold."""
    from datetime import datetime, timezone

    from sqlalchemy import create_engine, update

    from syndicate.models import SiteState

    engine = engine_cache.get(url) or engine_cache.setdefault(url, create_engine(url))
    table = SiteState.__table__
    with engine.begin() as conn:
        conn.execute(update(table).where(table.c.id == 1)
                     .values(version=table.c.version + 1, changed_at=datetime.now(timezone.utc)))


# ---------------------------------------------------------------- the server

class Server:
    def __init__(self, ds: DataSet, secret: str, workers: int, logdir: Path, settings: dict | None = None):
        self.ds = ds
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.logfile = logdir / f"gunicorn-{ds.entries}.log"
        env = base_env(secret)
        env.update({
            "SYNDICATE_DATABASE_URL": ds.url,
            "SYNDICATE_SITE_URL": self.base,
            **(settings or {}),
        })
        # The schema once more, just before serving: migrations that landed since the data
        # set was built (a benchmark of a tree being worked on) are applied first.
        dataset.init_schema(ds.url, env, str(ROOT))
        self._log = open(self.logfile, "w")
        log(f"[server] gunicorn -w {workers} -b 127.0.0.1:{self.port} wsgi:app ({ds.entries:,} entries)")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{self.port}", "wsgi:app"],
            cwd=str(ROOT), env=env, stdout=self._log, stderr=subprocess.STDOUT,
        )
        self.workers = workers
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.proc.returncode}):\n{self.logfile.read_text()[-3000:]}")
            try:
                if get(self.port, "/healthz")[0] == 200 and len(self.worker_pids()) == self.workers:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer /healthz in {timeout:.0f} s:\n{self.logfile.read_text()[-3000:]}")

    def worker_pids(self) -> list[int]:
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == self.proc.pid:
                pids.append(int(entry.name))
        return pids

    def rss(self) -> dict[int, tuple[float, float]]:
        """{worker pid: (VmHWM MB, VmRSS MB)}"""
        out = {}
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            values = dict(re.findall(r"^(VmHWM|VmRSS):\s+(\d+) kB", status, re.M))
            out[pid] = (int(values["VmHWM"]) / 1024, int(values["VmRSS"]) / 1024)
        return out

    def cpu_seconds(self) -> float:
        """User + system CPU time of all workers so far: what the server spent, whatever else runs."""
        total = 0
        for pid in self.worker_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # gunicorn: graceful shutdown of the master and its workers
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port: int, path: str, headers: dict | None = None) -> tuple[int, dict, bytes, float]:
    """One request on a new connection (gunicorn's sync workers close it after each response)."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("GET", path, headers={"Accept-Encoding": "gzip", **(headers or {})})
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, dict(resp.getheaders()), body, time.perf_counter() - started
    finally:
        conn.close()


# ---------------------------------------------------------------- wrk

@dataclass
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # socket errors and non-2xx/3xx answers
    cpu_us: float = 0.0  # the workers' CPU time per request


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


def wrk(url: str, *, duration: str, connections: int, threads: int, headers: list[str] = ()) -> WrkResult:
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}", "--latency", "-H", ACCEPT_GZIP]
    for header in headers:
        args += ["-H", header]
    out = subprocess.run(args + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    errors = 0
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors += int(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        # A read error is how wrk counts the sync worker closing the connection after a response.
        errors += int(m.group(1)) + int(m.group(3)) + int(m.group(4))
    return WrkResult(rps, p50, p99, requests, errors)


# ---------------------------------------------------------------- measurements

def cold_render(ds: DataSet, secret: str, samples: int) -> dict:
    """In process: the busiest live day's first page and the 50-entry latest feed, each rendered
    as the first request after a content change (through the app's test client, nothing cached).

    Before each sample the content version is raised and one small request (a missing day)
    rebuilds the worker's snapshot of the new version, so what is timed is the document's own
    queries and render, and the request around them.
    """
    from syndicate import create_app

    app = create_app({"DATABASE_URL": ds.url, "SECRET_KEY": secret, "SITE_URL": "http://127.0.0.1"})
    client = app.test_client()
    page = f"/stories/{ds.busiest}"
    timings: dict[str, list[float]] = {"page": [], "feed": [], "page_warm": []}
    sizes = {}
    for i in range(samples + 3):
        bump_version(ds.url)
        assert client.get("/archive/1900-01-01").status_code == 404
        for key, path in (("page", page), ("feed", "/feeds/latest.atom"), ("page_warm", page)):
            started = time.perf_counter()
            response = client.get(path)
            elapsed = (time.perf_counter() - started) * 1e3
            assert response.status_code == 200, f"{path}: {response.status_code}"
            sizes[key] = len(response.data)
            if i >= 3:
                timings[key].append(elapsed)
    _dispose(app)
    out = {f"{key}_ms": statistics.median(values) for key, values in timings.items()}
    out.update({f"{key}_bytes": size for key, size in sizes.items()})
    return out


def latency(server: Server, ds: DataSet, path: str, cold_samples: int, warm_samples: int) -> dict:
    """p50 of one document: cold (the first request after a content version bump) and warm."""
    cold = []
    for _ in range(cold_samples):
        bump_version(ds.url)
        status, _, body, seconds = get(server.port, path)
        assert status == 200, f"{path.split('?')[0]}: {status} (see {server.logfile})"
        cold.append(seconds * 1e3)
    for _ in range(4):
        get(server.port, path)
    warm = []
    for _ in range(warm_samples):
        status, _, body, seconds = get(server.port, path)
        assert status == 200, status
        warm.append(seconds * 1e3)
    return {"cold_ms": statistics.median(cold), "warm_ms": statistics.median(warm), "bytes": len(body)}


def scale_paths(ds: DataSet) -> dict[str, str]:
    """The documents compared at 10k and 1M entries: one members-only day, as a page and as a feed."""
    return {"day page": f"/archive/{ds.day}", "day feed": f"/archive/{ds.day}.atom?token={ds.token}"}


def archive_walk(server: Server, ds: DataSet, limit: int) -> dict:
    """A member's feed reader following prev-archive through the archive: every day document once."""
    days = ds.days[:limit]
    if not days:
        return {"days": 0}
    times, statuses, sizes = [], {}, []
    lock = threading.Lock()

    def one(day):
        status, _, body, seconds = get(server.port, f"/archive/{day}.atom?token={ds.token}")
        with lock:
            times.append(seconds * 1e3)
            statuses[status] = statuses.get(status, 0) + 1
            sizes.append(len(body))

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(one, days))
    return {"days": len(days), "p50_ms": statistics.median(times), "statuses": statuses,
            "mean_kb": statistics.mean(sizes) / 1024}


def missing_urls(server: Server, n: int) -> dict:
    """n distinct URLs that do not exist (days without coverage as pages and feeds, unknown stories),
    as a crawler or an attacker would ask for them; each must be a 404."""
    first = date(1900, 1, 1)
    paths = []
    for i in range(n):
        kind = i % 3
        if kind == 0:
            paths.append(f"/archive/{first + timedelta(days=i)}")
        elif kind == 1:
            paths.append(f"/archive/{first + timedelta(days=i)}.atom")
        else:
            paths.append(f"/stories/no-such-story-{i}")
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def client(part: list[str]) -> None:
        # One client connection each, reopened by http.client when the sync worker closes it.
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        try:
            for path in part:
                conn.request("GET", path, headers={"Accept-Encoding": "gzip"})
                response = conn.getresponse()
                response.read()
                with lock:
                    statuses[response.status] = statuses.get(response.status, 0) + 1
        finally:
            conn.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(client, [paths[0::2], paths[1::2]]))
    return {"urls": n, "statuses": statuses, "seconds": time.perf_counter() - started}


@dataclass
class Target:
    key: str
    label: str
    path: str
    headers: dict
    status: int
    edge: bool = False


def targets(ds: DataSet, etag: str, front=None) -> list[Target]:
    """What readers hit, at the origin and (anonymous, the documents a spike is made of) through the edge."""
    live, home, latest = f"/stories/{ds.busiest}", "/", "/feeds/latest.atom"
    found = [
        Target("live", f"live day page /stories/{ds.busiest} ({ds.busiest_entries} updates)", live, {}, 200),
        Target("home", "home page /", home, {}, 200),
        Target("article", f"article /stories/{ds.article}", f"/stories/{ds.article}", {}, 200),
        Target("day", f"archive day page /archive/{ds.days[1]}", f"/archive/{ds.days[1]}", {}, 200),
        Target("latest", "latest feed /feeds/latest.atom (200)", latest, {}, 200),
        Target("latest304", "latest feed /feeds/latest.atom (304)", latest, {"If-None-Match": etag}, 304),
        Target("member", f"member archive /archive/{ds.day}.atom?token=", f"/archive/{ds.day}.atom?token={ds.token}",
               {}, 200),
    ]
    if front is not None:
        found += [
            Target("edge_live", "edge: live day page", live, {}, 200, edge=True),
            Target("edge_home", "edge: home page", home, {}, 200, edge=True),
            Target("edge_latest", "edge: latest feed (200)", latest, {}, 200, edge=True),
        ]
    return found


def throughput(server: Server, ds: DataSet, args, front=None) -> dict:
    """req/s of every target, each as a ratio to /healthz at the origin measured just before and after it."""
    status, headers, body, _ = get(server.port, "/feeds/latest.atom")
    assert status == 200, f"/feeds/latest.atom: {status}"
    chosen = targets(ds, headers["ETag"], front)
    sizes = {}
    for t in chosen:
        port = front.port if t.edge else server.port
        got, answer_headers, answer, _ = get(port, t.path, t.headers)
        assert got == t.status, f"{t.path.split('?')[0]} with {list(t.headers)}: {got}, expected {t.status}"
        sizes[t.key] = len(answer)
    # The member's document is for members only.
    assert get(server.port, f"/archive/{ds.day}.atom")[0] == 401

    urls = {"floor": (server.base + "/healthz", [])}
    for t in chosen:
        base = front.base if t.edge else server.base
        urls[t.key] = (base + t.path, [f"{k}: {v}" for k, v in t.headers.items()])
    common = {"connections": args.connections, "threads": args.threads}
    log("[load] warming up")
    for url, hdrs in urls.values():
        wrk(url, duration=args.warmup, headers=hdrs, **common)
    results: dict[str, list[WrkResult]] = {k: [] for k in urls}
    ratios: dict[str, list[float]] = {k: [] for k in urls if k != "floor"}

    def measure(key: str, round_: int) -> WrkResult:
        url, hdrs = urls[key]
        cpu = server.cpu_seconds()
        result = wrk(url, duration=args.duration, headers=hdrs, **common)
        result.cpu_us = (server.cpu_seconds() - cpu) / max(result.requests, 1) * 1e6
        log(f"[load] round {round_ + 1}/{args.rounds} {key:11s} {result.rps:8.0f} req/s  "
            f"p50 {result.p50_ms:.2f} ms  p99 {result.p99_ms:.2f} ms  gunicorn CPU {result.cpu_us:.0f} us/req  "
            f"errors {result.errors}")
        results[key].append(result)
        return result

    order = list(ratios)
    for round_ in range(args.rounds):
        # Each URL runs between two floor runs and is compared with their mean, so a change in
        # what else the machine does shifts both sides of a ratio; the order rotates each round.
        before = measure("floor", round_)
        for key in order[round_ % len(order):] + order[:round_ % len(order)]:
            result = measure(key, round_)
            after = measure("floor", round_)
            ratios[key].append(result.rps / ((before.rps + after.rps) / 2))
            before = after
    best = {k: max(v, key=lambda r: r.rps) for k, v in results.items()}
    for k, v in results.items():
        best[k].cpu_us = min(r.cpu_us for r in v)
    return {"best": best, "ratios": ratios, "all": results, "sizes": sizes, "targets": chosen}


# ---------------------------------------------------------------- the table

def verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("PASS" if ok else "FAIL")


def print_table(rows: list[tuple[str, str, str, bool | None]], context: list[str]) -> None:
    headers = ("measurement", "value", "target", "result")
    widths = [max(len(str(r[i])) for r in rows + [headers]) for i in range(3)]
    line = "+-" + "-+-".join("-" * w for w in widths) + "-+--------+"
    print()
    for c in context:
        print(c)
    print(line)
    print("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths)) + " | result |")
    print(line)
    for name, value, target, ok in rows:
        print("| " + " | ".join(str(x).ljust(w) for x, w in zip((name, value, target), widths))
              + f" | {verdict(ok):6s} |")
    print(line)


# ---------------------------------------------------------------- main

def _code_version() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "syndicate", "wsgi.py", "gunicorn.conf.py",
                                "deploy"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        return head + (" + uncommitted changes" if dirty else "") if head else "unknown"
    except OSError:
        return "unknown"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=BASELINE,
                        help="entries in the data set under load (default 10000); above 10000 the day page and "
                             "feed latency are also compared with a 10000-entry set")
    parser.add_argument("--compare-entries", type=int, default=None,
                        help="also build a data set this large and compare its day latency with --entries")
    parser.add_argument("--duration", default="10s", help="wrk duration of each measured run (default 10s)")
    parser.add_argument("--warmup", default="2s", help="wrk duration of each URL's warm-up run (default 2s)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    parser.add_argument("--threads", type=int, default=1,
                        help="wrk threads (default 1: wrk shares the machine's cores with gunicorn)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds (default 3); in each, every URL runs between two floor runs")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--no-edge", action="store_true", help="leave out the runs through deploy/nginx.conf")
    parser.add_argument("--nginx-conf", type=Path, default=edge.CONF,
                        help="the front proxy configuration to run (default deploy/nginx.conf)")
    parser.add_argument("--cold-samples", type=int, default=21, help="cold requests per latency (default 21)")
    parser.add_argument("--warm-samples", type=int, default=200, help="warm requests per latency (default 200)")
    parser.add_argument("--archive-walk", type=int, default=1200,
                        help="day documents a member's reader fetches before memory is read (default 1200, 0: none)")
    parser.add_argument("--missing", type=int, default=MISSING_URLS,
                        help=f"distinct missing URLs asked for before memory is read (default {MISSING_URLS:,})")
    parser.add_argument("--database-url", help="build the data set under load here (an empty database, "
                                               "e.g. postgresql+psycopg://...) instead of a SQLite file")
    parser.add_argument("--compare-database-url", help="the same for the comparison data set")
    parser.add_argument("--data-dir", help="keep the SQLite data sets here and reuse them on the next run")
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        parser.error("wrk is not installed: apt-get install -y wrk")

    # Which data sets: the one under load, and the pair whose day latency is compared.
    small = large = None
    if args.compare_entries:
        small, large = args.entries, args.compare_entries
    elif args.entries > BASELINE:
        small, large = BASELINE, args.entries
    use_edge = not args.no_edge and edge.available(args.nginx_conf)
    if not args.no_edge and not use_edge:
        log(f"[warn] no edge runs: {args.nginx_conf} or {edge.NGINX} is missing")

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the servers below are stopped
    workdir = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="syndicate-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(32)
    started = time.perf_counter()
    load_start = Path("/proc/loadavg").read_text().split()[0]
    if float(load_start) > 0.5:
        log(f"[warn] load average {load_start}: something else is using the CPU; req/s will be skewed")
    with ExitStack() as running:
        def url_for(n: int, given: str | None) -> str:
            return given or f"sqlite:///{workdir / f'syndicate-bench-{n}.sqlite'}"

        if not args.data_dir:
            running.callback(shutil.rmtree, workdir, ignore_errors=True)
        main_ds = prepare(args.entries, url_for(args.entries, args.database_url), secret)
        other_ds = None
        if large is not None:
            other_n = small if large == args.entries else large
            other_ds = prepare(other_n, url_for(other_n, args.compare_database_url), secret)

        renders = {}
        for ds in filter(None, (main_ds, other_ds)):
            log(f"[render] cold: /stories/{ds.busiest} and the latest feed, in process ({ds.entries:,} entries)")
            renders[ds.entries] = cold_render(ds, secret, samples=args.cold_samples)

        with ExitStack() as serving:
            # Behind the edge the app trusts the one proxy in front of it, as deploy/nginx.conf asks.
            server = Server(main_ds, secret, args.workers, workdir,
                            {"SYNDICATE_TRUSTED_PROXIES": "1"} if use_edge else None)
            serving.callback(server.stop)
            front = None
            if use_edge:
                front = serving.enter_context(edge.Nginx(_free_port(), server.port, workdir / "nginx",
                                                         args.nginx_conf))
                log(f"[edge] nginx with {args.nginx_conf} on {front.base} in front of {server.base}")
            load = throughput(server, main_ds, args, front)
            rss_load = server.rss()
            latencies = {main_ds.entries: {}}
            for name, path in scale_paths(main_ds).items():
                log(f"[latency] {name}, cold and warm")
                latencies[main_ds.entries][name] = latency(server, main_ds, path, args.cold_samples,
                                                           args.warm_samples)
            walk = archive_walk(server, main_ds, args.archive_walk) if args.archive_walk else {"days": 0}
            log(f"[memory] {args.missing:,} distinct missing URLs")
            missing = missing_urls(server, args.missing) if args.missing else {"urls": 0}
            rss = server.rss()

        if other_ds is not None:
            with ExitStack() as serving:
                server = Server(other_ds, secret, args.workers, workdir)
                serving.callback(server.stop)
                for _ in range(20):
                    get(server.port, "/healthz")
                latencies[other_ds.entries] = {}
                for name, path in scale_paths(other_ds).items():
                    log(f"[latency] {name}, cold and warm ({other_ds.entries:,} entries)")
                    latencies[other_ds.entries][name] = latency(server, other_ds, path, args.cold_samples,
                                                                args.warm_samples)

    rows = table_rows(load, renders, latencies, main_ds, other_ds, rss_load, rss, walk, missing, use_edge)
    sizes = load["sizes"]
    context = [
        f"syndicate benchmark, code {_code_version()}: {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} CPUs, database {_safe(main_ds.url).split(':')[0]}, "
        f"gunicorn -w {args.workers} (sync), wrk -t{args.threads} -c{args.connections} -d{args.duration}"
        + (f", edge: nginx with {args.nginx_conf}" if use_edge else ", no edge"),
        f"req/s: the best of {args.rounds} rounds; 'x floor': the median over the rounds of each run against the mean "
        f"of the origin's /healthz runs just before and after it; [us CPU/req]: gunicorn's own CPU time per request "
        f"(hardly moved by other load; load average at start {load_start})",
        f"data set: {main_ds.entries:,} entries over {main_ds.info.get('days')} days; busiest live day "
        f"{main_ds.busiest} ({main_ds.busiest_entries} updates); member day {main_ds.day} "
        f"({main_ds.day_entries} entries)",
        "bytes as sent (gzip): " + ", ".join(f"{k} {v / 1024:.0f} KB" for k, v in sizes.items() if v),
    ]
    if walk["days"]:
        context.append(f"archive walk: {walk['days']:,} day documents, p50 {walk['p50_ms']:.1f} ms, "
                       f"mean {walk['mean_kb']:.0f} KB, statuses {walk['statuses']}")
    if missing["urls"]:
        context.append(f"missing URLs: {missing['urls']:,} in {missing['seconds']:.0f} s, statuses {missing['statuses']}")
    context.append(f"total run time {time.perf_counter() - started:.0f} s")
    print_table(rows, context)
    if other_ds is None:
        print("Day latency at 10k vs 1M entries: python benchmarks/run.py --entries 1000000")
    return 1 if any(ok is False for *_, ok in rows) else 0


def table_rows(load, renders, latencies, main_ds, other_ds, rss_load, rss, walk, missing, use_edge) -> list:
    best, ratios, floor = load["best"], load["ratios"], load["best"]["floor"]
    rows = [("origin /healthz (the floor, no database)",
             f"{floor.rps:,.0f} req/s [{floor.cpu_us:.0f} us CPU/req]", "the floor", None)]
    for t in load["targets"]:
        r = best[t.key]
        ratio = statistics.median(ratios[t.key])
        errors = sum(x.errors for x in load["all"][t.key])
        target = TARGETS["edge"] if t.edge else TARGETS[t.key]
        note = f" ({errors} errors)" if errors else ""
        cpu = f"[{r.cpu_us:.0f} us CPU/req]" if not t.edge else f"[gunicorn {r.cpu_us:.0f} us/req]"
        rows.append((("" if t.edge else "origin: ") + t.label, f"{r.rps:,.0f} req/s = {ratio:.2f} x floor {cpu}{note}",
                     f">= {target:g} x floor" if target else "(reported)",
                     (ratio >= target and errors == 0) if target else None))
    if not use_edge:
        rows.append(("edge: anonymous live day, home, latest feed", "not measured (no deploy/nginx.conf)",
                     f">= {TARGETS['edge']:g} x floor", None))
    for n, render in sorted(renders.items()):
        # The live page links every day of its series, so its size follows the archive's length.
        rows.append((f"cold render in process: /stories/{main_ds.busiest} page 1, {n:,} entries",
                     f"{render['page_ms']:.1f} ms p50, {render['page_bytes'] / 1024:.0f} KB of HTML "
                     f"(warm {render['page_warm_ms']:.1f} ms)", f"<= {TARGETS['cold_ms']:g} ms",
                     render["page_ms"] <= TARGETS["cold_ms"]))
        rows.append((f"cold render in process: latest feed (50 entries), {n:,} entries",
                     f"{render['feed_ms']:.1f} ms p50", "(reported)", None))
    sizes = sorted(latencies)
    for n in sizes:
        for name, lat in latencies[n].items():
            rows.append((f"{name} p50, {n:,} entries, cold / warm", f"{lat['cold_ms']:.1f} / {lat['warm_ms']:.1f} ms",
                         "(reported)", None))
    if len(sizes) == 2:
        assert main_ds.day == other_ds.day, "the compared data sets must measure the same day"
        lo, hi = (latencies[n] for n in sizes)
        for name in lo:
            for kind in ("cold", "warm"):
                ratio = hi[name][f"{kind}_ms"] / lo[name][f"{kind}_ms"]
                rows.append((f"{name} {kind} latency, {sizes[1]:,} vs {sizes[0]:,} entries", f"{ratio:.2f} x",
                             f"<= {TARGETS['scale']:.2f} x", ratio <= TARGETS["scale"]))
    else:
        rows.append(("day page latency, 1,000,000 vs 10,000 entries", "not measured: add --entries 1000000",
                     f"<= {TARGETS['scale']:.2f} x", None))
    peak_load = max(h for h, _ in rss_load.values())
    rows.append(("peak RSS per worker after the load", f"{peak_load:.0f} MB", "(reported)", None))
    peak = max(h for h, _ in rss.values())
    now = max(r for _, r in rss.values())
    rows.append((f"memory per worker after {walk['days']:,} archive days + {missing['urls']:,} missing URLs",
                 f"peak {peak:.0f} MB (now {now:.0f} MB)", f"<= {TARGETS['rss_mb']:.0f} MB",
                 peak <= TARGETS["rss_mb"]))
    return rows


if __name__ == "__main__":
    sys.exit(main())
