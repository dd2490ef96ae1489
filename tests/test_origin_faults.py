"""Faults at the origin: a PostgreSQL connection lost mid-request, a body that cannot be read, a SCRIPT_NAME
header, Retry-After on the right answers only, the Redis fallback said in the log, and /metrics that no
request can grow. Through the test client and a real gunicorn."""
from __future__ import annotations

import json
import logging
import os
import random
import re
import socket
import threading
import urllib.error
import urllib.request
import uuid
from urllib.parse import urlsplit

import pytest
from sqlalchemy import text

from conftest import TEST_DB_URL, last_line, make_config
from servers import Gunicorn, free_port, run_cli, wait_for
from syndicate import create_app
from syndicate.errors import RETRY_AFTER_SECONDS
from syndicate.extensions import db

pytestmark = pytest.mark.slow

needs_postgres = pytest.mark.skipif(not TEST_DB_URL, reason="SYNDICATE_TEST_DATABASE_URL is not set")
METRICS = {"Authorization": "Bearer metrics-secret"}


def editor_headers(app) -> dict:
    result = app.test_cli_runner().invoke(args=["editors", "add", "desk"])
    return {"Authorization": f"Bearer {last_line(result.output)}"}


def series(metrics_text: str) -> set[str]:
    """The series /metrics holds: each sample line's name and labels."""
    return {line.rsplit(" ", 1)[0] for line in metrics_text.splitlines() if line and not line.startswith("#")}


def random_method(rng: random.Random) -> str:
    return "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(rng.randint(3, 12)))


def random_path(rng: random.Random) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-_.~"
    return "/" + "/".join("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
                          for _ in range(rng.randint(1, 3)))


# --- metrics ----------------------------------------------------------------------------------------

def test_random_methods_and_paths_add_no_series(make_app):
    app = make_app(METRICS_TOKEN="metrics-secret")
    client = app.test_client()
    rng = random.Random(15)
    # Every kind of answer once, so the series it needs exist before counting.
    for method, path in [("GET", "/"), ("GET", "/nowhere"), ("QWERTYXYZ", "/"), ("QWERTYXYZ", "/nowhere"),
                         ("POST", "/nowhere"), ("DELETE", "/"), ("GET", "/metrics")]:
        client.open(path, method=method, headers=METRICS)
    before = series(client.get("/metrics", headers=METRICS).get_data(as_text=True))
    for _ in range(500):
        client.open(random_path(rng) if rng.random() < 0.5 else "/", method=random_method(rng))
    after = series(client.get("/metrics", headers=METRICS).get_data(as_text=True))
    assert after == before
    assert any('method="other"' in line for line in after)


# --- PostgreSQL: a connection lost while a request is under way ----------------------------------

def _terminate(pid: int) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(TEST_DB_URL)
    with psycopg.connect(host=url.host, port=url.port or 5432, user=url.username, password=url.password,
                         dbname=url.database, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def _lose_connection() -> None:
    """PostgreSQL ends this request's backend, as a restart or pg_terminate_backend would."""
    _terminate(db.session.execute(text("SELECT pg_backend_pid()")).scalar_one())


@needs_postgres
def test_a_connection_lost_after_the_view_is_one_503_and_recovers(make_app, caplog):
    app = make_app()
    lose = {"next": False}

    @app.after_request  # added last, so it runs first: the view has read everything, the request goes on
    def _lose_after_view(response):
        if lose.pop("next", False):
            _lose_connection()
        return response

    editor = editor_headers(app)
    client = app.test_client()
    assert client.post("/api/stories", json={"title": "Before", "slug": "before"}, headers=editor).status_code == 201

    with caplog.at_level(logging.WARNING):
        lose["next"] = True
        failed = client.get("/stories/before")
        again = client.get("/stories/before")
    assert failed.status_code == 503 and failed.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert again.status_code == 200  # recovered by itself
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 1 and "database unavailable" in lines[0].getMessage()
    assert lines[0].exc_info is None and "Traceback" not in caplog.text


@needs_postgres
def test_a_connection_lost_after_the_answer_is_one_line_not_a_traceback(make_app, caplog):
    app = make_app()
    client = app.test_client()
    lose = {"next": False}

    def _read_then_lose(response):  # the very last hook: the answer is made, a read is left open
        if lose.pop("next", False):
            _lose_connection()
        return response

    app.after_request_funcs.setdefault(None, []).insert(0, _read_then_lose)
    with caplog.at_level(logging.WARNING):
        lose["next"] = True
        answer = client.get("/")  # raised from the teardown before: a 500 and a traceback under gunicorn
        again = client.get("/")
    assert answer.status_code == 200 and again.status_code == 200
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 1 and "database connection lost as a request or task ended" in lines[0].getMessage()
    assert lines[0].exc_info is None and "Traceback" not in caplog.text


def _status(url: str, data: bytes | None = None, headers: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as exc:
        exc.read()
        return exc.code, dict(exc.headers)


@needs_postgres
def test_backends_terminated_under_load_never_give_500(database_url, tmp_path):
    """Readers and a writer through gunicorn while PostgreSQL's backends are terminated again and again:
    answers are 200/201 or 503 with Retry-After, and gunicorn's error log holds no traceback."""
    env = {"SYNDICATE_DATABASE_URL": database_url, "SYNDICATE_SECRET_KEY": "faults-test"}
    with Gunicorn(env, workers=2, log_dir=tmp_path) as server:
        editor = {"Authorization": "Bearer " + last_line(run_cli(server.env, "editors", "add", "desk")),
                  "Content-Type": "application/json"}
        assert _status(server.url + "/api/stories", json.dumps({"title": "Load", "slug": "load"}).encode(),
                       editor)[0] == 201
        answers: list[tuple[int, dict]] = []
        done = threading.Event()

        def read():
            while not done.is_set():
                answers.append(_status(server.url + "/stories/load"))

        def write():
            n = 0
            while not done.is_set():
                n += 1
                body = json.dumps({"headline": f"Update {n}", "body_text": "Still here."}).encode()
                answers.append(_status(server.url + "/api/stories/load/entries", body, editor))

        def kill():
            import psycopg
            from sqlalchemy.engine import make_url

            url = make_url(database_url)
            with psycopg.connect(host=url.host, port=url.port or 5432, user=url.username, dbname=url.database,
                                 autocommit=True) as admin:
                while not done.wait(0.1):
                    admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE datname = current_database() AND pid <> pg_backend_pid()")

        threads = [threading.Thread(target=f, daemon=True) for f in (read, read, read, write, kill)]
        for thread in threads:
            thread.start()
        wait_for(lambda: len(answers) >= 800, timeout=120, what="800 answers under terminations")
        done.set()
        for thread in threads:
            thread.join(30)
        statuses = [status for status, _ in answers]
        assert set(statuses) <= {200, 201, 503}, sorted(set(statuses))
        assert all(headers.get("Retry-After") == str(RETRY_AFTER_SECONDS)
                   for status, headers in answers if status == 503)
        assert statuses.count(503) > 0  # the faults were real
        assert _status(server.url + "/stories/load")[0] == 200
    assert "Traceback" not in server.error_log.read_text()


# --- Retry-After: ours on a 503, the limiter's on a 429, none on a 200 ------------------------------

def test_retry_after_only_where_it_means_something(make_app, tmp_path):
    app = make_app(SIGNIN_RATE_LIMIT="2 per minute")
    client = app.test_client()
    answers = [client.post("/signin", data={"email": "a@example.org"}) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert "Retry-After" not in answers[0].headers and "Retry-After" not in answers[1].headers
    assert 0 < int(answers[2].headers["Retry-After"]) <= 60

    # The database unreachable on a rate-limited route: our Retry-After, not the limiter's window.
    down = create_app(make_config(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing",
                                  WTF_CSRF_ENABLED=False, DB_STATEMENT_TIMEOUT=2),
                      instance_path=str(tmp_path / "down"))
    try:
        response = down.test_client().post("/signin", data={"email": "a@example.org"})
        assert response.status_code == 503 and response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
        assert response.headers.getlist("Retry-After") == [str(RETRY_AFTER_SECONDS)]
    finally:
        with down.app_context():
            db.engine.dispose()


# --- the Redis fallback, said when it starts and when it ends -----------------------------------------

REDIS_URL = os.environ.get("SYNDICATE_TEST_REDIS_URL")


class Forwarder:
    """Forwards a loopback port to Redis from the moment it is made: Redis "comes back" on a dead port."""

    def __init__(self, port: int, target: tuple[str, int]):
        self.target = target
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen(16)
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target, timeout=5)
            upstream.settimeout(None)
            self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self.listener.close()
        for s in self.sockets:
            s.close()


@pytest.mark.skipif(not REDIS_URL, reason="SYNDICATE_TEST_REDIS_URL is not set")
def test_redis_fallback_logs_one_line_when_it_starts_and_one_when_it_ends(make_app, caplog):
    port = free_port()  # nothing listens yet: Redis is down
    redis = urlsplit(REDIS_URL)
    app = make_app(RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{port}{redis.path}", SIGNIN_RATE_LIMIT="50 per minute",
                   RATELIMIT_KEY_PREFIX=f"syndicate-test-{uuid.uuid4().hex}")
    client = app.test_client()
    started = lambda: [r for r in caplog.records if "unreachable" in r.getMessage()]  # noqa: E731
    ended = lambda: [r for r in caplog.records if "reachable again" in r.getMessage()]  # noqa: E731
    with caplog.at_level(logging.INFO):
        assert [client.post("/signin", data={"email": "a@example.org"}).status_code for _ in range(3)] == [200] * 3
        assert len(started()) == 1 and not ended()
        forwarder = Forwarder(port, (redis.hostname, redis.port or 6379))
        try:
            # Flask-Limiter looks again after growing pauses (1 s, 2 s, 4 s, ...): ask until it has.
            wait_for(lambda: client.get("/signin").status_code == 200 and ended(), timeout=90, interval=0.5,
                     what="the fallback to end")
            assert client.post("/signin", data={"email": "a@example.org"}).status_code == 200
        finally:
            forwarder.close()
    assert len(started()) == 1 and len(ended()) == 1
    assert all(r.exc_info is None for r in started() + ended())


# --- through gunicorn: chunked bodies, SCRIPT_NAME, methods -----------------------------------------

def raw(port: int, request: bytes) -> tuple[int, bytes]:
    """Send bytes as they are; the status and body of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):  # each request says Connection: close
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


@pytest.fixture
def gunicorn(database_url, tmp_path):
    env = {"SYNDICATE_DATABASE_URL": database_url, "SYNDICATE_SECRET_KEY": "faults-test",
           "SYNDICATE_METRICS_TOKEN": "metrics-secret"}
    # One worker: its document cache and its counters are the ones every request meets.
    with Gunicorn(env, workers=1, log_dir=tmp_path) as server:
        yield server


def test_a_malformed_chunked_body_is_400_on_every_route(gunicorn):
    editor = last_line(run_cli(gunicorn.env, "editors", "add", "desk"))
    for path, content_type, extra in [
        ("/signin", "application/x-www-form-urlencoded", ""),
        ("/join", "application/x-www-form-urlencoded", ""),
        ("/api/stories", "application/json", f"Authorization: Bearer {editor}\r\n"),
    ]:
        status, _ = raw(gunicorn.port, (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                                        f"Content-Type: {content_type}\r\n{extra}Transfer-Encoding: chunked\r\n\r\n"
                                        "ZZ\r\n").encode())
        assert status == 400, path
    assert "Traceback" not in gunicorn.error_log.read_text()


def test_a_script_name_header_changes_no_link_and_poisons_no_cache(gunicorn):
    editor = {"Authorization": "Bearer " + last_line(run_cli(gunicorn.env, "editors", "add", "desk")),
              "Content-Type": "application/json"}
    assert _status(gunicorn.url + "/api/stories", json.dumps({"title": "Links", "slug": "links"}).encode(),
                   editor)[0] == 201
    assert _status(gunicorn.url + "/api/stories/links/entries",
                   json.dumps({"headline": "An update", "body_text": "Text."}).encode(), editor)[0] == 201
    for path in ("/", "/stories/links", "/feeds/latest.atom", "/feeds/latest.json"):
        # Asked for as /poison/... with the header gunicorn used to trust from 127.0.0.1.
        status, body = raw(gunicorn.port, (f"GET /poison{path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                           "SCRIPT_NAME: /poison\r\nConnection: close\r\n\r\n").encode())
        assert b"/poison" not in body, path
        with urllib.request.urlopen(gunicorn.url + path, timeout=15) as response:  # what everyone else gets
            page = response.read().decode()
        assert "/poison" not in page and "/stories/links" in page, path


def test_random_methods_through_gunicorn_add_no_series(gunicorn):
    def scrape() -> set[str]:
        request = urllib.request.Request(gunicorn.url + "/metrics", headers=METRICS)
        with urllib.request.urlopen(request, timeout=15) as response:
            return series(response.read().decode())

    def ask(method: str, path: str) -> None:
        raw(gunicorn.port, f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())

    for method, path in [("GET", "/"), ("GET", "/nowhere"), ("QWERTYXYZ", "/"), ("QWERTYXYZ", "/nowhere")]:
        ask(method, path)
    scrape()  # a scrape counts itself too
    before = scrape()
    rng = random.Random(5)
    for _ in range(200):
        ask(random_method(rng), random_path(rng) if rng.random() < 0.5 else "/")
    assert scrape() == before
    assert not re.search(r'method="(?!GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS|other)', "\n".join(before))
