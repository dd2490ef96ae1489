"""One place decides how an error reaches a client: JSON for programs, HTML for people."""
import logging

from flask import Flask, jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import db

log = logging.getLogger(__name__)

_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
    422: "invalid", 429: "rate_limited", 500: "internal_error",
}
FEED_SUFFIXES = (".atom", ".rss", ".json")


class APIError(HTTPException):
    """An error with the project's JSON shape; raise it from anywhere below a view."""

    def __init__(self, status: int, message: str, *, code: str | None = None, fields: dict | None = None,
                 headers: dict | None = None):
        super().__init__(description=message)
        self.code = status
        self.error_code = code or _CODES.get(status, "error")
        self.fields = fields or {}
        self.extra_headers = headers or {}


def error_body(status: int, message: str, code: str | None = None, fields: dict | None = None) -> dict:
    body = {"code": code or _CODES.get(status, "error"), "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def wants_json() -> bool:
    """Programs (the API, feed readers, Stripe, partners) get JSON; browsers get pages."""
    path = request.path
    return path.startswith(("/api/", "/syndication/", "/stripe/")) or path.endswith(FEED_SUFFIXES)


def _respond(exc: HTTPException):
    status = exc.code or 500
    message = exc.description or ""
    headers = dict(getattr(exc, "extra_headers", {}) or {})
    if wants_json():
        response = jsonify(error_body(status, message, getattr(exc, "error_code", None), getattr(exc, "fields", None)))
    else:
        response = make_response(render_template("error.html", status=status, message=message))
    response.status_code = status
    for key, value in headers.items():
        response.headers[key] = value
    if status == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    response.headers["Cache-Control"] = "no-store" if status >= 500 else "no-cache"
    return response


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return _respond(exc)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _respond(InternalServerError("Something went wrong on our side. It has been logged."))
