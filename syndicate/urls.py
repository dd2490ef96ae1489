"""Absolute links, from SYNDICATE_SITE_URL when set, else from the request."""
from flask import current_app, request, url_for


def site_root() -> str:
    return current_app.config["SITE_URL"] or request.host_url.rstrip("/")


def absolute(endpoint: str, **values) -> str:
    return site_root() + url_for(endpoint, **values)
