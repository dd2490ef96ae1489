"""gunicorn settings picked up by a plain `gunicorn wsgi:app` from the project root.

The access log prints the request line, the path, the query string, the
referer and the HTTP Basic user. Member tokens, editor tokens and partner keys
can travel in any of them, so each is scrubbed, judged the way the app parses
it, and control characters are escaped so no request forges a line.
"""
from gunicorn.glogging import Logger

from syndicate.logs import SCRUBBED, escape_controls, scrub, scrub_path, scrub_query, scrub_request_line, scrub_target


class ScrubbingLogger(Logger):
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
        return atoms

    def error(self, msg, *args, **kwargs):
        super().error(scrub(str(msg)), *args, **kwargs)


logger_class = ScrubbingLogger


def child_exit(server, worker):
    """With PROMETHEUS_MULTIPROC_DIR set, a worker that exits stops counting in /metrics' live gauges."""
    import os

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


# Worker model. A request that waits on another service (Stripe, for up to STRIPE_TIMEOUT) holds one
# thread, not a whole worker: with sync workers, two hung Stripe calls held both workers and editors
# and readers queued behind them (benchmarks/hung_stripe.py measures both). The threads of a worker
# share its per-process state, which is locked where it changes: the document cache, the content
# snapshot, the outbox sender, the WebSub publisher, Flask-Limiter's memory storage, prometheus_client.
worker_class = "gthread"
threads = 4
