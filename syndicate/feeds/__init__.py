"""Feeds in RSS 2.0, Atom 1.0 and JSON Feed 1.1, from one definition each."""
from flask import Blueprint, Flask

bp = Blueprint("feeds", __name__)


def init_app(app: Flask) -> None:
    from . import views  # noqa: F401  (routes register on import)

    app.register_blueprint(bp)
