"""Absolute links, always from SYNDICATE_SITE_URL: never from a request's Host or X-Forwarded-Host."""
from flask import current_app, has_request_context, url_for


def site_root() -> str:
    return current_app.config["SITE_URL"]


def absolute(endpoint: str, **values) -> str:
    if not has_request_context():
        with current_app.test_request_context(base_url=site_root()):
            return site_root() + url_for(endpoint, **values)
    return site_root() + url_for(endpoint, **values)


class RootScript:
    """Serves the app at its root whatever a server or request says: SCRIPT_NAME, which url_for puts before
    every path, is always empty (any prefix belongs in SITE_URL).

    gunicorn takes SCRIPT_NAME from a request header of that name; a page rendered for that request and cached
    would hand its links to everyone. This only mends the environ: it answers nothing itself.
    """

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        # The path asked for, whole: a request for /poison/x is not served as /x.
        environ["PATH_INFO"] = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        environ["SCRIPT_NAME"] = ""
        return self.wsgi_app(environ, start_response)
