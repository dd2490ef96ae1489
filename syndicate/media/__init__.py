"""Pictures: uploaded through the API, re-encoded without metadata, kept in the database, served immutable.

For pages and feeds: `find(public_id)` gives an Image, `urls(image)` what an <img> or an
enclosure needs (src, srcset, width, height, type, length).
"""
from flask import Blueprint, Flask

from ..config import ConfigError

bp = Blueprint("media", __name__)
api_bp = Blueprint("media_api", __name__, url_prefix="/api")

DEFAULTS = {
    "MEDIA_MAX_BYTES": 20 * 1024 * 1024,  # the largest upload taken (20 MiB)
    "MEDIA_MAX_PIXELS": 40_000_000,  # the largest picture decoded, read from its header first
}


def init_app(app: Flask) -> None:
    for name, value in DEFAULTS.items():
        app.config.setdefault(name, value)  # SYNDICATE_MEDIA_* from the environment comes first
        if not isinstance(app.config[name], int) or app.config[name] < 1:
            raise ConfigError(f"SYNDICATE_{name} must be a positive integer")

    from ..extensions import csrf
    from . import api, store, views  # noqa: F401  (routes register on import)

    csrf.exempt(api_bp)  # authenticated by bearer token, never by cookie
    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    app.add_template_global(store.urls, "image_urls")  # what a page's <img> needs, in templates


from .store import find, urls  # noqa: E402  (the helpers pages and feeds use)

__all__ = ["find", "urls", "init_app"]
