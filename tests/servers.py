"""Real servers for tests, all on 127.0.0.1: the app itself, localstripe, and an SMTP sink."""
from __future__ import annotations

import email
import email.policy
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from werkzeug.serving import make_server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, timeout: float = 15.0, interval: float = 0.05, what: str = "condition"):
    """Poll until condition() is truthy (webhooks arrive about a second after a change)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


class LiveServer:
    """Serves a WSGI app on a given loopback port in a daemon thread."""

    def __init__(self, app, port: int):
        self.server = make_server("127.0.0.1", port, app, threaded=True)
        self.url = f"http://127.0.0.1:{port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class LocalStripe:
    """localstripe in a subprocess, bound to loopback."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        script = Path(__file__).with_name("localstripe_server.py")
        self.process = subprocess.Popen([sys.executable, str(script), str(self.port)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self._up, what="localstripe")

    def _up(self) -> bool:
        try:
            urllib.request.urlopen(self.url + "/v1/customers", timeout=1)
        except urllib.error.HTTPError:
            return True  # answering (401 without a key) is up
        except OSError:
            return False
        return True

    def register_webhook(self, url: str, secret: str) -> None:
        body = json.dumps({"url": url, "secret": secret}).encode()
        request = urllib.request.Request(self.url + "/_config/webhooks/syndicate", data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request, timeout=5).read()

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


class SMTPSink:
    """An aiosmtpd server that keeps every message it receives."""

    def __init__(self, port: int | None = None):
        from aiosmtpd.controller import Controller

        self.messages: list[email.message.EmailMessage] = []
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                sink.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
                return "250 OK"

        self.port = port or free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]

    def wait_for_mail(self, address: str, count: int = 1) -> list:
        return wait_for(lambda: len(self.to(address)) >= count and self.to(address), what=f"mail to {address}")

    def close(self) -> None:
        self.controller.stop()


class HungServer:
    """A server that accepts connections and never answers: a mail server or an API that hangs.

    close() drops every connection it holds, as a crashed server would, and stops listening.
    """

    def __init__(self, port: int | None = None):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port or 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.held.append(connection)

    @property
    def accepted(self) -> int:
        return len(self.held)

    def close(self) -> None:
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        for connection in self.held:
            connection.close()
