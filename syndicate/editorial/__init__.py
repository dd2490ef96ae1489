"""The editorial API and the editors' command line."""
from flask import Blueprint, Flask

bp = Blueprint("api", __name__, url_prefix="/api")


def init_app(app: Flask) -> None:
    from ..extensions import csrf
    from . import api, cli  # noqa: F401  (routes register on import)

    csrf.exempt(bp)  # authenticated by bearer token, never by cookie
    app.register_blueprint(bp)
    cli.init_app(app)
