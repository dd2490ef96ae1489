"""Members: their tokens, how a request proves membership, and joining."""
from flask import Blueprint, Flask

bp = Blueprint("members", __name__)


def init_app(app: Flask) -> None:
    from . import cli, outbox, views  # noqa: F401  (routes register on import)

    app.register_blueprint(bp)
    outbox.init_app(app)
    app.cli.add_command(cli.members)
    app.cli.add_command(cli.mail)
    app.cli.add_command(cli.tiers)
