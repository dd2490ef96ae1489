"""GET /media/<id>/<width>.<ext>: a stored size, from the database, cacheable for a year anywhere."""
from __future__ import annotations

from flask import Response, request

from ..errors import APIError
from . import bp, store

# The bytes behind a URL never change (a new upload gets a new id), so every cache may keep them.
IMMUTABLE = "public, max-age=31536000, immutable"


@bp.get("/media/<public_id>/<int:width>.<any(jpg, webp):ext>")
def rendition(public_id: str, width: int, ext: str):
    found = store.find_rendition(public_id, width, ext)
    if found is None:
        raise APIError(404, "There is no such image.")
    response = Response(mimetype="image/" + found.format)
    response.set_etag(found.digest)
    response.headers["Cache-Control"] = IMMUTABLE
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.make_conditional(request)
    if response.status_code == 200:  # the bytes are read only when the client has no copy
        response.set_data(found.data)
    return response
