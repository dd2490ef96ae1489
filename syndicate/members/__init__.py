"""Members: their tokens, how a request proves membership, and joining."""
from flask import Blueprint, Flask

bp = Blueprint("members", __name__)


def init_app(app: Flask) -> None:
    from . import cli, views  # noqa: F401  (routes register on import)

    app.register_blueprint(bp)
    app.cli.add_command(cli.members)
    app.cli.add_command(cli.tiers)
