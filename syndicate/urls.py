"""Absolute links, from SYNDICATE_SITE_URL when set, else from the request."""
from flask import current_app, has_request_context, request, url_for

# Where `syndicate demo` serves: the base for links made outside a request when SITE_URL is unset.
DEVELOPMENT_ROOT = "http://127.0.0.1:5000"


def site_root() -> str:
    if current_app.config["SITE_URL"]:
        return current_app.config["SITE_URL"]
    return request.host_url.rstrip("/") if has_request_context() else DEVELOPMENT_ROOT


def absolute(endpoint: str, **values) -> str:
    if not has_request_context():
        with current_app.test_request_context(base_url=site_root()):
            return site_root() + url_for(endpoint, **values)
    return site_root() + url_for(endpoint, **values)
