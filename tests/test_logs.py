"""No secret, and with SYNDICATE_LOG_CLIENT_IP=false no client address, in gunicorn's access and error logs.

Through the real gunicorn with the project's gunicorn.conf.py: requests that fail outside Flask (gunicorn
logs those itself, with the URI as an argument and a traceback), and requests gunicorn refuses before any
app sees them. deploy/nginx.conf's log is tested in tests/test_edge.py, the app's own in test_hardening.py.
"""
from __future__ import annotations

import base64
import http.client
import logging
import socket

import pytest

from servers import Gunicorn, wait_for

pytestmark = pytest.mark.slow

# Targets that carry a secret, each spelled as a client might. "SECRET" marks what must not be logged.
SECRET_TARGETS = [
    "/fail?token=SECRETfeed",
    "/fail?x=1&tok%65n=SECRETencoded",
    "/signin/SECRETmember.x",
    "/desk/signin/SECRETdesk.x",
    "//signin/SECRETdouble.x",
    "/join/continue?token=SECRETjoin.x",
    "/fail?api_key=SECRETapikey",
    "/fail?access_token=SECRETaccess",
    "/fail?secret=SECRETsecret",
    "/fail?password=SECRETpassword",
]
BASIC = {"Authorization": "Basic " + base64.b64encode(b"SECRETbasic:").decode()}


def get(server: Gunicorn, target: str, headers: dict | None = None, source: str | None = None) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10,
                                            source_address=(source, 0) if source else None)
    try:
        connection.request("GET", target, headers=headers or {})
        return connection.getresponse().status
    finally:
        connection.close()


def send_raw(server: Gunicorn, data: bytes, source: str | None = None) -> bytes:
    """Bytes sent as they are (gunicorn refuses them), and the answer."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10,
                                  source_address=(source, 0) if source else None) as conn:
        conn.sendall(data)
        answer = b""
        while chunk := conn.recv(4096):
            answer += chunk
    return answer


def logs(server: Gunicorn) -> str:
    return "".join(p.read_text() for p in (server.access_log, server.error_log) if p.exists())


def test_a_failure_outside_flask_logs_no_secret(tmp_path):
    with Gunicorn({}, workers=1, log_dir=tmp_path, app="failing_wsgi:app") as server:
        for target in SECRET_TARGETS:
            assert get(server, target) == 500, target
        assert get(server, "/fail?plain=1", headers=BASIC) == 500
        wait_for(lambda: server.error_log.read_text().count("Error handling request") == len(SECRET_TARGETS) + 1,
                 what="gunicorn's error lines")
    error = server.error_log.read_text()
    assert "Error handling request GET /fail?token=[scrubbed]" in error
    assert "Error handling request GET /desk/signin/[scrubbed]" in error
    # The traceback is kept, with the exception's message scrubbed too.
    assert "Traceback (most recent call last)" in error
    assert "RuntimeError: could not answer /fail?token=[scrubbed]" in error
    assert "SECRET" not in logs(server)


def test_requests_gunicorn_refuses_log_no_secret(database_url, tmp_path):
    env = {"SYNDICATE_DATABASE_URL": database_url, "SYNDICATE_SECRET_KEY": "gunicorn-logs"}
    with Gunicorn(env, workers=1, log_dir=tmp_path) as server:
        # A control character in the request line: refused before any request exists.
        send_raw(server, b"GET /feeds/latest.json?token=SECRETline\x01 HTTP/1.1\r\nHost: x\r\n\r\n")
        send_raw(server, b"GET /signin/SECRETsignin\x7f HTTP/1.1\r\nHost: x\r\n\r\n")
        # A bad header after a good request line.
        send_raw(server, b"GET /feeds/latest.atom?tok%65n=SECRETheader HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n")
        wait_for(lambda: server.error_log.read_text().count("Invalid request from ip=") == 3,
                 what="gunicorn's warnings")
        assert get(server, "/feeds/latest.atom?token=SECRETbasic", headers=BASIC) in (200, 401)
        wait_for(lambda: "/feeds/latest.atom?token=[scrubbed]" in server.access_log.read_text(), what="the access line")
    assert "Invalid HTTP request line: 'GET /feeds/latest.json?token=[scrubbed]" in server.error_log.read_text()
    assert "SECRET" not in logs(server)


def test_without_client_ip_gunicorn_logs_no_address(database_url, tmp_path):
    """Readers here come from 127.0.0.2; with the setting off, their address is in neither log."""
    for logged in ("true", "false"):
        env = {"SYNDICATE_DATABASE_URL": database_url, "SYNDICATE_SECRET_KEY": "gunicorn-logs",
               "SYNDICATE_LOG_CLIENT_IP": logged}
        (tmp_path / logged).mkdir()
        with Gunicorn(env, workers=1, log_dir=tmp_path / logged) as server:
            assert get(server, "/healthz?from=reader", source="127.0.0.2") == 200
            send_raw(server, b"GET /x HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n", source="127.0.0.2")
            wait_for(lambda: "/healthz?from=reader" in server.access_log.read_text()
                     and "Invalid request from ip=" in server.error_log.read_text(), what="both log lines")
        assert ("127.0.0.2" in logs(server)) is (logged == "true"), logs(server)


@pytest.mark.parametrize("logged", [True, False])
def test_without_client_ip_the_apps_log_holds_no_address(database_url, tmp_path, caplog, logged):
    """Flask-Limiter logs the key of a limit it enforces: for sign-ins, the reader's address."""
    from conftest import close_app, make_config
    from syndicate import create_app

    app = create_app(make_config(database_url, WTF_CSRF_ENABLED=False, SIGNIN_RATE_LIMIT="1 per minute",
                                 LOG_CLIENT_IP=logged), instance_path=str(tmp_path / "instance"))
    try:
        with caplog.at_level(logging.INFO):
            for _ in range(2):
                app.test_client().post("/signin", data={"email": "a@example.org"},
                                       environ_base={"REMOTE_ADDR": "192.0.2.77"})
    finally:
        close_app(app)
    assert "exceeded" in caplog.text
    assert ("192.0.2.77" in caplog.text) is logged
