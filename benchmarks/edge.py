"""The edge for the benchmark: Debian's nginx running deploy/nginx.conf in front of a gunicorn.

deploy/nginx.conf is written for a real host (its port, its upstream, its cache
directory). To run it as one more process of the benchmark, a copy is made with
only the addresses and paths changed: every `listen` becomes 127.0.0.1:<free
port> (flags kept; IPv6 and TLS ones dropped), every upstream `server` (and a `proxy_pass` to an address) points at the
benchmark's gunicorn, the cache, temporary files, logs and pid file go to a
scratch directory. Everything else (what is cached, for how long, what bypasses
the cache) is the file as committed. A file that is a site snippet (no `http {}`
block, as it would sit in /etc/nginx/conf.d/) is wrapped in a minimal main config.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CONF = Path(__file__).resolve().parents[1] / "deploy" / "nginx.conf"

_UPSTREAM_BLOCK = re.compile(r"(upstream\s+\S+\s*\{)(.*?)(\})", re.S)
_UPSTREAM_SERVER = re.compile(r"^(\s*)server\s+[^;\s]+([^;]*);", re.M)
_ADDRESS = re.compile(r"(proxy_pass\s+https?://)((?:\[[^\]]+\]|[\w.-]+):\d+|unix:[^;\s]+)")
_DROPPED = re.compile(r"^\s*(user|pid|daemon|error_log|access_log)\s[^;]*;\s*$", re.M)
_LISTEN = re.compile(r"^(\s*)listen\s+([^;]+);", re.M)
_CACHE_PATH = re.compile(r"(proxy_cache_path\s+)(\S+)")


def site_name(text: str) -> str | None:
    """The first real server_name (not the catch-all "_"): the Host readers' requests carry."""
    for names in re.findall(r"^\s*server_name\s+([^;]+);", text, re.M):
        for name in names.split():
            if name not in ("_", '""') and not name.startswith("~"):
                return name
    return None


def available(conf: Path = CONF) -> bool:
    return conf.is_file() and Path(NGINX).exists()


def render(text: str, *, port: int, upstream: str, workdir: Path) -> str:
    """The committed configuration with only its addresses and paths moved into workdir."""
    text = _UPSTREAM_BLOCK.sub(lambda m: m.group(1) + _UPSTREAM_SERVER.sub(
        lambda s: f"{s.group(1)}server {upstream}{s.group(2)};", m.group(2)) + m.group(3), text)
    text = _ADDRESS.sub(lambda m: m.group(1) + upstream, text)
    text = _DROPPED.sub("", text)

    def listen(m: re.Match) -> str:
        # Each server block keeps its flags (default_server ...) on the one loopback port;
        # IPv6 and TLS twins are left out.
        address, *flags = m.group(2).split()
        if address.startswith("[") or "ssl" in flags or address.endswith("443"):
            return ""
        return f"{m.group(1)}listen 127.0.0.1:{port}{''.join(' ' + f for f in flags)};"

    text = _LISTEN.sub(listen, text)
    text = _CACHE_PATH.sub(lambda m: m.group(1) + str(workdir / "cache"), text)
    temp = "".join(f"    {kind}_temp_path {workdir / kind};\n" for kind in
                   ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    logs = f"    access_log off;\n    error_log {workdir / 'error.log'} warn;\n"
    main = f"pid {workdir / 'nginx.pid'};\nerror_log {workdir / 'error.log'} warn;\n"
    if os.geteuid() == 0:
        main += "user root;\n"  # workers keep the rights to the scratch directory
    if re.search(r"^\s*http\s*\{", text, re.M):
        return main + re.sub(r"^(\s*http\s*\{)", lambda m: m.group(1) + "\n" + temp + logs, text, count=1, flags=re.M)
    return (main + "worker_processes 1;\nevents { worker_connections 1024; }\n"
            "http {\n    include /etc/nginx/mime.types;\n" + temp + logs + text + "\n}\n")


class Nginx:
    """nginx with the rendered deploy/nginx.conf, in the foreground, stopped on exit."""

    def __init__(self, port: int, upstream: str, workdir: Path, conf: Path = CONF):
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.conf = workdir / "nginx.conf"
        self.source = conf
        self.host = site_name(conf.read_text())  # None: any Host will do
        self.conf.write_text(render(conf.read_text(), port=port, upstream=upstream, workdir=workdir))
        self.proc = None

    def __enter__(self):
        check = subprocess.run([NGINX, "-t", "-q", "-p", str(self.workdir), "-c", str(self.conf)],
                               capture_output=True, text=True)
        if check.returncode:
            raise RuntimeError(f"nginx refused the rendered {self.source} ({self.conf}):\n{check.stderr}")
        self.proc = subprocess.Popen([NGINX, "-p", str(self.workdir), "-c", str(self.conf), "-g", "daemon off;"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import socket

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited: {(self.workdir / 'error.log').read_text()[-2000:]}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.05)
        self.__exit__()
        raise RuntimeError("nginx did not listen within 10 s")

    def __exit__(self, *exc):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: fast shutdown of the master and its workers
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
