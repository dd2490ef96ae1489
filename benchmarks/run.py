#!/usr/bin/env python
"""Load and scale benchmark for syndicate (not run by CI; see benchmarks/README.md).

    python benchmarks/run.py                          # 10,000 entries, ~3 minutes
    python benchmarks/run.py --entries 1000000        # also builds 10,000 and compares day-feed latency

Builds a data set, serves it with `gunicorn -w 2` on 127.0.0.1, loads it with wrk
and prints one table: throughput of the feeds as a ratio to the framework floor
(/healthz) measured in the same run, the cold render time of a 50-entry feed,
day-feed latency at 10k vs 1M entries, and peak RSS per worker, each against
its target.
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
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import dataset  # noqa: E402

BASELINE = 10_000
ACCEPT_GZIP = "Accept-Encoding: gzip"  # what feed readers and aggregators send
MEMBER_EMAIL = "bench-member@example.org"

TARGETS = {
    "latest": 0.90,
    "latest304": 0.95,
    "member": 0.80,
    "scale": 1.25,
    "rss_mb": 150.0,
}


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
    def __init__(self, ds: DataSet, secret: str, workers: int, logdir: Path):
        self.ds = ds
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.logfile = logdir / f"gunicorn-{ds.entries}.log"
        env = base_env(secret)
        env.update({
            "SYNDICATE_DATABASE_URL": ds.url,
            "SYNDICATE_SITE_URL": self.base,
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
    """In process: build the 50-entry latest feed (queries + FeedDoc) and write it as Atom, nothing cached."""
    from syndicate import create_app
    from syndicate.access import ANONYMOUS
    from syndicate.content import state
    from syndicate.feeds import build, writers

    app = create_app({"DATABASE_URL": ds.url, "SECRET_KEY": secret, "SITE_URL": "http://127.0.0.1"})
    builds, renders, sizes = [], [], []
    for i in range(samples + 3):
        # A fresh request context each time: a fresh session, nothing in its identity map.
        with app.test_request_context("/feeds/latest.atom"):
            snap = state.snapshot()
            t0 = time.perf_counter()
            doc = build.latest(ANONYMOUS, snap)
            t1 = time.perf_counter()
            body = writers.render(doc, "atom")
            t2 = time.perf_counter()
        if i >= 3:
            builds.append((t1 - t0) * 1e3)
            renders.append((t2 - t1) * 1e3)
            sizes.append(len(doc.items))
    _dispose(app)
    return {
        "build_ms": statistics.median(builds), "render_ms": statistics.median(renders),
        "total_ms": statistics.median([b + r for b, r in zip(builds, renders)]),
        "items": max(sizes), "bytes": len(body),
    }


def day_latency(server: Server, ds: DataSet, cold_samples: int, warm_samples: int) -> dict:
    """p50 of one member's day document: cold (first request after a content version bump) and warm."""
    path = f"/archive/{ds.day}.atom?token={ds.token}"
    cold = []
    for _ in range(cold_samples):
        bump_version(ds.url)
        status, _, body, seconds = get(server.port, path)
        assert status == 200, f"{ds.day} for a member: {status} (see {server.logfile})"
        cold.append(seconds * 1e3)
    for _ in range(4):
        get(server.port, path)
    warm = []
    for _ in range(warm_samples):
        status, _, body, seconds = get(server.port, path)
        assert status == 200, status
        warm.append(seconds * 1e3)
    return {"cold_ms": statistics.median(cold), "warm_ms": statistics.median(warm), "bytes": len(body)}


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


def throughput(server: Server, ds: DataSet, args) -> dict:
    latest = "/feeds/latest.atom"
    member = f"/archive/{ds.day}.atom?token={ds.token}"
    status, headers, body, _ = get(server.port, latest)
    assert status == 200, f"{latest}: {status}"
    etag = headers["ETag"]
    checks = [
        (latest, {"If-None-Match": etag}, 304),
        (member, {}, 200),
        (f"/archive/{ds.day}.atom", {}, 401),  # the same document is for members only
    ]
    for path, hdrs, want in checks:
        got = get(server.port, path, hdrs)[0]
        assert got == want, f"{path.split('?')[0]} with {list(hdrs)}: {got}, expected {want}"

    urls = {
        "floor": (server.base + "/healthz", []),
        "latest": (server.base + latest, []),
        "latest304": (server.base + latest, [f"If-None-Match: {etag}"]),
        "member": (server.base + member, []),
    }
    common = {"connections": args.connections, "threads": args.threads}
    log("[load] warming up")
    for url, headers in urls.values():
        wrk(url, duration="2s", headers=headers, **common)
    results: dict[str, list[WrkResult]] = {k: [] for k in urls}
    ratios: dict[str, list[float]] = {k: [] for k in urls if k != "floor"}

    def measure(key: str, round_: int) -> WrkResult:
        url, headers = urls[key]
        cpu = server.cpu_seconds()
        result = wrk(url, duration=args.duration, headers=headers, **common)
        result.cpu_us = (server.cpu_seconds() - cpu) / max(result.requests, 1) * 1e6
        log(f"[load] round {round_ + 1}/{args.rounds} {key:9s} {result.rps:8.0f} req/s  "
            f"p50 {result.p50_ms:.2f} ms  p99 {result.p99_ms:.2f} ms  server CPU {result.cpu_us:.0f} us/req  "
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
    best["_ratios"] = ratios
    best["_all"] = results
    best["_sizes"] = {"latest": len(body), "member": len(get(server.port, member)[2])}
    return best


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
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "syndicate", "wsgi.py", "gunicorn.conf.py"],
                               cwd=ROOT, capture_output=True, text=True).stdout.strip()
        return head + (" + uncommitted changes in syndicate/" if dirty else "") if head else "unknown"
    except OSError:
        return "unknown"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=BASELINE,
                        help="entries in the data set under load (default 10000); above 10000 the day-feed "
                             "latency is also compared with a 10000-entry set")
    parser.add_argument("--compare-entries", type=int, default=None,
                        help="also build a data set this large and compare its day-feed latency with --entries")
    parser.add_argument("--duration", default="10s", help="wrk duration of each measured run (default 10s)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    parser.add_argument("--threads", type=int, default=1,
                        help="wrk threads (default 1: wrk shares the machine's cores with gunicorn)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds (default 3); in each, every URL runs between two floor runs")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--cold-samples", type=int, default=21, help="cold day-feed requests (default 21)")
    parser.add_argument("--warm-samples", type=int, default=200, help="warm day-feed requests (default 200)")
    parser.add_argument("--archive-walk", type=int, default=1200,
                        help="day documents a member's reader fetches before RSS is read (default 1200, 0: none)")
    parser.add_argument("--database-url", help="build the data set under load here (an empty database, "
                                               "e.g. postgresql+psycopg://...) instead of a SQLite file")
    parser.add_argument("--compare-database-url", help="the same for the comparison data set")
    parser.add_argument("--data-dir", help="keep the SQLite data sets here and reuse them on the next run")
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        parser.error("wrk is not installed: apt-get install -y wrk")

    # Which data sets: the one under load, and the pair whose day-feed latency is compared.
    small = large = None
    if args.compare_entries:
        small, large = args.entries, args.compare_entries
    elif args.entries > BASELINE:
        small, large = BASELINE, args.entries

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the servers below are stopped
    workdir = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="syndicate-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(32)
    started = time.perf_counter()
    load_start = Path("/proc/loadavg").read_text().split()[0]
    if float(load_start) > 0.5:
        log(f"[warn] load average {load_start}: something else is using the CPU; req/s will be skewed")
    servers: list[Server] = []
    try:
        def url_for(n: int, given: str | None) -> str:
            return given or f"sqlite:///{workdir / f'syndicate-bench-{n}.sqlite'}"

        main_ds = prepare(args.entries, url_for(args.entries, args.database_url), secret)
        other_ds = None
        if large is not None:
            other_n = small if large == args.entries else large
            other_ds = prepare(other_n, url_for(other_n, args.compare_database_url), secret)

        log("[render] cold 50-entry feed, in process")
        render = cold_render(main_ds, secret, samples=30)

        server = Server(main_ds, secret, args.workers, workdir)
        servers.append(server)
        load = throughput(server, main_ds, args)
        rss_load = server.rss()
        log("[latency] day feed, cold and warm")
        latency = {main_ds.entries: day_latency(server, main_ds, args.cold_samples, args.warm_samples)}
        walk = archive_walk(server, main_ds, args.archive_walk) if args.archive_walk else {"days": 0}
        rss = {main_ds.entries: server.rss()}
        server.stop()
        servers.remove(server)

        if other_ds is not None:
            server = Server(other_ds, secret, args.workers, workdir)
            servers.append(server)
            log(f"[latency] day feed, cold and warm ({other_ds.entries:,} entries)")
            for _ in range(20):
                get(server.port, "/healthz")
            latency[other_ds.entries] = day_latency(server, other_ds, args.cold_samples, args.warm_samples)
            rss[other_ds.entries] = server.rss()
            server.stop()
            servers.remove(server)
    finally:
        for server in servers:
            server.stop()
        if not args.data_dir:
            shutil.rmtree(workdir, ignore_errors=True)

    # ---- the table
    floor = load["floor"].rps
    rows = [("req/s /healthz (floor, no database)",
             f"{floor:,.0f} [{load['floor'].cpu_us:.0f} us CPU/req]", "the floor", None)]
    ratios = load["_ratios"]
    for key, label in (("latest", "req/s /feeds/latest.atom (200)"),
                       ("latest304", "req/s /feeds/latest.atom (304)"),
                       ("member", f"req/s /archive/{main_ds.day}.atom?token= (member)")):
        r = load[key]
        ratio = statistics.median(ratios[key])
        errors = sum(x.errors for x in load["_all"][key])
        ok = ratio >= TARGETS[key] and errors == 0
        note = f" ({errors} errors)" if errors else ""
        rows.append((label, f"{r.rps:,.0f}: {ratio:.2f} x floor [{r.cpu_us:.0f} us CPU/req = "
                            f"{load['floor'].cpu_us / r.cpu_us:.2f} x]{note}",
                     f">= {TARGETS[key]:.2f} x floor", ok))
    rows.append(("cold render, 50-entry latest feed (query+build / Atom write)",
                 f"{render['total_ms']:.1f} ms ({render['build_ms']:.1f} / {render['render_ms']:.1f})",
                 "(reported)", None))
    sizes = sorted(latency)
    for n in sizes:
        lat = latency[n]
        rows.append((f"day feed p50, {n:,} entries, cold / warm",
                     f"{lat['cold_ms']:.1f} / {lat['warm_ms']:.1f} ms", "(reported)", None))
    if len(sizes) == 2:
        assert main_ds.day == other_ds.day, "the compared data sets must measure the same day"
        lo, hi = (latency[n] for n in sizes)
        for kind in ("cold", "warm"):
            ratio = hi[f"{kind}_ms"] / lo[f"{kind}_ms"]
            rows.append((f"day feed {kind} latency, {sizes[1]:,} vs {sizes[0]:,} entries",
                         f"{ratio:.2f} x", f"<= {TARGETS['scale']:.2f} x", ratio <= TARGETS["scale"]))
    else:
        rows.append(("day feed latency, 1,000,000 vs 10,000 entries", "not measured: add --entries 1000000",
                     f"<= {TARGETS['scale']:.2f} x", None))
    peak_load = max(h for h, _ in rss_load.values())
    rows.append((f"peak RSS per worker after the wrk load ({main_ds.entries:,})", f"{peak_load:.0f} MB",
                 f"<= {TARGETS['rss_mb']:.0f} MB", peak_load <= TARGETS["rss_mb"]))
    for n in sizes:
        peak = max(h for h, _ in rss[n].values())
        what = (f"+ archive walk of {walk['days']:,} days" if n == main_ds.entries and walk["days"]
                else "+ day-feed requests")
        rows.append((f"peak RSS per worker, {n:,} entries ({what})", f"{peak:.0f} MB",
                     f"<= {TARGETS['rss_mb']:.0f} MB", peak <= TARGETS["rss_mb"]))

    context = [
        f"syndicate benchmark, code {_code_version()}: {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} CPUs, database {_safe(main_ds.url).split(':')[0]}, "
        f"gunicorn -w {args.workers} (sync), wrk -t{args.threads} -c{args.connections} -d{args.duration}",
        f"req/s: the best of {args.rounds} rounds; 'x floor': the median over the rounds of each run against the mean "
        f"of the /healthz runs just before and after it; [us CPU/req]: the workers' own CPU time per request "
        f"(hardly moved by other load; load average at start {load_start})",
        f"data set: {main_ds.entries:,} entries over {main_ds.info.get('days')} days; measured day "
        f"{main_ds.day} holds {main_ds.day_entries} entries (member document {load['_sizes']['member'] / 1024:.0f} KB "
        f"as sent, latest feed {load['_sizes']['latest'] / 1024:.0f} KB, {render['items']} entries)",
    ]
    if walk["days"]:
        context.append(f"archive walk: {walk['days']:,} day documents, p50 {walk['p50_ms']:.1f} ms, "
                       f"mean {walk['mean_kb']:.0f} KB, statuses {walk['statuses']}")
    context.append(f"total run time {time.perf_counter() - started:.0f} s")
    print_table(rows, context)
    if len(sizes) < 2:
        print("Day-feed latency at 10k vs 1M: python benchmarks/run.py --entries 1000000")
    return 1 if any(ok is False for *_, ok in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
