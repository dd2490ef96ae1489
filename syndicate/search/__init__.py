"""Search: the index kept with the entries (index), running a search (query), the page (views)."""
from flask import Blueprint, Flask

bp = Blueprint("search", __name__)


def init_app(app: Flask) -> None:
    from . import views  # noqa: F401  (routes register on import)

    app.register_blueprint(bp)
