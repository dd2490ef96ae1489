"""deploy/nginx.conf made runnable on loopback: shared by tests/test_edge.py and benchmarks/edge.py.

deploy/nginx.conf is a site file for a real host. Here the operator's few values (listen
port, server name, upstream address, cache and log directories) are set in a copy, each one
must be found (so the file and its tests cannot drift apart), and the copy is included
inside a small stand-in for Debian's /etc/nginx/nginx.conf. Everything else (what is cached,
for how long, what bypasses the cache, the access log) is the file as committed.
"""
from __future__ import annotations

import os
import pwd
from pathlib import Path

CONF = Path(__file__).resolve().parents[1] / "deploy" / "nginx.conf"
SERVER_NAME = "127.0.0.1"  # readers' Host here: the address itself, without its port


def render_site(port: int, origin_port: int, work: Path, conf: Path = CONF, addresses: bool = True) -> str:
    """The site file with the operator's values set for this run (addresses=False: the switch that
    keeps readers' addresses out of the access log, turned as its comment says)."""
    text = conf.read_text()
    switches = [] if addresses else [("default $remote_addr;", 'default "-";')]
    for placeholder, value in [*switches,
        ("listen 80 default_server;", f"listen 127.0.0.1:{port} default_server;"),
        ("listen 80;", f"listen 127.0.0.1:{port};"),
        ("server_name news.example.org;", f"server_name {SERVER_NAME};"),
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{origin_port};"),
        ("/var/cache/nginx/syndicate", str(work / "cache")),
        ("/var/log/nginx/", f"{work}/"),
    ]:
        if placeholder not in text:
            raise RuntimeError(f"{conf} no longer has {placeholder!r}: update tests/nginx_site.py")
        text = text.replace(placeholder, value)
    return text


def main_config(work: Path, connections: int = 256) -> str:
    """Debian's /etc/nginx/nginx.conf in small: the site file is included inside http { }.

    Run it in the foreground: `nginx -p WORK -c WORK/nginx.conf -g 'daemon off;'`.
    """
    temp = work / "temp"
    temp.mkdir(exist_ok=True)
    # Started by root (as CI is), nginx's workers would run as "nobody", who cannot write the
    # private temporary directories: they stay the user who started it.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
    kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    paths = "\n".join(f"    {kind}_temp_path {temp / kind};" for kind in kinds)
    return f"""{user}
master_process on;
worker_processes 1;
pid {work / "nginx.pid"};
error_log {work / "error.log"} warn;
events {{ worker_connections {connections}; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    gzip on;
{paths}
    include {work / "syndicate.conf"};
}}
"""


def write(work: Path, port: int, origin_port: int, conf: Path = CONF, connections: int = 256,
          addresses: bool = True) -> Path:
    """Both files in `work`; returns the main configuration's path."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "syndicate.conf").write_text(render_site(port, origin_port, work, conf, addresses))
    main = work / "nginx.conf"
    main.write_text(main_config(work, connections))
    return main
