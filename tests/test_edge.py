"""deploy/nginx.conf itself, in front of `gunicorn wsgi:app`: what readers get through the edge.

Anonymous pages and feeds come from nginx's cache; a withdrawal is gone within
SYNDICATE_SHARED_CACHE_SECONDS + 1 s; a member's document (session, Bearer, token=) is never
stored or given to anyone else; a reader holding only a CSRF cookie is still served from the
cache; and a foreign Host changes nothing that others get.
"""
from __future__ import annotations

import base64
import http.client
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

import nginx_site
from conftest import ago, member_token
from servers import free_port, wait_for

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.access("/usr/sbin/nginx", os.X_OK), reason="nginx is not installed (nginx-light)"),
]

ROOT = Path(__file__).resolve().parents[1]
NGINX = "/usr/sbin/nginx"
SHARED_SECONDS = 2  # SYNDICATE_SHARED_CACHE_SECONDS, said explicitly to the app below
MEMBERS_ONLY = "Only members read this sentence in full."


# --- the edge: gunicorn, and nginx with deploy/nginx.conf in front ------------------------------------

def _end_with_parent() -> None:
    """In the child: be sent SIGTERM if the test process dies before it could stop us (Linux)."""
    import ctypes
    import signal

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Server:
    """A server in a child process on a free loopback port: started until /healthz answers, then stopped."""

    name = "server"
    port: int
    error_log: Path

    def command(self) -> tuple[list[str], Path, dict | None]:
        raise NotImplementedError

    def __enter__(self):
        argv, cwd, env = self.command()
        self.process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        preexec_fn=_end_with_parent)
        try:
            wait_for(self._serving, timeout=30, what=self.name)
        except BaseException:
            self.__exit__()
            raise
        return self

    def _serving(self) -> bool:
        assert self.process.poll() is None, self.error_log.read_text() if self.error_log.exists() else ""
        try:
            return fetch(f"http://127.0.0.1:{self.port}", "/healthz").status == 200
        except OSError:
            return False

    def __exit__(self, *exc):
        if self.process.poll() is not None:
            return
        self.process.terminate()  # both masters stop their workers on SIGTERM
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


class Nginx(Server):
    """nginx in the foreground (daemon off) with deploy/nginx.conf, in front of origin_port."""

    name = "nginx"

    def __init__(self, work: Path, origin_port: int, addresses: bool = True):
        self.work = work
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.error_log = work / "error.log"
        nginx_site.write(work, self.port, origin_port, addresses=addresses)

    def command(self):
        argv = [NGINX, "-p", str(self.work), "-c", str(self.work / "nginx.conf"), "-g", "daemon off;"]
        check = subprocess.run([*argv, "-t"], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        return argv, self.work, None

    def stored(self) -> bytes:
        """Everything nginx has written into its cache directory."""
        return b"".join(p.read_bytes() for p in (self.work / "cache").rglob("*") if p.is_file())

    def logs(self) -> str:
        return "".join(p.read_text() for p in self.work.glob("*.log"))


class Gunicorn(Server):
    """`gunicorn -w 2 wsgi:app` from the project root (so gunicorn.conf.py applies, as in production)."""

    name = "gunicorn"

    def __init__(self, env: dict, work: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **env}
        self.access_log = work / "gunicorn-access.log"
        self.error_log = work / "gunicorn-error.log"

    def command(self):
        return [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{self.port}", "--access-logfile",
                str(self.access_log), "--error-logfile", str(self.error_log), "--graceful-timeout", "2",
                "wsgi:app"], ROOT, self.env

    def logged(self, path: str) -> list[str]:
        """The app's access-log lines for GETs of exactly this path (and query)."""
        if not self.access_log.exists():
            return []
        return [line for line in self.access_log.read_text().splitlines() if f'"GET {path} HTTP/' in line]

    def requests_for(self, path: str) -> int:
        return len(self.logged(path))


@dataclass
class Edge:
    url: str
    nginx: Nginx
    origin: Gunicorn

    def get(self, path: str, **kwargs) -> "Answer":
        return fetch(self.url, path, **kwargs)


@pytest.fixture
def edge(app, database_url, tmp_path):
    """The site as readers reach it: nginx (deploy/nginx.conf) in front of two gunicorn workers.

    The in-process `app` shares the database and the secret key, for the editor's and CLI's side.
    """
    nginx_dir = tmp_path / "nginx"
    nginx_dir.mkdir()
    origin_env = {
        "SYNDICATE_DATABASE_URL": database_url,
        "SYNDICATE_SECRET_KEY": app.config["SECRET_KEY"],
        "SYNDICATE_TRUSTED_PROXIES": "1",
        "SYNDICATE_SHARED_CACHE_SECONDS": str(SHARED_SECONDS),
    }
    origin = Gunicorn(origin_env, tmp_path)
    front = Nginx(nginx_dir, origin.port)
    origin.env["SYNDICATE_SITE_URL"] = front.url  # links name the edge, never what a request says
    with origin, front:
        yield Edge(front.url, front, origin)


# --- HTTP, by hand: the Host header and the request line are ours to choose --------------------------

@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def cache(self) -> str | None:
        return self.headers.get("X-Cache-Status")

    @property
    def text(self) -> str:
        return self.body.decode()

    def cookies(self) -> dict[str, str]:
        pairs = (c.split(";", 1)[0].split("=", 1) for c in self.headers.get_all("Set-Cookie") or [])
        return {name.strip(): value for name, value in pairs}


def fetch(base: str, target: str, *, method: str = "GET", headers: dict | None = None, body=None,
          source: str | None = None) -> Answer:
    """One request on its own connection (from the loopback address `source`, if given).

    `target` is the request line's target, as sent.
    """
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=15,
                                            source_address=(source, 0) if source else None)
    try:
        connection.request(method, target, body=body, headers=headers or {})
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        connection.close()


def cookie_header(cookies: dict[str, str]) -> dict:
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}


def until_hit(edge: Edge, path: str, **kwargs) -> Answer:
    """Ask until the edge answers from its cache (the first ask fills it)."""
    return wait_for(lambda: (answer := edge.get(path, **kwargs)).cache == "HIT" and answer, timeout=10,
                    what=f"a cache hit for {path}")


# --- test data, made as an editor would ---------------------------------------------------------------

@pytest.fixture
def coverage(newsroom) -> dict:
    """A live story with three updates, and a members-only story whose body anonymous readers never get."""
    newsroom.story(title="Members only", slug="closed", access="members", published_at=ago(minutes=90))
    newsroom.entry("closed", headline="For members", body_text=MEMBERS_ONLY, published_at=ago(minutes=90))
    newsroom.story(title="Live", slug="live")  # the newest: the home page shows it
    ids = [newsroom.entry("live", headline=f"Update {n}", published_at=ago(minutes=60 - n))["id"] for n in range(3)]
    return {"updates": ids}


DOCUMENTS = ["/", "/stories/live", "/feeds/latest.atom"]


# --- anonymous readers are served by the edge -----------------------------------------------------

@pytest.mark.parametrize("path", DOCUMENTS)
def test_anonymous_documents_come_from_the_cache(edge, coverage, path):
    first = edge.get(path)
    assert first.status == 200 and "Update 2" in first.text
    assert first.headers["Cache-Control"] == f"public, max-age=0, s-maxage={SHARED_SECONDS}, stale-while-revalidate=1"
    wait_for(lambda: edge.origin.requests_for(path) >= 1, what="the origin's log line")
    asked = edge.origin.requests_for(path)

    hits = [until_hit(edge, path)] + [edge.get(path) for _ in range(5)] + [edge.get(path, method="HEAD")]
    assert all(answer.cache == "HIT" for answer in hits), [answer.cache for answer in hits]
    assert all(answer.body == first.body for answer in hits[:-1]) and hits[-1].body == b""
    # The origin saw none of the hits: the line of a later request that passes through is there,
    # and theirs are not.
    checks = edge.origin.requests_for("/healthz")
    assert edge.get("/healthz").status == 200
    wait_for(lambda: edge.origin.requests_for("/healthz") > checks, what="the origin's log line for /healthz")
    assert edge.origin.requests_for(path) == asked


@pytest.mark.parametrize("path", DOCUMENTS)
def test_gzip_and_plain_readers_each_get_their_own_copy(edge, coverage, path):
    import gzip

    packed = until_hit(edge, path, headers={"Accept-Encoding": "gzip, deflate, br"})
    plain = until_hit(edge, path)
    assert packed.headers["Content-Encoding"] == "gzip" and "Content-Encoding" not in plain.headers
    assert gzip.decompress(packed.body) == plain.body and packed.headers["ETag"] != plain.headers["ETag"]
    refused = edge.get(path, headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert refused.body == plain.body and refused.cache == "HIT"
    # The edge answers conditional requests from its copy too.
    assert edge.get(path, headers={"If-None-Match": plain.headers["ETag"]}).status == 304


# --- a withdrawal is gone within SYNDICATE_SHARED_CACHE_SECONDS + 1 s -------------------------------

def withdraw(edge: Edge, token: str, entry_id: int) -> None:
    answer = edge.get(f"/api/entries/{entry_id}/withdraw", method="POST", body=b'{"reason": "source safety"}',
                      headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert answer.status == 200, answer.text
    assert answer.cache in (None, "BYPASS")


@pytest.mark.parametrize("readers", ["steady", "after a quiet spell"])
def test_a_withdrawal_is_gone_within_shared_seconds_plus_one(edge, editor_token, coverage, readers):
    withdrawn = coverage["updates"][1]
    for path in DOCUMENTS:
        assert "Update 1" in until_hit(edge, path).text

    start = time.monotonic()
    withdraw(edge, editor_token, withdrawn)
    deadline = start + SHARED_SECONDS + 1
    if readers == "after a quiet spell":
        # Nobody asks until the bound has passed; the first reader then must not get the stored copy.
        time.sleep(max(0.0, deadline - time.monotonic()))
    # Readers keep asking, one request at a time. A request sent before the deadline may still get
    # the stored copy; one sent after it must not.
    pending = list(DOCUMENTS)
    while pending:
        for path in list(pending):
            sent = time.monotonic()
            answer = edge.get(path)
            assert answer.status == 200
            if "Update 1" not in answer.text:
                assert "Update 2" in answer.text
                pending.remove(path)
            else:
                assert sent < deadline, f"{path} still shows the withdrawn update {sent - start:.2f} s later"
        time.sleep(0.05)


# --- a member's documents are never stored or served to anyone else -------------------------------

def sign_in(edge: Edge, app, runner, email: str = "reader@example.org") -> dict[str, str]:
    """Sign in through the edge as the emailed link does (GET shows a form, POST spends it): the cookies."""
    from syndicate.extensions import db
    from syndicate.members.tokens import make_signin_token
    from syndicate.models import Member

    member_token(runner, email)
    with app.app_context():  # the link the sign-in mail would carry, signed with the site's key
        link = "/signin/" + make_signin_token(db.session.scalar(db.select(Member.id).where(Member.email == email)),
                                              "signin")
    form = edge.get(link)
    assert form.status == 200 and form.cache != "HIT"
    cookies = form.cookies()
    csrf = form.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    done = edge.get(link, method="POST", body=f"csrf_token={csrf}".encode(),
                    headers={"Content-Type": "application/x-www-form-urlencoded", **cookie_header(cookies)})
    assert done.status == 303, done.text
    cookies.update(done.cookies())
    assert cookies.get("signed_in") == "1" and cookies.get("session")
    return cookies


def member_request(how: str, edge, app, runner) -> tuple[str, dict]:
    """How a member asks for the latest feed: the URL and headers."""
    if how == "session":
        return "/feeds/latest.atom", cookie_header(sign_in(edge, app, runner))
    token = member_token(runner)
    if how == "bearer":
        return "/feeds/latest.atom", {"Authorization": f"Bearer {token}"}
    return f"/feeds/latest.atom?token={token}", {}


@pytest.mark.parametrize("how", ["session", "bearer", "token"])
def test_a_members_feed_is_never_stored_or_shared(edge, app, runner, coverage, how):
    path, headers = member_request(how, edge, app, runner)
    for _ in range(3):  # first on a cold cache, where storing it would hand it to the next reader
        mine = edge.get(path, headers=headers)
        assert mine.status == 200 and MEMBERS_ONLY in mine.text
        assert mine.cache == "BYPASS" and mine.headers["Cache-Control"].startswith("private")
        public = edge.get("/feeds/latest.atom")
        assert public.status == 200 and MEMBERS_ONLY not in public.text
    assert until_hit(edge, "/feeds/latest.atom").body == public.body
    assert edge.get(path, headers=headers).cache == "BYPASS"  # not the stored anonymous copy either
    assert MEMBERS_ONLY.encode() not in edge.nginx.stored()


def test_a_signed_in_readers_pages_are_never_stored_or_shared(edge, app, runner, coverage):
    cookies = sign_in(edge, app, runner)
    for path in ["/stories/closed", "/stories/closed/feed.json"]:
        mine = edge.get(path, headers=cookie_header(cookies))
        assert mine.status == 200 and MEMBERS_ONLY in mine.text and mine.cache == "BYPASS"
        assert MEMBERS_ONLY not in edge.get(path).text  # anonymous: a teaser, or 401 for the story's feed
    # Without the marker (lost, say) the edge does not stand aside, but the session still proves
    # membership to the app, which answers "private": that answer must not be kept for others.
    session_only = cookie_header({"session": cookies["session"]})
    for path in ["/stories/closed?page=1", "/feeds/latest.json"]:  # not asked for yet: nothing stored
        mine = edge.get(path, headers=session_only)
        assert MEMBERS_ONLY in mine.text and mine.headers["Cache-Control"].startswith("private")
        assert MEMBERS_ONLY not in edge.get(path).text
    assert MEMBERS_ONLY.encode() not in edge.nginx.stored()


# Every way a secret travels in a request, with what the edge's log shows instead. "SECRET" marks it.
SECRET_REQUESTS = [
    ("/signin/SECRETmember.x", {}, "/signin/[scrubbed]"),
    ("/desk/signin/SECRETdesk.x", {}, "/desk/signin/[scrubbed]"),
    ("//signin/SECRETdouble.x", {}, "/signin/[scrubbed]"),
    ("/sign%69n/SECRETescaped.x", {}, "/signin/[scrubbed]"),
    ("/join/continue?token=SECRETjoin.x", {}, "/join/continue?[scrubbed]"),
    ("/feeds/latest.atom?token=SECRETfeed", {}, "/feeds/latest.atom?[scrubbed]"),
    ("/feeds/latest.rss?x=1&tok%65n=SECRETencoded", {}, "/feeds/latest.rss?[scrubbed]"),
    ("/feeds/latest.json?api_key=SECRETapikey", {}, "/feeds/latest.json?[scrubbed]"),
    ("/feeds/latest.json?access_token=SECRETaccess", {}, "/feeds/latest.json?[scrubbed]"),
    ("/healthz?secret=SECRETsecret", {}, "/healthz?[scrubbed]"),
    ("/healthz?password=SECRETpassword", {}, "/healthz?[scrubbed]"),
    ("/healthz?auth=SECRETauth", {}, "/healthz?[scrubbed]"),
    ("/feeds/latest.atom?basic=user", {"Authorization": "Basic " + base64.b64encode(b"SECRETbasic:").decode()},
     "/feeds/latest.atom?basic=user"),
    ("/?from=page", {"Referer": "http://127.0.0.1/feeds/latest.atom?token=SECRETreferer"}, "/?from=page"),
]


def test_no_secret_reaches_the_edges_or_the_apps_logs(edge, runner, coverage):
    token = member_token(runner)
    requests = [(target.replace("SECRETfeed", token), headers, shown) for target, headers, shown in SECRET_REQUESTS]
    for target, headers, _ in requests:
        assert edge.get(target, headers=headers).status < 500, target
    assert edge.get("/healthz?last=1").status == 200
    wait_for(lambda: "?last=1" in edge.nginx.logs() and edge.origin.logged("/healthz?last=1"),
             what="the last request's lines in both logs")
    nginx, origin = edge.nginx.logs(), edge.origin.access_log.read_text() + edge.origin.error_log.read_text()
    for shown in {shown for _, _, shown in requests}:
        assert f'"GET {shown} HTTP/1.1"' in nginx, shown
    for logs in (nginx, origin):
        assert "SECRET" not in logs and token not in logs


def test_the_edge_can_keep_no_addresses(tmp_path):
    """With the switch in deploy/nginx.conf's comment turned, no reader's address is logged."""
    from servers import LiveServer

    def origin(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain"), ("Cache-Control", "no-store")])
        return [b"ok"]

    port = free_port()
    for addresses in (True, False):
        work = tmp_path / str(addresses)
        with LiveServer(origin, port), Nginx(work, port, addresses=addresses) as front:
            assert fetch(front.url, "/page", source="127.0.0.2").status == 200
            wait_for(lambda: "/page" in front.logs(), what="the access log line")
        assert ("127.0.0.2" in front.logs()) is addresses


# --- a reader who only opened a form is served from the cache --------------------------------------

def test_a_reader_with_only_a_csrf_cookie_is_served_from_the_cache(edge, coverage):
    form = edge.get("/signin")
    cookies = form.cookies()
    assert form.status == 200 and "session" in cookies and "signed_in" not in cookies
    for path in DOCUMENTS:
        public = until_hit(edge, path)
        with_form = edge.get(path, headers=cookie_header(cookies))
        assert with_form.cache == "HIT" and with_form.body == public.body
        assert not with_form.cookies()


def test_an_answer_that_sets_a_cookie_is_never_kept(tmp_path):
    """Even one the origin calls public. The app never sends such an answer, so a stand-in origin does."""
    from servers import LiveServer

    visitors = []

    def origin(environ, start_response):
        visitors.append(environ["PATH_INFO"])  # nginx's start-up check asks for /healthz
        start_response("200 OK", [("Content-Type", "text/plain"), ("Cache-Control", "public, max-age=0, s-maxage=60"),
                                  ("Set-Cookie", f"visitor={len(visitors)}; Path=/")])
        return [b"ok"]

    port = free_port()
    with LiveServer(origin, port), Nginx(tmp_path, port) as front:
        answers = [fetch(front.url, "/page") for _ in range(3)]
    assert visitors.count("/page") == 3 and all(a.cache == "MISS" for a in answers)
    assert len({a.cookies()["visitor"] for a in answers}) == 3  # each reader got their own


# --- the app sees who is asking: the reader's address, not one the reader wrote --------------------

def test_the_app_sees_the_readers_address_and_not_a_forged_one(edge):
    # The reader comes from 127.0.0.2 (nginx itself talks to the app from 127.0.0.1) and claims to be
    # someone else. gunicorn logs the address the app settled on (ProxyFix, one trusted proxy).
    answer = edge.get("/healthz?from=reader", source="127.0.0.2", headers={"X-Forwarded-For": "203.0.113.9"})
    assert answer.status == 200
    line = wait_for(lambda: edge.origin.logged("/healthz?from=reader"), what="the app's log line")[0]
    assert line.startswith("127.0.0.2 ") and "203.0.113.9" not in line


# --- a foreign Host changes nothing that others get -------------------------------------------------

def test_a_foreign_host_is_refused(edge, coverage):
    for headers, target in [({"Host": "evil.example"}, "/"), ({}, "http://evil.example/feeds/latest.atom")]:
        with pytest.raises(ConnectionError):  # 444: closed without an answer
            edge.get(target, headers=headers)
    for path in DOCUMENTS:
        answer = edge.get(path)
        assert answer.status == 200 and "evil.example" not in answer.text
        assert path == "/" or f"{edge.url}/stories/live/updates/" in answer.text  # absolute links: SITE_URL
    assert b"evil.example" not in edge.nginx.stored()


@pytest.mark.parametrize("path", DOCUMENTS)
def test_forwarded_headers_from_a_client_change_no_link(edge, coverage, path):
    forged = edge.get(path, headers={"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https",
                                     "X-Forwarded-Port": "8443", "X-Forwarded-Prefix": "/evil"})
    assert forged.status == 200 and forged.cache == "MISS"  # this very answer fills the cache
    after = until_hit(edge, path)
    for answer in (forged, after):
        assert "evil" not in answer.text and "https://127.0.0.1" not in answer.text
        assert path == "/" or f"{edge.url}/stories/live/updates/" in answer.text
    assert b"evil" not in edge.nginx.stored()
