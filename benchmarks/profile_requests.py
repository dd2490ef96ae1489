#!/usr/bin/env python
"""Where a request's time goes, in process (no gunicorn, no wrk, no network).

    python benchmarks/profile_requests.py [--entries 10000] [--data-dir DIR] [--profile latest]

Calls the WSGI app directly, so the numbers are the application's own cost per
request: the benchmark URLs, then the pieces they are made of (the per-request
content-version read, the member-token check, an empty app context), and with
--profile a cProfile of one URL, sorted by own time.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run  # noqa: E402


def per_call_us(fn, n: int, repeat: int = 5) -> float:
    """Best of `repeat` means over n calls, in microseconds."""
    for _ in range(min(n, 200)):
        fn()
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - started) / n)
    return best * 1e6


def wsgi_caller(app, path: str, headers: dict | None = None):
    from werkzeug.test import EnvironBuilder

    builder = EnvironBuilder(path=path, headers=headers or {}, base_url="http://127.0.0.1:8000")
    template = builder.get_environ()
    builder.close()
    status = []

    def start_response(s, h, exc_info=None):
        status.append(s)

    def call():
        environ = dict(template)
        environ["wsgi.input"] = io.BytesIO(b"")
        body = app(environ, start_response)
        for _ in body:
            pass
        if hasattr(body, "close"):
            body.close()
        return status.pop()

    return call


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--database-url")
    parser.add_argument("--data-dir", help="reuse (or keep) the SQLite data set here, as run.py --data-dir does")
    parser.add_argument("-n", type=int, default=2000, help="calls per timing (default 2000)")
    parser.add_argument("--profile", choices=["healthz", "latest", "latest304", "member", "live", "home"],
                        help="also print a cProfile of this URL")
    args = parser.parse_args(argv)

    workdir = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="syndicate-prof-"))
    workdir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(32)
    try:
        url = args.database_url or f"sqlite:///{workdir / f'syndicate-bench-{args.entries}.sqlite'}"
        ds = run.prepare(args.entries, url, secret)

        from syndicate import create_app
        from syndicate.members.auth import current_reader
        from syndicate.content import pulse
        from syndicate.members.tokens import read_feed_token

        app = create_app({"DATABASE_URL": ds.url, "SECRET_KEY": secret, "SITE_URL": "http://127.0.0.1:8000"})
        latest = wsgi_caller(app, "/feeds/latest.atom")
        latest()
        with app.test_client() as client:
            etag = client.get("/feeds/latest.atom").headers["ETag"]
        urls = {
            "healthz": wsgi_caller(app, "/healthz"),
            "latest": latest,
            "latest304": wsgi_caller(app, "/feeds/latest.atom", {"If-None-Match": etag}),
            "member": wsgi_caller(app, f"/archive/{ds.day}.atom?token={ds.token}"),
            "live": wsgi_caller(app, f"/stories/{ds.busiest}", {"Accept-Encoding": "gzip"}),
            "home": wsgi_caller(app, "/", {"Accept-Encoding": "gzip"}),
        }
        expected = {"healthz": "200", "latest": "200", "latest304": "304", "member": "200", "live": "200",
                    "home": "200"}
        print(f"{ds.entries:,} entries, {ds.url.split(':')[0]}; microseconds per call, in process, best of 5 x {args.n}")
        floor = None
        for name, call in urls.items():
            got = call()
            assert got.startswith(expected[name]), (name, got)
            us = per_call_us(call, args.n)
            floor = floor or us
            print(f"  request {name:10s} {us:8.0f} us   (+{us - floor:.0f} us over /healthz)")

        def in_app_context(fn):
            def call():
                with app.app_context():
                    fn()
            return call

        def in_request(path, fn):
            def call():
                with app.test_request_context(path):
                    fn()
            return call

        empty_app = per_call_us(in_app_context(lambda: None), args.n)
        empty_req = per_call_us(in_request("/", lambda: None), args.n)
        parts = [
            ("content version read (pulse: one statement on the request's session)",
             per_call_us(in_request("/", pulse.read), args.n) - empty_req),
            ("member token: signature only (itsdangerous)",
             per_call_us(in_request("/", lambda: read_feed_token(ds.token)), args.n) - empty_req),
            ("member token: signature + member standing (current_reader)",
             per_call_us(in_request(f"/?token={ds.token}", current_reader), args.n) - empty_req),
            ("anonymous current_reader() (opens the cookie session)",
             per_call_us(in_request("/", current_reader), args.n) - empty_req),
            ("empty app context push/pop", empty_app),
            ("empty test request context push/pop", empty_req),
        ]
        print("pieces (each net of an empty context):")
        for label, us in parts:
            print(f"  {label:58s} {us:8.0f} us")

        print("one request, instrumented (mean us per request; nested rows are part of the row above):")
        for name, call in urls.items():
            report = instrumented(app, call, args.n)
            print(f"  {name}: " + ", ".join(f"{label} {us:.0f}" for label, us in report))

        if args.profile:
            profiler = cProfile.Profile()
            call = urls[args.profile]
            profiler.enable()
            for _ in range(args.n):
                call()
            profiler.disable()
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats("tottime").print_stats(30)
            stats.sort_stats("cumulative").print_stats(40)
            print(out.getvalue())
    finally:
        if not args.data_dir:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


def instrumented(app, call, n: int) -> list[tuple[str, float]]:
    """Wrap the parts of a request in timers (about 1 us each) and attribute its time to them."""
    import functools

    from syndicate import documents
    from syndicate.content import state
    from syndicate.feeds import views
    from syndicate.members import auth

    spent: dict[str, float] = {}

    def timed(label, fn):
        @functools.wraps(fn)
        def wrapper(*a, **kw):
            started = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - started
        return wrapper

    patches = [
        (views, "_serve", "feed view"),
        (views, "current_reader", "  reader (token check)"),
        (auth, "_standing_ok", "    member standing"),
        (state.pulse, "read", "  pulse read"),
        (state, "_build", "  snapshot rebuild"),
        (documents.DocumentCache, "get", "  document cache"),
    ]
    saved = []
    for owner, attr, label in patches:
        original = getattr(owner, attr)
        saved.append((owner, attr, original))
        setattr(owner, attr, timed(label, original))
    hooks = []
    for registry, kind in ((app.before_request_funcs, "before_request"), (app.after_request_funcs, "after_request"),
                           (app.teardown_appcontext_funcs, "teardown")):
        funcs = registry[None] if isinstance(registry, dict) else registry
        for i, fn in enumerate(list(funcs)):
            inner = getattr(fn, "func", fn)  # functools.partial
            owner = getattr(inner, "__self__", None)
            name = getattr(inner, "__qualname__", repr(inner))
            label = f"{kind} {type(owner).__name__ + '.' if owner is not None else ''}{name}"
            hooks.append((funcs, i, fn))
            funcs[i] = timed(label, fn)
    try:
        for _ in range(200):
            call()
        spent.clear()
        started = time.perf_counter()
        for _ in range(n):
            call()
        total = time.perf_counter() - started
    finally:
        for owner, attr, original in saved:
            setattr(owner, attr, original)
        for funcs, i, fn in hooks:
            funcs[i] = fn
    accounted = sum(v for k, v in spent.items() if not k.startswith(" "))
    rows = [("total", total)] + sorted(spent.items(), key=lambda kv: -kv[1] if not kv[0].startswith(" ") else 0)
    rows.append(("rest (Flask, Werkzeug, WSGI)", total - accounted))
    order = [label for _, _, label in patches]
    rows.sort(key=lambda kv: (0 if kv[0] == "total" else 1, order.index(kv[0]) if kv[0] in order else 99))
    return [(label, seconds / n * 1e6) for label, seconds in rows if seconds / n * 1e6 >= 0.5]


def _same_session(app, fn, n: int) -> float:
    """fn timed inside one app context: the session keeps its connection between calls."""
    with app.app_context():
        return per_call_us(fn, n)


if __name__ == "__main__":
    sys.exit(main())
