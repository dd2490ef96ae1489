"""Two gunicorn workers: a change made through one is seen by both on the next request,
and the access log never holds a member token."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from conftest import last_line
from servers import ROOT, Gunicorn, free_port, wait_for

pytestmark = pytest.mark.slow


def wait_until_serving(base: str, what: str) -> None:
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1).read()
            return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"{what} did not start serving")


@pytest.fixture
def server(database_url, tmp_path):
    env = {"SYNDICATE_DATABASE_URL": database_url, "SYNDICATE_SECRET_KEY": "workers-test"}
    with Gunicorn(env, workers=2, log_dir=tmp_path) as gunicorn:
        yield gunicorn.url, gunicorn.env, gunicorn.access_log


def cli(env, *args) -> str:
    result = subprocess.run([sys.executable, "-m", "syndicate.cli", *args], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def call(base, path, *, data=None, token=None, method=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_changes_reach_every_worker_on_the_next_request(server):
    import json

    base, env, _ = server
    editor = last_line(cli(env, "editors", "add", "desk"))
    call(base, "/api/stories", data=json.dumps({"title": "Live", "slug": "live"}).encode(), token=editor)
    status, body = call(base, "/api/stories/live/entries", token=editor,
                        data=json.dumps({"headline": "First", "body_text": "x"}).encode())
    assert status == 201
    entry_id = json.loads(body)["id"]
    for _ in range(30):  # both workers render and cache the feed
        assert "First" in call(base, "/feeds/latest.atom")[1]

    call(base, "/api/stories/live/entries", token=editor, data=json.dumps({"headline": "Second", "body_text": "y"}).encode())
    assert all("Second" in call(base, "/feeds/latest.atom")[1] for _ in range(30))

    status, _ = call(base, f"/api/entries/{entry_id}/withdraw", token=editor,
                     data=json.dumps({"reason": "source safety"}).encode())
    assert status == 200
    for path in ["/feeds/latest.atom", "/feeds/latest.json", "/stories/live/feed.rss", "/stories/live"] * 10:
        assert "First" not in call(base, path)[1]

    cli(env, "naming-note", "set", "Changed from the command line.")
    cli(env, "regions", "add", "zone", "--covered")
    cli(env, "regions", "add", "zone", "--name", "Zone")  # a CLI change bumps the version too
    assert len({call(base, "/feeds/latest.json")[1] for _ in range(20)}) == 1


def test_tokens_never_reach_the_access_log(server):
    base, env, access_log = server
    token = last_line(cli(env, "members", "comp", "reader@example.org"))
    assert call(base, f"/feeds/latest.atom?token={token}")[0] == 200
    assert call(base, f"/feeds/latest.rss?format=x&token={token}&x=1")[0] == 200
    wait_for(lambda: "/feeds/latest.rss?format=x" in access_log.read_text(), what="the access log line")
    log = access_log.read_text()
    assert "/feeds/latest.atom?token=[scrubbed]" in log
    assert token not in log


def test_secrets_never_reach_the_access_log_in_any_form(server):
    """A token as the Basic user, a percent-encoded parameter name, an API key, a sign-in link, a referer;
    and a path that tries to write a line of its own."""
    import base64

    base, env, access_log = server
    token = last_line(cli(env, "members", "comp", "reader@example.org"))
    key = last_line(cli(env, "partners", "add", "P"))
    basic = base64.b64encode(f"{token}:".encode()).decode()
    requests = [
        ("/feeds/latest.atom", {"Authorization": f"Basic {basic}"}),
        (f"/feeds/latest.atom?tok%65n={token}", {}),
        (f"/syndication/entries.json?api_key={key}", {}),
        (f"/sign%69n/{token}", {}),
        ("/feeds/latest.atom", {"Referer": f"{base}/feeds/latest.atom?token={token}"}),
        ("/stories/x%0D%0A[fake%20line]%00", {}),
        ("/healthz?marker=last", {}),
    ]
    for path, headers in requests:
        try:
            urllib.request.urlopen(urllib.request.Request(base + path, headers=headers), timeout=10).read()
        except urllib.error.HTTPError:
            pass
    wait_for(lambda: "marker=last" in access_log.read_text(), what="the last access log line")
    log = access_log.read_text()
    assert token not in log and key not in log
    assert all(not line.startswith("[fake") for line in log.splitlines())
    assert log.count("[scrubbed]") >= 5


def test_demo_serves_and_its_log_holds_no_token(database_url, tmp_path):
    """The README's first command: `syndicate demo` loads the newsroom and serves it."""
    port = free_port()
    env = {**os.environ, "SYNDICATE_DATABASE_URL": database_url, "SYNDICATE_SECRET_KEY": "demo-test"}
    log = tmp_path / "demo.log"
    with log.open("w") as sink:
        process = subprocess.Popen([sys.executable, "-m", "syndicate.cli", "demo", "--port", str(port)],
                                   cwd=tmp_path, env=env, stdout=sink, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, "syndicate demo")
        status, home = call(base, "/")
        assert status == 200 and "Live updates" in home
        token = last_line(cli(env, "members", "comp", "demo-reader@example.org"))
        assert call(base, f"/feeds/latest.json?token={token}")[0] == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
    text = log.read_text()
    assert "/feeds/latest.json?token=[scrubbed]" in text and token not in text
