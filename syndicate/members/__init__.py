"""Members: their tokens, how a request proves membership, and joining."""
from flask import Blueprint, Flask

bp = Blueprint("members", __name__)


def init_app(app: Flask) -> None:
    from . import cli, networks, outbox, tiers, views  # noqa: F401  (routes register on import)

    app.register_blueprint(bp)
    outbox.init_app(app)
    networks.init_app(app)
    tiers.init_app(app)

    @app.after_request
    def _token_bearing(response):
        # A page or feed fetched with a token must not pass it on, in the URL or as a Referer.
        from flask import request

        from .auth import presented_token

        if presented_token(request)[0] or request.authorization is not None:
            response.headers["Referrer-Policy"] = "no-referrer"
        return response

    app.cli.add_command(cli.members)
    app.cli.add_command(cli.mail)
    app.cli.add_command(cli.tiers)
