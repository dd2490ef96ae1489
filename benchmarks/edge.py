"""The edge for the benchmark: Debian's nginx running deploy/nginx.conf in front of a gunicorn.

The file is made runnable on loopback exactly as tests/test_edge.py does it (tests/nginx_site.py).
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import nginx_site  # noqa: E402
from nginx_site import CONF  # noqa: E402

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def available(conf: Path = CONF) -> bool:
    return conf.is_file() and os.access(NGINX, os.X_OK)


class Nginx:
    """nginx in the foreground on a free loopback port in front of origin_port, stopped on exit."""

    def __init__(self, port: int, origin_port: int, work: Path, conf: Path = CONF, connections: int = 1024):
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.work = work
        self.conf = nginx_site.write(work, port, origin_port, conf, connections=connections)
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
