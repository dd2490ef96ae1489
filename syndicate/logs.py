"""Logging that never carries a member token or a sign-in secret."""
import logging
import re

from flask import Flask
from werkzeug.serving import WSGIRequestHandler

_SECRET_PARAM = re.compile(r"((?:^|[?&;\s/])(?:token|key)=)[^&\s\"';]+", re.IGNORECASE)
_SIGNIN_PATH = re.compile(r"(/signin/)[^\s?\"']+")


def scrub(text: str) -> str:
    """Replace token values in a URL or log line with a placeholder."""
    return _SIGNIN_PATH.sub(r"\1[scrubbed]", _SECRET_PARAM.sub(r"\1[scrubbed]", text))


class ScrubFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg = record.getMessage()
            record.args = None
        record.msg = scrub(str(record.msg))
        return True


def install(logger: logging.Logger) -> None:
    if not any(isinstance(f, ScrubFilter) for f in logger.filters):
        logger.addFilter(ScrubFilter())
    for handler in logger.handlers:
        if not any(isinstance(f, ScrubFilter) for f in handler.filters):
            handler.addFilter(ScrubFilter())


def init_app(app: Flask) -> None:
    install(app.logger)
    install(logging.getLogger("werkzeug"))
    install(logging.getLogger())


class ScrubbingRequestHandler(WSGIRequestHandler):
    """The development server's request log, with tokens scrubbed from each line."""

    def log_request(self, code="-", size="-"):
        self.requestline = scrub(self.requestline)
        super().log_request(code, size)
