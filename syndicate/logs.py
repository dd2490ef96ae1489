"""Logging that never carries a member token, a key or a sign-in secret, and never a forged line.

Secrets are found the way the app finds them: a query parameter is judged by
its name as werkzeug decodes it (so `?tok%65n=` is `token`), a sign-in link by
its decoded path. Control characters are escaped, so no request can end a log
line early and write one of its own.
"""
import ipaddress
import logging
import re
from urllib.parse import unquote, unquote_plus

from flask import Flask
from werkzeug.serving import WSGIRequestHandler

SCRUBBED = "[scrubbed]"
_SECRET_NAMES = {"token", "key", "api_key", "apikey", "access_token", "auth", "password", "passwd", "secret"}
_SECRET_ENDINGS = ("token", "key", "secret", "password")
# A name=value pair after ?, &, ; or whitespace, in free text (a URL inside a message).
_PAIR = re.compile(r"(?P<lead>^|[?&;\s/])(?P<name>[^=&;\s?/\"']{1,64})=(?P<value>[^&\s\"';]+)")
_SIGNIN = "/signin/"
_URLISH = re.compile(r"[^\s\"']*/[^\s\"']*")
_SIGNIN_TEXT = re.compile(r"(/signin/)[^\s?\"']+")
# C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def secret_name(name: str) -> bool:
    """Whether a parameter, as the app decodes its name, may carry a secret."""
    decoded = unquote_plus(name, errors="replace").strip().lower()
    return decoded in _SECRET_NAMES or decoded.endswith(_SECRET_ENDINGS)


def escape_controls(text: str) -> str:
    """Control characters as visible escapes (\\x0a), so a value can never start a log line of its own."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256 else f"\\u{ord(m.group()):04x}",
                        text)


def scrub_query(query: str) -> str:
    """A raw query string with the value of every secret-named parameter replaced."""
    pairs = query.split("&")
    for i, pair in enumerate(pairs):
        name, sep, value = pair.partition("=")
        if sep and value and secret_name(name):
            pairs[i] = f"{name}={SCRUBBED}"
    return "&".join(pairs)


def scrub_path(path: str) -> str:
    """A path (raw or decoded) with a sign-in link's secret replaced, however it was percent-encoded."""
    decoded = unquote(path, errors="replace")
    at = decoded.find(_SIGNIN)
    if at >= 0 and len(decoded) > at + len(_SIGNIN):
        return decoded[:at] + _SIGNIN + SCRUBBED
    return path


def scrub_target(target: str) -> str:
    """A request target (path?query) fit for a log: secrets scrubbed, controls escaped."""
    path, sep, query = target.partition("?")
    return escape_controls(scrub_path(path) + (sep + scrub_query(query) if sep else ""))


def scrub_request_line(line: str) -> str:
    """'GET /path?query HTTP/1.1' with its target scrubbed."""
    parts = line.split(" ")
    if len(parts) >= 2:
        parts[1] = scrub_target(parts[1])
        return escape_controls(" ".join(parts))
    return scrub_target(line)


def escape_path(path: str) -> str:
    """A request path (decoded, as Flask gives it) for a log line."""
    return escape_controls(scrub_path(path))


def scrub(text: str) -> str:
    """Free text (a log message that may hold URLs) with secrets replaced and controls escaped."""
    def pair(match: re.Match) -> str:
        if secret_name(match.group("name")):
            return f"{match.group('lead')}{match.group('name')}={SCRUBBED}"
        return match.group(0)

    text = _URLISH.sub(lambda m: scrub_target(m.group()), text)  # paths, however percent-encoded
    return escape_controls(_SIGNIN_TEXT.sub(r"\1" + SCRUBBED, _PAIR.sub(pair, text)))


_HIDDEN_ADDRESS = "[address]"
# Runs of hex digits joined by at least two dots or colons: each is then asked whether it is an address.
_ADDRESS = re.compile(r"(?<![\w.:])[0-9A-Fa-f]*(?:[.:][0-9A-Fa-f]*){2,}")


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def hide_addresses(text: str) -> str:
    """Text with every IPv4 or IPv6 address (a port after it kept) replaced."""
    def address(match: re.Match) -> str:
        found = match.group()
        body = found.rstrip(".:")  # the end of a sentence, or of "ip=...:"
        tail = found[len(body):]
        if _is_address(body):
            return _HIDDEN_ADDRESS + tail
        host, _, port = body.rpartition(":")
        if "." in host and _is_address(host):  # 192.0.2.1:8000
            return f"{_HIDDEN_ADDRESS}:{port}{tail}"
        return found

    return _ADDRESS.sub(address, text)


class ScrubFilter(logging.Filter):
    """Rewrites every record it sees: message and arguments merged, then secrets (and, if asked, addresses) removed.

    Attached to loggers and to their handlers, so a record is clean whichever way it arrives:
    gunicorn passes the raw request URI as an argument, and tracebacks quote it too.
    """

    def __init__(self, addresses: bool = True):
        super().__init__()
        self.addresses = addresses

    def clean(self, text: str) -> str:
        text = scrub(text)
        return text if self.addresses else hide_addresses(text)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            try:
                record.msg = record.getMessage()
            except (TypeError, ValueError):
                record.msg = f"{record.msg} {record.args!r}"
            record.args = None
        record.msg = self.clean(str(record.msg))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_info:
            # Formatters print exc_text when it is set; without exc_info none can re-format the raw exception.
            record.exc_info = None
        for field in ("exc_text", "stack_info"):
            text = getattr(record, field, None)
            if text:
                # Line by line: a traceback keeps its shape, and no line can hold a control character.
                setattr(record, field, "\n".join(self.clean(line) for line in text.splitlines()))
        return True


def install(logger: logging.Logger, addresses: bool = True) -> None:
    """Scrub every record of this logger and of each of its handlers (what propagates from elsewhere too)."""
    for owner in (logger, *logger.handlers):
        found = [f for f in owner.filters if isinstance(f, ScrubFilter)]
        if not found:
            owner.addFilter(ScrubFilter(addresses))
        for each in found:
            each.addresses = addresses


# Loggers that write what a request sent: its path and query, or its client's address (Flask-Limiter logs
# the rate-limit key, which is the address).
_LOGGERS = (None, "werkzeug", "flask-limiter", "gunicorn.error", "gunicorn.access")


def init_app(app: Flask) -> None:
    addresses = bool(app.config["LOG_CLIENT_IP"])
    install(app.logger, addresses)
    for name in _LOGGERS:
        install(logging.getLogger(name), addresses)


class ScrubbingRequestHandler(WSGIRequestHandler):
    """The development server's request log, with tokens scrubbed from each line.

    Plain text with the status beside it (`http_status`): werkzeug's own line carries ANSI
    colour codes, which the scrubbing filter escapes into visible "\\x1b[33m" litter.
    A handler that knows its terminal (syndicate.console) may colour by the status.
    """

    def log_request(self, code="-", size="-"):
        status = str(int(code)) if isinstance(code, int) else str(code)
        logging.getLogger("werkzeug").info(
            '%s - - [%s] "%s" %s %s', self.address_string(), self.log_date_time_string(),
            scrub_request_line(self.requestline), status, size, extra={"http_status": status})
