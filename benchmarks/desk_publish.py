"""Publishing from the web desk against publishing through the API, seen on the live page through the edge.

    python benchmarks/desk_publish.py [--updates 40] [--existing 300]

Serves a fresh SQLite newsroom with `gunicorn -w 2` behind deploy/nginx.conf (benchmarks/edge.py),
signs an editor in at the desk, and times, for each update, from the moment the editor's form is
sent (the click: the POST of the compose form, CSRF token and idempotency key included) or the
API call is made, until the update is on the live page as fetched through the edge:

- by the editor, whose `signed_in` cookie passes the edge's cache (what the editor sees), and
- by an anonymous reader, whom the edge answers from its cache (what readers see: it adds up to
  SYNDICATE_SHARED_CACHE_SECONDS + 1 s by design).

It prints p50 and p90 of each. The live day holds --existing updates before the run, so every
publish costs what it costs on a busy day: the page re-rendered at its new content version.
Not run by CI; needs nginx (Debian's nginx-light).
"""
from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import edge

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from servers import Gunicorn, free_port  # noqa: E402

SECRET = "desk-benchmark-secret"


def cli(env: dict, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "syndicate.cli", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


def hidden_fields(page: str) -> dict[str, str]:
    import html

    return {name: html.unescape(value)
            for name, value in re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', page)}


class Browser:
    """Cookies and form posts, as the editor's browser sends them (no redirects followed)."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()

        class Stay(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), Stay)

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as answer:
            return answer.read().decode()

    def post(self, path: str, fields: dict) -> int:
        data = urllib.parse.urlencode(fields).encode()
        try:
            with self.opener.open(urllib.request.Request(self.base + path, data=data), timeout=30) as answer:
                return answer.status
        except urllib.error.HTTPError as exc:
            exc.close()
            return exc.code


def signin_link(env: dict, email: str) -> str:
    """The desk's sign-in link for the editor, made with the site's key (the mail itself is not read)."""
    os.environ.update({k: v for k, v in env.items() if k.startswith("SYNDICATE_")})
    from syndicate import create_app
    from syndicate.desk import auth
    from syndicate.extensions import db
    from syndicate.models import Editor

    app = create_app()
    with app.app_context():
        editor = db.session.scalar(db.select(Editor).where(Editor.email == email))
        token = auth.make_token(editor)
        db.engine.dispose()
    return f"/desk/signin/{token}"


def seen_within(fetch, headline: str, deadline: float = 15.0) -> float:
    """Seconds until `fetch()` returns a page that holds the headline."""
    started = time.perf_counter()
    while time.perf_counter() - started < deadline:
        if headline in fetch():
            return time.perf_counter() - started
        time.sleep(0.01)
    raise RuntimeError(f"{headline!r} not seen within {deadline} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=40, help="updates published each way (default 40)")
    parser.add_argument("--existing", type=int, default=300, help="updates on the live day before (default 300)")
    args = parser.parse_args()
    if not edge.available():
        sys.exit("needs nginx (apt-get install nginx-light)")

    work = Path(tempfile.mkdtemp(prefix="desk-bench-"))
    edge_port = free_port()
    site = f"http://127.0.0.1:{edge_port}"
    env = {**os.environ, "SYNDICATE_DATABASE_URL": f"sqlite:///{work}/desk.sqlite", "SYNDICATE_SECRET_KEY": SECRET,
           "SYNDICATE_SITE_URL": site, "SYNDICATE_TRUSTED_PROXIES": "1", "SYNDICATE_API_RATE_LIMIT": "100000 per minute"}
    cli(env, "init")
    token = cli(env, "editors", "add", "bench desk", "--email", "desk@bench.example")
    api_headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    with Gunicorn(env, workers=2, log_dir=work) as origin, edge.Nginx(edge_port, origin.port, work / "nginx"):
        def api(path: str, body: dict) -> dict:
            request = urllib.request.Request(site + path, data=json.dumps(body).encode(), headers=api_headers)
            with urllib.request.urlopen(request, timeout=30) as answer:
                return json.loads(answer.read())

        api("/api/stories", {"title": "Live updates: benchmark day", "slug": "bench-day"})
        for n in range(args.existing):
            api("/api/stories/bench-day/entries", {"headline": f"Earlier update {n}", "body_text": "Words. " * 60})

        editor = Browser(site)
        link = signin_link(env, "desk@bench.example")
        assert editor.post(link, hidden_fields(editor.get(link))) == 303, "desk sign-in failed"

        def reader_page() -> str:
            with urllib.request.urlopen(site + "/stories/bench-day", timeout=30) as answer:
                return answer.read().decode()

        timings: dict[str, dict[str, list[float]]] = {"desk": {"editor": [], "reader": []},
                                                       "api": {"editor": [], "reader": []}}
        for n in range(args.updates):
            for way in ("desk", "api"):
                headline = f"{way} update {n} {time.monotonic_ns()}"
                compose = hidden_fields(editor.get("/desk/stories/bench-day"))  # the form as the editor opened it
                started = time.perf_counter()
                if way == "desk":
                    status = editor.post("/desk/stories/bench-day/entries", {
                        **compose, "headline": headline, "body": "A new development. " * 30, "syndicate": "on"})
                    assert status == 303, f"desk publish answered {status}"
                else:
                    api("/api/stories/bench-day/entries", {"headline": headline,
                                                           "body_text": "A new development. " * 30})
                sent = time.perf_counter() - started
                timings[way]["editor"].append(sent + seen_within(lambda: editor.get("/stories/bench-day"), headline))
                timings[way]["reader"].append(seen_within(reader_page, headline) + sent)

    def p(values: list[float], q: int) -> float:
        return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) > 1 else values[0] * 1000

    print(f"\n{args.updates} updates each way onto a live day of {args.existing}+ updates, through deploy/nginx.conf")
    print(f"{'publish':<8}{'seen by':<10}{'p50 ms':>10}{'p90 ms':>10}")
    for way in ("desk", "api"):
        for who in ("editor", "reader"):
            print(f"{way:<8}{who:<10}{p(timings[way][who], 50):>10.1f}{p(timings[way][who], 90):>10.1f}")
    ratio = statistics.median(timings["desk"]["editor"]) / statistics.median(timings["api"]["editor"])
    print(f"desk / API, as the editor sees it (p50): {ratio:.2f}x")


if __name__ == "__main__":
    main()
