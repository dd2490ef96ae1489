"""Absolute links, always from SYNDICATE_SITE_URL: never from a request's Host or X-Forwarded-Host."""
from flask import current_app, has_request_context, url_for


def site_root() -> str:
    return current_app.config["SITE_URL"]


def absolute(endpoint: str, **values) -> str:
    if not has_request_context():
        with current_app.test_request_context(base_url=site_root()):
            return site_root() + url_for(endpoint, **values)
    return site_root() + url_for(endpoint, **values)
