"""Reading pages: the live day, articles, the archive, the home page."""
from flask import Blueprint, Flask

bp = Blueprint("content", __name__)


def init_app(app: Flask) -> None:
    from . import views  # noqa: F401  (routes register on import)

    app.register_blueprint(bp)

    from .. import timeutil

    app.add_template_filter(timeutil.iso, "iso")
    app.add_template_filter(timeutil.display, "display")
    app.add_template_filter(lambda moment: timeutil.display_day(timeutil.local_day(moment)), "day_label")
    app.add_template_filter(lambda moment: timeutil.local_day(moment).isoformat(), "local_date")

    @app.after_request
    def _page_headers(response):
        # Pages load nothing from another host; say so to the browser too.
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if response.mimetype == "text/html":
            response.headers.setdefault(
                "Content-Security-Policy",
                "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                "base-uri 'none'; frame-ancestors 'none'",
            )
            response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        return response
