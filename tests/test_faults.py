"""Faults, made real: Redis on a closed port, a mail server closed or hung, Stripe hung or forgetful,
PostgreSQL connections killed or its tables locked. Each test checks SPEC's answer and that nothing is lost."""
from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request

import pytest
from sqlalchemy import select

from conftest import STRIPE_KEY, TEST_DB_URL, WEBHOOK_SECRET, last_line, make_config
from servers import HungServer, LiveServer, SMTPSink, free_port, wait_for
from stripe_standin import sign
from syndicate import create_app
from syndicate.extensions import db
from syndicate.models import OutboxMail, StripeEvent

pytestmark = pytest.mark.slow


def cli(app, *args) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def http(url: str, *, data: bytes | None = None, headers: dict | None = None, timeout: float = 15):
    request = urllib.request.Request(url, data=data, headers=headers or {}, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()


def in_background(fn):
    """Run fn in a thread; returns (thread, box) where box["result"] holds its answer when done."""
    box = {}
    thread = threading.Thread(target=lambda: box.setdefault("result", fn()), daemon=True)
    thread.start()
    return thread, box


def outbox_rows(app) -> list[OutboxMail]:
    with app.app_context():
        rows = list(db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)))
        db.session.expunge_all()
        db.session.remove()
    return rows


# --- Redis ----------------------------------------------------------------------------------------

def test_redis_unreachable_limits_fall_back_to_memory(make_app, caplog):
    app = make_app(RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{free_port()}/0", SIGNIN_RATE_LIMIT="3 per minute",
                   PARTNER_RATE_LIMIT="2 per minute")
    client = app.test_client()
    editor = last_line(cli(app, "editors", "add", "desk"))
    key = last_line(cli(app, "partners", "add", "P"))
    with caplog.at_level(logging.WARNING):
        signins = [client.post("/signin", data={"email": "a@example.org"}).status_code for _ in range(4)]
        api = client.post("/api/stories", json={"title": "Still publishing"},
                          headers={"Authorization": f"Bearer {editor}"}).status_code
        pulls = [client.get("/syndication/entries.json", headers={"Authorization": f"Bearer {key}"}).status_code
                 for _ in range(3)]
        joined = client.post("/join", data={"email": "a@example.org", "tier": "1"}).status_code
        ready = client.get("/readyz")
    assert signins == [200, 200, 200, 429]  # limits still hold, counted in memory
    assert api == 201 and pulls == [200, 200, 429] and joined == 200
    assert "falling back to in-memory storage" in caplog.text
    assert ready.status_code == 503 and ready.json["checks"] == {"database": True, "redis": False}
    assert client.get("/healthz").status_code == 200


# --- mail -----------------------------------------------------------------------------------------

def test_mail_server_down_answers_the_same_and_delivers_once_it_is_back(make_app, caplog):
    port = free_port()  # nothing listens yet
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_RETRY_SECONDS=0.2, MAIL_TIMEOUT=2)
    cli(app, "members", "comp", "known@example.org")
    client = app.test_client()
    with caplog.at_level(logging.WARNING):
        known = client.post("/signin", data={"email": "known@example.org"})
        unknown = client.post("/signin", data={"email": "stranger@example.org"})
        assert known.status_code == unknown.status_code == 200
        assert known.get_data() == unknown.get_data()
        # The sender tried, failed, and keeps the mail for a retry.
        wait_for(lambda: any(r.last_error and r.state == "pending" for r in outbox_rows(app)),
                 what="a failed attempt kept for retrying")
    assert "not sent (attempt" in caplog.text
    # The stranger's request comes to nothing (the row is dropped); the member's mail waits.
    wait_for(lambda: [r.to_addr for r in outbox_rows(app)] == ["known@example.org"], what="the stranger's dropped")

    sink = SMTPSink(port)  # the mail server comes back
    try:
        mail = sink.wait_for_mail("known@example.org")[0]
        assert "/signin/" in mail.get_content()
        wait_for(lambda: all(r.state == "sent" for r in outbox_rows(app)), what="the outbox to empty")
        assert sink.to("stranger@example.org") == [] and len(sink.messages) == 1
        assert all(r.body == "" for r in outbox_rows(app))  # a sent link is not kept
    finally:
        sink.close()
    assert mail.get_content().split("/signin/")[1].split()[0] not in caplog.text


def test_a_hung_mail_server_never_holds_a_request(make_app):
    hung = HungServer()
    port = hung.port
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_RETRY_SECONDS=0.2, MAIL_TIMEOUT=60)
    cli(app, "members", "comp", "known@example.org")
    client = app.test_client()
    assert client.post("/signin", data={"email": "known@example.org"}).status_code == 200
    wait_for(lambda: hung.accepted >= 1, what="the sender to be stuck talking to the hung server")

    # While the sender hangs (for up to a minute), requests answer as ever.
    def ask():
        return [client.post("/signin", data={"email": email}).get_data()
                for email in ("known@example.org", "stranger@example.org")]

    thread, box = in_background(ask)
    thread.join(20)
    assert not thread.is_alive() and hung.accepted == 1
    assert box["result"][0] == box["result"][1]

    hung.close()  # it drops the connection; the sender retries against the real server
    sink = SMTPSink(port)
    try:
        assert len(sink.wait_for_mail("known@example.org", 2)) == 2
        wait_for(lambda: all(r.state == "sent" for r in outbox_rows(app)), what="every mail sent")
        assert sink.to("stranger@example.org") == []
    finally:
        sink.close()


def test_join_waits_for_neither_stripe_nor_the_mail_server(make_app):
    stripe_hung, mail_hung = HungServer(), HungServer()
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=mail_hung.port, MAIL_TIMEOUT=60, STRIPE_SECRET_KEY=STRIPE_KEY,
                   STRIPE_API_BASE=stripe_hung.url, STRIPE_TIMEOUT=60)
    cli(app, "tiers", "add", "--name", "Supporter", "--price", "price_s")
    cli(app, "members", "comp", "known@example.org")
    client = app.test_client()
    assert client.post("/join", data={"email": "known@example.org", "tier": "1"}).status_code == 200
    wait_for(lambda: mail_hung.accepted >= 1, what="the sender to be stuck talking to the hung mail server")

    def ask():
        return [client.post("/join", data={"email": email, "tier": "1"}, environ_base={"REMOTE_ADDR": address})
                for email, address in (("known@example.org", "192.0.2.1"), ("stranger@example.org", "192.0.2.2"))]

    try:
        thread, box = in_background(ask)
        thread.join(20)
        assert not thread.is_alive()
        member, stranger = box["result"]
        assert member.status_code == stranger.status_code == 200 and member.get_data() == stranger.get_data()
        assert stripe_hung.accepted == 0  # /join asks Stripe nothing; only the mailed link's POST does
    finally:
        mail_hung.close()
        stripe_hung.close()


def test_send_pending_drains_from_the_command_line(make_app, tmp_path):
    port = free_port()
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_RETRY_SECONDS=0)
    output = cli(app, "members", "comp", "reader@example.org", "--mail")
    assert "wait in the outbox" in output
    sink = SMTPSink(port)
    try:
        assert "1 sent, 0 given up, 0 waiting." in cli(app, "mail", "send-pending")
        assert len(sink.to("reader@example.org")) == 1
        assert "0 sent, 0 given up, 0 waiting." in cli(app, "mail", "send-pending")
    finally:
        sink.close()


# --- Stripe ---------------------------------------------------------------------------------------

def signed(event: dict) -> tuple[bytes, dict]:
    payload = json.dumps(event).encode()
    return payload, {"Content-Type": "application/json", "Stripe-Signature": sign(payload, WEBHOOK_SECRET)}


def editor_can_write(base: str, token: str, slug: str) -> bool:
    status, _, _ = http(base + "/api/stories", data=json.dumps({"title": slug, "slug": slug}).encode(), timeout=8,
                        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    return status == 201


def continue_path(app, email: str, tier_id: int = 1) -> str:
    """The path of the link /join mails to a new address (the POST that starts Stripe Checkout)."""
    from syndicate.members.tokens import make_join_token

    with app.app_context():
        return f"/join/continue?token={make_join_token(email, tier_id)}"


def test_stripe_hung_holds_no_lock_and_answers_503(make_app):
    hung = HungServer()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = make_app(SITE_URL=base, STRIPE_SECRET_KEY=STRIPE_KEY, STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
                   STRIPE_API_BASE=hung.url, STRIPE_TIMEOUT=60)
    cli(app, "tiers", "add", "--name", "Supporter", "--price", "price_s")
    editor = last_line(cli(app, "editors", "add", "desk"))
    with LiveServer(app, port):
        # /join itself never calls Stripe: the mailed link's POST does.
        joining, join_box = in_background(lambda: http(
            base + continue_path(app, "new@example.org"), data=b"go=1",
            headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=120))
        wait_for(lambda: hung.accepted >= 1, what="the join link's POST to be waiting on Stripe")
        assert editor_can_write(base, editor, "during-join")

        payload, headers = signed({"id": "evt_hung", "type": "customer.subscription.created", "created": 1,
                                   "data": {"object": {"id": "sub_hung", "object": "subscription"}}})
        hooking, hook_box = in_background(lambda: http(base + "/stripe/webhook", data=payload, headers=headers,
                                                       timeout=120))
        wait_for(lambda: hung.accepted >= 2, what="the webhook to be waiting on Stripe")
        assert editor_can_write(base, editor, "during-webhook")

        hung.close()  # Stripe fails outright now
        joining.join(30)
        hooking.join(30)
    status, _, page = join_box["result"]
    assert status == 503 and "Payments cannot be taken right now" in page
    status, headers, body = hook_box["result"]
    assert status == 503 and headers["Retry-After"] and json.loads(body)["error"]["code"] == "unavailable"
    with app.app_context():
        assert db.session.get(StripeEvent, "evt_hung") is None  # not applied: Stripe will deliver it again
        db.session.remove()


def test_every_stripe_call_has_a_timeout(make_app):
    hung = HungServer()  # never released: only the timeout can end the call
    app = make_app(STRIPE_SECRET_KEY=STRIPE_KEY, STRIPE_API_BASE=hung.url, STRIPE_TIMEOUT=1)
    cli(app, "tiers", "add", "--name", "Supporter", "--price", "price_s")
    path = continue_path(app, "a@example.org")
    thread, box = in_background(lambda: app.test_client().post(path))
    thread.join(20)
    assert not thread.is_alive() and box["result"].status_code == 503
    assert box["result"].headers["Retry-After"]
    hung.close()


def test_a_subscription_stripe_does_not_know_is_acknowledged(make_app, localstripe, caplog):
    app = make_app(STRIPE_SECRET_KEY=STRIPE_KEY, STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
                   STRIPE_API_BASE=localstripe.url)
    payload, headers = signed({"id": "evt_gone", "type": "customer.subscription.updated", "created": 1,
                               "data": {"object": {"id": "sub_nobody_knows", "object": "subscription"}}})
    with caplog.at_level(logging.WARNING):
        response = app.test_client().post("/stripe/webhook", data=payload, headers=headers)
    assert response.status_code == 200 and response.json["ignored"]
    assert "sub_nobody_knows" in caplog.text or "Stripe does not know" in caplog.text
    with app.app_context():
        assert db.session.get(StripeEvent, "evt_gone") is not None  # recorded: a redelivery changes nothing
        db.session.remove()


# --- PostgreSQL -----------------------------------------------------------------------------------

needs_postgres = pytest.mark.skipif(not TEST_DB_URL, reason="SYNDICATE_TEST_DATABASE_URL is not set")


def _admin():
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(TEST_DB_URL)
    return psycopg.connect(host=url.host, port=url.port or 5432, user=url.username, password=url.password,
                           dbname=url.database, autocommit=True)


@needs_postgres
def test_terminated_connections_answer_503_once_and_recover(make_app, caplog):
    app = make_app()
    client = app.test_client()
    editor = {"Authorization": f"Bearer {last_line(cli(app, 'editors', 'add', 'desk'))}"}
    assert client.post("/api/stories", json={"title": "Before", "slug": "before"}, headers=editor).status_code == 201
    assert client.get("/stories/before").status_code == 200
    with _admin() as admin:
        killed = admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                               "WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchone()[0]
    assert killed >= 1
    with caplog.at_level(logging.WARNING):
        statuses = [client.get("/stories/before").status_code for _ in range(3)]
    assert set(statuses) <= {200, 503} and statuses[-1] == 200  # recovered by itself
    assert "Traceback" not in caplog.text
    failing = [r for r in caplog.records if "database unavailable" in r.getMessage()]
    assert len(failing) == statuses.count(503)  # one line per failing request
    assert client.post("/api/stories", json={"title": "After", "slug": "after"}, headers=editor).status_code == 201
    assert client.get("/stories/before").status_code == 200  # nothing lost


@needs_postgres
def test_a_locked_table_gives_503_with_retry_after_not_a_hang(make_app):
    app = make_app(DB_STATEMENT_TIMEOUT=1)
    client = app.test_client()
    editor = {"Authorization": f"Bearer {last_line(cli(app, 'editors', 'add', 'desk'))}"}
    assert client.get("/").status_code == 200
    with _admin() as admin:
        admin.execute("BEGIN")
        admin.execute("LOCK TABLE site_state IN ACCESS EXCLUSIVE MODE")
        try:
            thread, box = in_background(lambda: (
                client.post("/api/stories", json={"title": "Locked", "slug": "locked"}, headers=editor),
                app.test_client().get("/healthz"), app.test_client().get("/readyz")))
            thread.join(30)
            assert not thread.is_alive()
            write, health, ready = box["result"]
            assert write.status_code == 503 and write.headers["Retry-After"]
            assert write.json["error"]["code"] == "unavailable"
            assert health.status_code == 200 and ready.status_code == 200
        finally:
            admin.execute("ROLLBACK")
    assert client.post("/api/stories", json={"title": "Locked", "slug": "locked"}, headers=editor).status_code == 201


@needs_postgres
def test_only_content_writes_wait_for_the_content_lock(make_app):
    """With an editor's transaction holding the content lock (the site_state row), readers' side writes
    (feed networks, partner pull logs, sign-in requests, tiers) go through; an editor's write waits."""
    from syndicate.models import FeedNetwork, PartnerPull

    app = make_app(DB_STATEMENT_TIMEOUT=2)
    client = app.test_client()
    token = last_line(cli(app, "members", "comp", "reader@example.org"))
    key = last_line(cli(app, "partners", "add", "P"))
    editor = {"Authorization": f"Bearer {last_line(cli(app, 'editors', 'add', 'desk'))}"}
    with _admin() as admin:
        admin.execute("BEGIN")
        admin.execute("UPDATE site_state SET version = version WHERE id = 1")
        try:
            feed = client.get(f"/feeds/latest.atom?token={token}", environ_base={"REMOTE_ADDR": "198.51.100.7"})
            pull = client.get("/syndication/entries.json", headers={"Authorization": f"Bearer {key}"})
            signin = client.post("/signin", data={"email": "reader@example.org"})
            tier = app.test_cli_runner().invoke(args=["tiers", "add", "--name", "T", "--price", "price_t"])
            blocked = client.post("/api/stories", json={"title": "Waits", "slug": "waits"}, headers=editor)
        finally:
            admin.execute("ROLLBACK")
    assert feed.status_code == 200 and pull.status_code == 200 and signin.status_code == 200
    assert tier.exit_code == 0
    assert blocked.status_code == 503  # content writes are ordered: it waited, then gave up cleanly
    with app.app_context():
        assert db.session.scalar(select(FeedNetwork.network)) == "198.51.100.0/24"
        assert db.session.scalar(select(PartnerPull.id)) is not None
        db.session.remove()


def test_database_unreachable_is_503_and_healthz_still_answers(tmp_path, caplog):
    """PostgreSQL refusing connections (nothing listens on the port): 503 with Retry-After, one log line
    per request, no traceback; /healthz answers, /readyz says not ready."""
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing"
    app = create_app(make_config(url, DB_STATEMENT_TIMEOUT=2), instance_path=str(tmp_path / "instance"))
    client = app.test_client()
    try:
        with caplog.at_level(logging.WARNING):
            answers = [client.get(path) for path in ("/", "/feeds/latest.atom", "/stories/x")]
            answers.append(client.post("/api/stories", json={}, headers={"Authorization": "Bearer ed_x"}))
            health, ready = client.get("/healthz"), client.get("/readyz")
        for response in answers:
            assert response.status_code == 503 and int(response.headers["Retry-After"]) > 0
            assert response.headers["Cache-Control"] == "no-store"
        assert answers[1].json["error"]["code"] == "unavailable"
        assert health.status_code == 200 and ready.status_code == 503
        assert ready.json["checks"]["database"] is False
        assert "Traceback" not in caplog.text
        assert len([r for r in caplog.records if "database unavailable" in r.getMessage()]) == len(answers)
    finally:
        with app.app_context():
            db.engine.dispose()
