"""gunicorn settings picked up by a plain `gunicorn wsgi:app` from the project root.

The access log prints the request line, the path, the query string, the
referer and the HTTP Basic user. Member tokens, editor tokens and partner keys
can travel in any of them, so each is scrubbed, judged the way the app parses
it, and control characters are escaped so no request forges a line.

gunicorn's error log quotes requests too ("Error handling request GET /...?token=",
"Invalid request from ip=...: Invalid Request Line '...'"), as an argument and in
tracebacks: every gunicorn logger and handler carries the app's scrubbing filter,
which cleans the message, its arguments and the traceback text. With
SYNDICATE_LOG_CLIENT_IP=false, client addresses leave both logs too.

Each worker also starts the app's background thread (mail outbox, retention purge).
"""
import logging
import os

from gunicorn.glogging import Logger

from syndicate.logs import SCRUBBED, escape_controls, install, scrub_path, scrub_query, scrub_request_line, scrub_target

# The app refuses anything but true or false at start-up; here only "false" needs recognising.
LOG_CLIENT_IP = os.environ.get("SYNDICATE_LOG_CLIENT_IP", "true").strip().lower() != "false"


class ScrubbingLogger(Logger):
    def setup(self, cfg):
        super().setup(cfg)  # (re)makes the handlers: filter them again each time
        named = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)
                 if name.startswith("gunicorn.")]  # gunicorn.http.wsgi too, and any a logconfig made
        for logger in {self.error_log, self.access_log, *named}:
            install(logger, addresses=LOG_CLIENT_IP)

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        scrubbers = {
            "r": scrub_request_line,  # request line
            "U": lambda path: escape_controls(scrub_path(path)),  # path, decoded
            "q": lambda query: escape_controls(scrub_query(query)),  # bare query string
            "f": scrub_target,  # referer: a page that held a token in its URL
            "a": escape_controls,  # user agent
        }
        for key, scrubber in scrubbers.items():
            if isinstance(atoms.get(key), str):
                atoms[key] = scrubber(atoms[key])
        # The Basic user: a token sent as `curl -u TOKEN:` would be printed here.
        if atoms.get("u") not in (None, "-"):
            atoms["u"] = SCRUBBED
        if not LOG_CLIENT_IP:
            atoms["h"] = "-"  # any other address (a forwarded-for header in a custom format) the filter hides
        return atoms


logger_class = ScrubbingLogger


def post_worker_init(worker):
    """Each worker sends the outbox and purges old records from its start, not from its first request."""
    from flask import Flask

    from syndicate import background

    if isinstance(worker.wsgi, Flask):
        background.start(worker.wsgi)


def child_exit(server, worker):
    """With PROMETHEUS_MULTIPROC_DIR set, a worker that exits stops counting in /metrics' live gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


# Headers only a trusted front proxy may set, mapped into the environ: none. gunicorn's default takes
# SCRIPT_NAME from any client on 127.0.0.1, which put its prefix into every link of the cached pages.
forwarder_headers = ""

# Worker model. A request that waits on another service (Stripe, for up to STRIPE_TIMEOUT) holds one
# thread, not a whole worker: with sync workers, two hung Stripe calls held both workers and editors
# and readers queued behind them (benchmarks/hung_stripe.py measures both). The threads of a worker
# share its per-process state, which is locked where it changes: the document cache, the content
# snapshot, the outbox sender, the WebSub publisher, Flask-Limiter's memory storage, prometheus_client.
worker_class = "gthread"
threads = 4
