"""Real servers for tests, all on 127.0.0.1: the app itself (in a thread, or under gunicorn), localstripe,
an SMTP sink, and a server that accepts connections and never answers."""
from __future__ import annotations

import email
import email.policy
import json
import os
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


ROOT = Path(__file__).resolve().parents[1]


class Gunicorn:
    """`gunicorn wsgi:app` from the project root (so gunicorn.conf.py applies, as in production),
    on a free loopback port.

    `env` is laid over os.environ; SYNDICATE_SITE_URL defaults to the server's own address.
    The access and error logs go to `log_dir` (a new temporary directory when not given).
    `app` names another WSGI app (a module in tests/), served under the same gunicorn.conf.py.
    `args` are more gunicorn options, which win over gunicorn.conf.py (e.g. ("-k", "sync")).
    """

    def __init__(self, env: dict, workers: int = 2, *, log_dir: Path | None = None, timeout: float = 30.0,
                 app: str = "wsgi:app", args: tuple[str, ...] = ()):
        import tempfile

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.env = {**os.environ, "SYNDICATE_SITE_URL": self.url, **env}
        log_dir = Path(log_dir or tempfile.mkdtemp(prefix="gunicorn-"))
        self.access_log = log_dir / f"access-{self.port}.log"
        self.error_log = log_dir / f"error-{self.port}.log"
        self.timeout = timeout
        self.app = app
        self.args = tuple(args)
        self.process: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        """The master's process id."""
        return self.process.pid

    def worker_pids(self) -> list[int]:
        """The workers: the master's children, read from /proc."""
        return children(self.pid)

    def __enter__(self):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", str(self.workers), "-b", f"127.0.0.1:{self.port}",
             "--access-logfile", str(self.access_log), "--error-logfile", str(self.error_log),
             "--graceful-timeout", "2", "--pythonpath", str(ROOT / "tests"), *self.args, self.app],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(self._serving, timeout=self.timeout, what=f"gunicorn on {self.url}")
        except BaseException:
            self.__exit__()
            raise
        return self

    def _serving(self) -> bool:
        if self.process.poll() is not None:
            log = self.error_log.read_text() if self.error_log.exists() else ""
            raise AssertionError(f"gunicorn exited with {self.process.returncode}:\n{log[-3000:]}")
        if len(self.worker_pids()) < self.workers:
            return False
        try:
            urllib.request.urlopen(self.url + "/healthz", timeout=1).read()
        except OSError:
            return False
        return True

    def __exit__(self, *exc):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # the master stops its workers gracefully
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def children(pid: int) -> list[int]:
    """Process ids whose parent is pid."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def run_cli(env: dict, *args: str) -> str:
    """`syndicate ARGS` in a subprocess with env (laid over os.environ); its output."""
    result = subprocess.run([sys.executable, "-m", "syndicate.cli", *args], env={**os.environ, **env}, cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


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
