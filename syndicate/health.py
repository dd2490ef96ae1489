"""/healthz (the process answers) and /readyz (it can serve: the database, and Redis when configured)."""
from __future__ import annotations

import logging

from flask import Flask, current_app, jsonify
from sqlalchemy import text

from .config import uses_redis
from .extensions import db, limiter
from .writes import end_read

log = logging.getLogger(__name__)


def _database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        end_read()
        return True
    except Exception as exc:  # noqa: BLE001 (any failure means not ready)
        end_read()
        log.warning("readyz: database not ready: %s", type(exc).__name__)
        return False


def _redis_ok() -> bool | None:
    """None when no Redis is configured; else whether the rate limits' storage answers."""
    if not uses_redis(current_app.config["RATELIMIT_STORAGE_URI"]):
        return None
    try:
        ok = bool(limiter.storage.check())
    except Exception:  # noqa: BLE001
        ok = False
    if not ok:
        log.warning("readyz: Redis not ready")
    return ok


def init_app(app: Flask) -> None:
    @app.get("/healthz")
    @limiter.exempt
    def healthz():
        # Liveness only: touches nothing outside the process, so a database outage never restarts workers.
        return {"status": "ok"}

    @app.get("/readyz")
    @limiter.exempt
    def readyz():
        checks = {"database": _database_ok()}
        redis = _redis_ok()
        if redis is not None:
            checks["redis"] = redis
        ready = all(checks.values())
        response = jsonify({"status": "ok" if ready else "unavailable", "checks": checks})
        response.status_code = 200 if ready else 503
        response.headers["Cache-Control"] = "no-store"
        if not ready:
            response.headers["Retry-After"] = "5"
        return response
