"""/metrics in Prometheus's text format: requests, latency, caches, the mail outbox, webhooks, partner pulls.

Counters live in this module, one set per process. Under gunicorn with several
workers, set PROMETHEUS_MULTIPROC_DIR to an empty directory (emptied before
each start) and every worker writes there; /metrics then adds all workers up,
whichever worker answers. Without it, each answer covers only the worker that
gave it. The outbox depth is read from the database at scrape time, so it is
the same from every worker.
"""
from __future__ import annotations

import hmac
import os
import time

from flask import Flask, Response, abort, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

from .errors import APIError

REQUESTS = Counter("syndicate_requests", "Requests answered, by endpoint, method and status.",
                   ["endpoint", "method", "status"])
LATENCY = Histogram("syndicate_request_seconds", "Time to answer a request, by endpoint.", ["endpoint"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
# For the page and feed caches: CACHE.labels(cache="feed", result="hit").inc() (result: hit or miss).
CACHE = Counter("syndicate_cache", "Cache lookups, by cache and result (hit or miss).", ["cache", "result"])
WEBHOOKS = Counter("syndicate_stripe_webhooks", "Stripe webhook events, by type and outcome.", ["type", "outcome"])
PARTNER_PULLS = Counter("syndicate_partner_pulls", "Partner pulls of the syndication feed, by format.", ["format"])
MAIL = Counter("syndicate_mail", "Outbox delivery attempts, by outcome.", ["outcome"])

# Label values come from fixed sets, so no request can add a series: anything else is "other".
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _method_label() -> str:
    return request.method if request.method in METHODS else "other"


def _endpoint_label() -> str:
    """A routed endpoint's name (a set fixed when the app is made), else "unmatched"."""
    return request.endpoint if request.endpoint in current_app.view_functions else "unmatched"


class _OutboxDepth:
    """The number of mails waiting, read when scraped (from the database: the same for every worker)."""

    def __init__(self, app: Flask):
        self.app = app

    def collect(self):
        from .members import outbox

        family = GaugeMetricFamily("syndicate_outbox_depth", "Mails waiting in the outbox to be sent.")
        try:
            family.add_metric([], outbox.depth())
        except Exception:  # noqa: BLE001 (the database is down: say nothing rather than fail the scrape)
            return []
        return [family]


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY

        registry = REGISTRY
    return registry


def init_app(app: Flask) -> None:
    @app.before_request
    def _start_clock():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response):
        endpoint = _endpoint_label()
        REQUESTS.labels(endpoint, _method_label(), str(response.status_code)).inc()
        started = g.get("metrics_started")
        if started is not None:
            LATENCY.labels(endpoint).observe(time.perf_counter() - started)
        return response

    @app.get("/metrics")
    def metrics():
        token = current_app.config["METRICS_TOKEN"]
        if not token:
            abort(404)
        auth = request.authorization
        given = auth.token if auth is not None and auth.type == "bearer" and auth.token else ""
        if not hmac.compare_digest(given.encode("utf-8", "surrogatepass"), str(token).encode()):
            raise APIError(401, "Send the metrics token as 'Authorization: Bearer <token>'.")
        registry = _registry()
        output = generate_latest(registry)
        depth = CollectorRegistry()
        depth.register(_OutboxDepth(current_app._get_current_object()))
        output += generate_latest(depth)
        response = Response(output, content_type=CONTENT_TYPE_LATEST)
        response.headers["Cache-Control"] = "no-store"
        return response
