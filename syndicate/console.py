"""What `syndicate demo` shows on its console while it serves: the request log, the way into mailed links.

Everything goes out through click, which keeps colours for a terminal and drops them
for a pipe or a file. The request log still passes the scrubbing filter first
(syndicate.logs), so colour is added after it, never escaped by it.
"""
from __future__ import annotations

import logging
import re
from email.message import EmailMessage
from pathlib import Path

import click
from flask import Flask
from werkzeug.serving import make_server

from . import logs

# First match wins: a status's colour, as werkzeug's own development server would choose it.
_STATUS_COLOURS = (("5", "magenta"), ("404", "yellow"), ("4", "red"), ("304", "cyan"), ("3", "green"))
# The links a newcomer needs from a mail: signing in (members' and the desk's), and continuing to join.
_WAY_IN = re.compile(r"https?://\S+/(?:signin/|join/continue\?)\S+")


def status_colour(status: str) -> str | None:
    """The colour a request log line of this HTTP status is shown in, or None for plain (200, say)."""
    return next((colour for prefix, colour in _STATUS_COLOURS if status.startswith(prefix)), None)


class ConsoleHandler(logging.Handler):
    """Log records to stderr through click: coloured by HTTP status on a terminal, plain elsewhere."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
            colour = status_colour(str(getattr(record, "http_status", "")))
            click.echo(click.style(text, fg=colour) if colour else text, err=True)
        except Exception:  # noqa: BLE001  (logging's own contract: a handler never raises)
            self.handleError(record)


def echo_way_in(path: Path, message: EmailMessage) -> None:
    """Say on the console that a mail was written to the outbox, with the links that sign in or continue.

    Only the demo calls this, and only when no mail server is set (mail goes to .eml files
    on this machine anyway): seeing the link here is the point of a demo on a laptop. It is
    console output, not a log record: production logs never hold such a link.
    """
    links = _WAY_IN.findall(message.get_content())
    click.secho(f"Mail to {message['To']} ({message['Subject']}) written to {path}", fg="cyan")
    for link in links:
        click.echo(f"  open: {link}")


def serve(app: Flask, host: str, port: int) -> None:
    """Serve the app with werkzeug's development server until Ctrl-C, its log on this console."""
    log = logging.getLogger("werkzeug")
    log.setLevel(logging.INFO)
    log.propagate = False  # this handler alone prints it: no second, uncoloured copy from the root logger
    log.addHandler(ConsoleHandler())
    logs.install(log, bool(app.config["LOG_CLIENT_IP"]))  # the new handler scrubs too
    try:
        server = make_server(host, port, app, threaded=True, request_handler=logs.ScrubbingRequestHandler)
    except OSError as exc:
        raise click.ClickException(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None
    click.secho("A development server, for trying syndicate out: in production run gunicorn behind deploy/.",
                fg="red", bold=True)
    click.secho(f"Serving on {app.config['SITE_URL']}/ (Ctrl-C stops it)", fg="green", bold=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
