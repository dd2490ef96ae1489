"""One place decides how an error reaches a client: JSON for programs, HTML for people."""
import logging
import time

from flask import Flask, Request, g, jsonify, make_response, render_template, request
from flask_babel import gettext as _, lazy_gettext
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import db

log = logging.getLogger(__name__)

_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
    422: "invalid", 429: "rate_limited", 500: "internal_error", 503: "unavailable",
}
RETRY_AFTER_SECONDS = 5
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


class SafeBodyRequest(Request):
    """Flask's request, where a body that cannot be read is the client's 400, on every route."""

    # gunicorn and werkzeug raise their own errors (OSError kinds, gunicorn's ParseException) for malformed
    # chunked encoding or a client that stops sending; left alone, CSRF's form parsing made them 500s.

    def _load_form_data(self) -> None:
        try:
            super()._load_form_data()
        except HTTPException:
            raise
        except Exception as exc:  # noqa: BLE001 (only the client's bytes are read here)
            raise _unreadable() from exc

    def get_data(self, *args, **kwargs):
        try:
            return super().get_data(*args, **kwargs)
        except HTTPException:
            raise
        except Exception as exc:  # noqa: BLE001 (as above)
            raise _unreadable() from exc


def _unreadable() -> APIError:
    return APIError(400, _("The request body could not be read."), code="bad_request")


def error_body(status: int, message: str, code: str | None = None, fields: dict | None = None) -> dict:
    body = {"code": code or _CODES.get(status, "error"), "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def wants_json() -> bool:
    """Programs (the API, feed readers, Stripe, partners) get JSON; people's browsers get pages.

    A browser says so in Accept (text/html first); a program's */* is not taken for that.
    """
    path = request.path
    if not (path.startswith(("/api/", "/syndication/", "/stripe/", "/metrics")) or path.endswith(FEED_SUFFIXES)):
        return False
    accept = request.accept_mimetypes
    return accept.best_match(["application/json", "text/html"]) != "text/html"


def realm() -> str:
    """Who a 401 asks to authenticate: editors on the API, partners on syndication, members elsewhere."""
    path = request.path
    if path.startswith("/api/"):
        return "editors"
    if path.startswith("/syndication/"):
        return "partners"
    if path == "/metrics":
        return "metrics"
    return "members"


def _www_authenticate(given: str | None) -> str:
    """The challenge every 401 carries; an error="..." the raiser gave is kept."""
    challenge = f'Bearer realm="{realm()}"'
    if given and 'error="' in given:
        challenge += ", error=" + given.split('error=', 1)[1].split(",")[0].strip()
    return challenge


# What a person is told where the error came with only Werkzeug's own (English) description.
PLAIN_WORDS = {
    400: lazy_gettext("The request could not be understood."),
    401: lazy_gettext("This is for members. Sign in, or become a member, to read it."),
    403: lazy_gettext("This is not open to you."),
    404: lazy_gettext("There is nothing at this address."),
    405: lazy_gettext("This address does not answer that kind of request."),
    413: lazy_gettext("What was sent is too large."),
    429: lazy_gettext("Too many requests in a short time. Please wait a little and try again."),
}


def _page_words(exc: HTTPException, status: int) -> str:
    """The message on the HTML page: the raiser's own, else plain words in the page's language."""
    message = str(exc.description or "")
    if message and message != type(exc).description:
        return message
    return str(PLAIN_WORDS.get(status, lazy_gettext("Something went wrong on our side. It has been logged.")
                              if status >= 500 else lazy_gettext("That request did not work.")))


def _page_language() -> str:
    """The error page's language: its page's (named by the view), else its address's, /ru/ included where no
    page matched, else the site's default."""
    from . import i18n, languages

    if not g.get("page_lang") and not (request.view_args or {}).get("lang"):
        first = request.path.lstrip("/").split("/", 1)[0]
        if first in languages.others():
            i18n.use(first)
    return i18n.current()


def _respond(exc: HTTPException):
    status = exc.code or 500
    message = str(exc.description or "")
    headers = dict(getattr(exc, "extra_headers", {}) or {})
    if wants_json():
        response = jsonify(error_body(status, message, getattr(exc, "error_code", None), getattr(exc, "fields", None)))
    else:
        page_lang = _page_language()
        response = make_response(render_template("error.html", status=status, message=_page_words(exc, status),
                                                 page_lang=page_lang))
    response.status_code = status
    for key, value in headers.items():
        response.headers[key] = value
    if status == 401:
        response.headers["WWW-Authenticate"] = _www_authenticate(headers.get("WWW-Authenticate"))
    if status == 429 and "Retry-After" not in headers:
        response.headers["Retry-After"] = _rate_limit_retry_after()
    if status == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    response.headers["Cache-Control"] = "no-store" if status >= 500 else "no-cache"
    return response


def _rate_limit_retry_after() -> str:
    """Seconds until the breached rate limit's window lets the client in again (a minute if unknown)."""
    from .extensions import limiter

    try:
        current = limiter.current_limit
        if current is not None:
            return str(max(1, int(current.reset_at - time.time())))
    except Exception:  # noqa: BLE001 (the limit's storage failed meanwhile: a plain guess will do)
        pass
    return "60"


def _database_trouble() -> tuple[type[BaseException], ...]:
    """What a database that is down, slow or locked raises: through SQLAlchemy or straight from a driver."""
    import sqlite3

    from sqlalchemy import exc as sa

    kinds: list[type[BaseException]] = [sa.OperationalError, sa.InterfaceError, sa.TimeoutError,
                                        sqlite3.OperationalError]
    try:
        import psycopg
    except ImportError:
        pass
    else:
        kinds += [psycopg.OperationalError, psycopg.InterfaceError]
    return tuple(kinds)


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def database_unavailable(exc: BaseException):
    """503 with Retry-After and one log line: the database is unreachable, too slow or locked."""
    from .logs import escape_path

    try:
        db.session.rollback()  # not a write boundary: ends whatever the failed request left open
    except Exception:  # noqa: BLE001 (the connection may be gone; the pool replaces it)
        db.session.remove()
    log.warning("database unavailable on %s %s: %s: %s", request.method, escape_path(request.path),
                type(exc).__name__, _first_line(exc))
    from flask import g

    from .access import ANONYMOUS

    g.reader = ANONYMOUS  # the error page must not ask the database who is reading
    error = APIError(503, _("The service is briefly unavailable. Please try again in a few seconds."),
                     headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    try:
        return _respond(error)
    except Exception:  # noqa: BLE001 (whatever the page needed failed too: answer plainly)
        response = make_response("Service briefly unavailable. Please try again in a few seconds.\n", 503)
        response.headers.update({"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store",
                                 "Content-Type": "text/plain; charset=utf-8"})
        return response


def refuse_nul() -> None:
    """NUL never names anything here, and PostgreSQL refuses it in text: answer before any view queries.

    404 for a path holding one (no such page), 400 for a parameter or form field.
    """
    if "\x00" in request.path:
        raise APIError(404, _("There is nothing at this address."))
    if any("\x00" in key or "\x00" in value for key, value in request.args.items(multi=True)):
        raise APIError(400, "A parameter holds a NUL character.", code="bad_request")
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data") and any(
            "\x00" in key or "\x00" in value for key, value in request.form.items(multi=True)):
        raise APIError(400, "A form field holds a NUL character.", code="bad_request")


def _release() -> None:
    """An error ends the request's work: roll back, so no write lock is held while the error page renders."""
    try:
        if db.session().in_transaction():
            db.session.rollback()  # not a write boundary: ends a failed request's transaction
    except Exception:  # noqa: BLE001 (a dead connection: the pool replaces it)
        db.session.remove()


def end_transaction(response):
    """After the view: end the request's transaction while its answer can still change.

    A connection lost since the last query (PostgreSQL restarted, the backend terminated) fails here as a
    503 with one log line, rather than in the teardown, where it could only be a 500 and a traceback.
    Writes have committed in their own scope by now, so this only ends reads.
    """
    try:
        if db.session().in_transaction():
            db.session.rollback()  # not a write boundary: every write committed in its scope; this ends reads
    except _database_trouble() as exc:
        return database_unavailable(exc)
    return response


def _let_go(exc: BaseException | None) -> None:
    """Give the session back; the answer is already made, so a failure here is one log line, never a traceback."""
    try:
        db.session.remove()
    except Exception as error:  # noqa: BLE001 (raising here would print a traceback and change nothing)
        # The request itself is gone by now (its line is in the access log).
        log.warning("database connection lost as a request or task ended: %s: %s", type(error).__name__,
                    _first_line(error))
        try:
            db.session.remove()  # the failed close has ended the transaction: this one lets go
        except Exception:  # noqa: BLE001
            db.session.registry.clear()


def init_app(app: Flask) -> None:
    app.request_class = SafeBodyRequest
    app.before_request(refuse_nul)
    # Runs before Flask-SQLAlchemy's own remove() (registered earlier), which would raise. Not a teardown_request:
    # a test_request_context opened to build a link inside other work would end that work's session.
    app.teardown_appcontext(_let_go)
    for kind in _database_trouble():
        app.register_error_handler(kind, database_unavailable)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        _release()
        return _respond(exc)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        from .logs import escape_path

        _release()
        log.exception("unhandled error on %s %s", request.method, escape_path(request.path))
        return _respond(InternalServerError(_("Something went wrong on our side. It has been logged.")))
