"""The web desk: editors write the live blog from a browser, through the same editorial service as the API."""
from flask import Blueprint, Flask

bp = Blueprint("desk", __name__, url_prefix="/desk", static_folder="static", static_url_path="/static")


def init_app(app: Flask) -> None:
    from . import views  # noqa: F401  (routes register on import)

    app.register_blueprint(bp)
