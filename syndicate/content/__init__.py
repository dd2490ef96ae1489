"""Reading pages: the live day, articles, the archive, the home page."""
from flask import Blueprint, Flask

bp = Blueprint("content", __name__)


def init_app(app: Flask) -> None:
    from . import state, views  # noqa: F401  (routes register on import)

    app.register_blueprint(bp)
    state.init_app(app)

    from .. import i18n, timeutil

    @app.context_processor
    def _reader():
        from flask import has_request_context

        from ..desk.auth import signed_in as desk_signed_in
        from ..members.auth import current_reader

        # Mail is rendered outside requests too (members sync): it has no reader.
        if not has_request_context():
            return {}
        return {"reader": current_reader(), "desk_signed_in": desk_signed_in()}

    app.add_template_filter(timeutil.iso, "iso")
    app.add_template_filter(timeutil.display, "display")
    app.add_template_filter(lambda moment: timeutil.display_day(timeutil.local_day(moment)), "day_label")
    app.add_template_filter(lambda moment: timeutil.local_day(moment).isoformat(), "local_date")
    app.add_template_filter(timeutil.display_day, "day_text")
    # A region's name in the language being rendered (the page's, or the desk's).
    app.add_template_global(lambda region: region.name_in(i18n.current()), "region_name")

    @app.after_request
    def _page_headers(response):
        # Pages load nothing from another host; say so to the browser too.
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", _csp(app))
            response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        return response


def _csp(app: Flask) -> str:
    """Pages load nothing from elsewhere; forms may only lead here or to Stripe's hosted pages.

    Browsers apply form-action to the redirect after a POST, so /join's 303 to
    Checkout and /account's to the billing portal must be allowed by name.
    """
    targets = ["'self'", "https://checkout.stripe.com", "https://billing.stripe.com"]
    base = app.config["STRIPE_API_BASE"]
    if base:  # an emulator serves the hosted pages itself
        from urllib.parse import urlsplit

        parts = urlsplit(base)
        targets.append(f"{parts.scheme}://{parts.netloc}")
    # Scripts only from here (the live day's "new updates" offer), and they may only ask this host.
    return ("default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; "
            "form-action " + " ".join(targets)
            + "; base-uri 'none'; frame-ancestors 'none'")
