"""Feeds in RSS 2.0, Atom 1.0 and JSON Feed 1.1, from one definition each."""
from flask import Blueprint, Flask

bp = Blueprint("feeds", __name__)


def init_app(app: Flask) -> None:
    from . import views  # noqa: F401  (routes register on import)

    # No rate limit on feeds: readers poll, and a cached feed costs less than counting would.
    # (There are no default limits, so nothing applies; marking the blueprint exempt costs more per request.)
    app.register_blueprint(bp)
