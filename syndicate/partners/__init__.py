"""Partner syndication: keyed full-text change feeds with tombstones, and WebSub pings."""
from flask import Blueprint, Flask

bp = Blueprint("partners", __name__)


def init_app(app: Flask) -> None:
    from ..extensions import csrf
    from . import cli, views, websub  # noqa: F401  (routes register on import)

    csrf.exempt(bp)
    app.register_blueprint(bp)
    app.cli.add_command(cli.partners)
    websub.init_app(app)
