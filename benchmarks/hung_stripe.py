"""How long editors and readers wait while two Stripe calls hang: sync workers against gthread.

    python benchmarks/hung_stripe.py [--requests 12] [--stripe-timeout 7]

Serves a fresh SQLite newsroom with `gunicorn -w 2` from the project root (gunicorn.conf.py applies),
once with `-k sync --threads 1` (the old worker model) and once as gunicorn.conf.py sets it. Stripe is a
server that accepts connections and never answers (tests/servers.py HungServer), and two clients keep
one signed webhook each waiting on it the whole time (each call ends after SYNDICATE_STRIPE_TIMEOUT with
a 503, and is sent again at once). Meanwhile an editor sends, one after another, an API write (a new
update), an API read, a desk page and a reader's page, --requests in all; the script prints p50, p90
and the longest wait of each model. Not run by CI.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from servers import Gunicorn, HungServer, wait_for  # noqa: E402
from stripe_standin import sign  # noqa: E402

SECRET = "whsec_hung_benchmark"


def cli(env: dict, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "syndicate.cli", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


def ask(url: str, *, data: bytes | None = None, headers: dict | None = None, method: str | None = None) -> int:
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            answer.read()
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code


def keep_stripe_busy(base: str, stop: threading.Event, n: int) -> None:
    """Send a webhook that makes the app ask Stripe, again and again until stopped."""
    sent = 0
    while not stop.is_set():
        sent += 1
        event = {"id": f"evt_{n}_{sent}", "type": "customer.subscription.created", "created": 1,
                 "data": {"object": {"id": f"sub_{n}", "object": "subscription"}}}
        payload = json.dumps(event).encode()
        ask(base + "/stripe/webhook", data=payload,
            headers={"Content-Type": "application/json", "Stripe-Signature": sign(payload, SECRET)})


def measure(env: dict, args: tuple[str, ...], requests: int) -> list[float]:
    hung = HungServer()
    stop = threading.Event()
    env = {**env, "SYNDICATE_STRIPE_API_BASE": hung.url}
    try:
        with Gunicorn(env, workers=2, args=args) as server:
            token = cli(server.env, "editors", "add", f"bench-{time.monotonic_ns()}")
            editor = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            busy = [threading.Thread(target=keep_stripe_busy, args=(server.url, stop, n), daemon=True)
                    for n in range(2)]
            for thread in busy:
                thread.start()
            wait_for(lambda: hung.accepted >= 2, what="two Stripe calls to hang")
            steps = [
                lambda: ask(server.url + "/api/stories/live/entries", headers=editor, data=json.dumps(
                    {"headline": "While Stripe hangs", "body_text": "Still publishing."}).encode()),
                lambda: ask(server.url + "/api/entries/1", headers=editor),
                lambda: ask(server.url + "/desk/signin"),
                lambda: ask(server.url + "/stories/live"),
            ]
            waits = []
            for i in range(requests):
                started = time.perf_counter()
                status = steps[i % len(steps)]()
                waits.append(time.perf_counter() - started)
                assert status in (200, 201), status
            stop.set()
            hung.close()  # the hanging calls fail at once, so the workers can stop
            for thread in busy:
                thread.join(30)
            return waits
    finally:
        stop.set()
        hung.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=12)
    parser.add_argument("--stripe-timeout", type=float, default=7.0)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hung-stripe-") as tmp:
        env = {"SYNDICATE_DATABASE_URL": f"sqlite:///{tmp}/syndicate.sqlite", "SYNDICATE_SECRET_KEY": "bench",
               "SYNDICATE_STRIPE_SECRET_KEY": "sk_test_bench", "SYNDICATE_STRIPE_WEBHOOK_SECRET": SECRET,
               "SYNDICATE_STRIPE_TIMEOUT": json.dumps(options.stripe_timeout),
               "SYNDICATE_API_RATE_LIMIT": "10000 per minute"}
        import os

        full = {**os.environ, **env}
        cli(full, "init")
        token = cli(full, "editors", "add", "setup")
        with Gunicorn(env, workers=2) as server:
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            ask(server.url + "/api/stories", headers=headers,
                data=json.dumps({"title": "Live", "slug": "live", "kind": "live"}).encode())
            ask(server.url + "/api/stories/live/entries", headers=headers,
                data=json.dumps({"headline": "First", "body_text": "x"}).encode())
        print(f"two Stripe calls kept hanging (STRIPE_TIMEOUT {options.stripe_timeout:g} s), "
              f"{options.requests} editor and reader requests one after another, gunicorn -w 2")
        print(f"{'worker model':<28}{'p50 s':>8}{'p90 s':>8}{'max s':>8}")
        for name, args in [("sync (-k sync --threads 1)", ("-k", "sync", "--threads", "1")),
                           ("gunicorn.conf.py (gthread)", ())]:
            waits = sorted(measure(env, args, options.requests))
            p90 = waits[min(len(waits) - 1, round(0.9 * (len(waits) - 1)))]
            print(f"{name:<28}{statistics.median(waits):>8.3f}{p90:>8.3f}{waits[-1]:>8.3f}")


if __name__ == "__main__":
    main()
