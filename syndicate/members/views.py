"""Pages for joining."""
from flask import current_app, render_template

from . import bp


@bp.get("/join")
def join():
    return render_template("members/join.html", open=bool(current_app.config["STRIPE_SECRET_KEY"]))
