"""Feeds in RSS 2.0, Atom 1.0 and JSON Feed 1.1, from one definition each."""
from flask import Blueprint, Flask

bp = Blueprint("feeds", __name__)


def init_app(app: Flask) -> None:
    from ..extensions import limiter
    from . import views  # noqa: F401  (routes register on import)

    # Feeds are served from the render cache; readers that poll are not who rate limits are for.
    limiter.exempt(bp)
    app.register_blueprint(bp)
