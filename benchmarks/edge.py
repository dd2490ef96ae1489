"""The edge for the benchmark: Debian's nginx running deploy/nginx.conf in front of a gunicorn.

deploy/nginx.conf is a site file for a real host. It is run here the way
tests/test_edge.py runs it: the operator's few values (listen port, server name,
upstream address, cache and log directories) are set in a copy, each one must be
found, and the copy is included inside a small stand-in for Debian's
/etc/nginx/nginx.conf. Everything else (what is cached, for how long, what bypasses
the cache, the access log) is the file as committed.
"""
from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
from pathlib import Path

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CONF = Path(__file__).resolve().parents[1] / "deploy" / "nginx.conf"
SERVER_NAME = "127.0.0.1"  # readers' Host here: the address itself, without its port


def available(conf: Path = CONF) -> bool:
    return conf.is_file() and os.access(NGINX, os.X_OK)


def render_site(text: str, *, port: int, origin_port: int, work: Path) -> str:
    """The site file with the operator's values set for this run (the same ones tests/test_edge.py sets)."""
    for placeholder, value in [
        ("listen 80 default_server;", f"listen 127.0.0.1:{port} default_server;"),
        ("listen 80;", f"listen 127.0.0.1:{port};"),
        ("server_name news.example.org;", f"server_name {SERVER_NAME};"),
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{origin_port};"),
        ("/var/cache/nginx/syndicate", str(work / "cache")),
        ("/var/log/nginx/", f"{work}/"),
    ]:
        if placeholder not in text:
            raise RuntimeError(f"deploy/nginx.conf no longer has {placeholder!r}: update benchmarks/edge.py "
                               "as tests/test_edge.py was")
        text = text.replace(placeholder, value)
    return text


def main_config(work: Path) -> str:
    """Debian's /etc/nginx/nginx.conf in small: the site file is included inside http { }."""
    temp = work / "temp"
    temp.mkdir(exist_ok=True)
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
    paths = "\n".join(f"    {kind}_temp_path {temp / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi",
                                                                             "scgi"))
    return f"""{user}
master_process on;
worker_processes 1;
pid {work / "nginx.pid"};
error_log {work / "error.log"} warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    gzip on;
{paths}
    include {work / "syndicate.conf"};
}}
"""


class Nginx:
    """nginx in the foreground on a free loopback port in front of origin_port, stopped on exit."""

    def __init__(self, port: int, origin_port: int, work: Path, conf: Path = CONF):
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.work = work
        work.mkdir(parents=True, exist_ok=True)
        (work / "syndicate.conf").write_text(render_site(conf.read_text(), port=port, origin_port=origin_port,
                                                         work=work))
        self.conf = work / "nginx.conf"
        self.conf.write_text(main_config(work))
        self.proc: subprocess.Popen | None = None

    def __enter__(self):
        check = subprocess.run([NGINX, "-t", "-q", "-p", str(self.work), "-c", str(self.conf)],
                               capture_output=True, text=True)
        if check.returncode:
            raise RuntimeError(f"nginx refused the rendered configuration ({self.conf}):\n{check.stderr}")
        self.proc = subprocess.Popen([NGINX, "-p", str(self.work), "-c", str(self.conf), "-g", "daemon off;"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited: {(self.work / 'error.log').read_text()[-2000:]}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.05)
        self.__exit__()
        raise RuntimeError("nginx did not listen within 10 s")

    def __exit__(self, *exc):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # the master stops its workers
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
