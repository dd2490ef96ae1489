"""POST /api/media: an editor uploads a picture; it is decoded, cleaned and stored, or refused with a reason."""
from __future__ import annotations

from flask import current_app, g, request
from werkzeug.exceptions import RequestEntityTooLarge

from ..editorial.auth import require_editor
from ..editorial.validate import Fields
from ..errors import APIError
from ..extensions import limiter
from . import api_bp, store
from ..writes import end_read
from .process import Unusable, process

# Room in the body for the form's other fields and the multipart boundaries, beyond the file itself.
FORM_ALLOWANCE = 64 * 1024

# The API's one budget per address covers uploads too.
limiter.shared_limit(lambda: current_app.config["API_RATE_LIMIT"], scope="api")(api_bp)


@api_bp.url_value_preprocessor
def _editor_then_body(endpoint, values):
    """Who is asking is settled before a byte of the body is read; only then is the upload's size allowed.

    This hook runs ahead of the app's before_request hooks, one of which reads the form
    (under the API's 1 MiB MAX_CONTENT_LENGTH, too small for a photo).
    """
    require_editor()
    limit = current_app.config["MEDIA_MAX_BYTES"]
    request.max_content_length = limit + FORM_ALLOWANCE
    try:
        request.form  # noqa: B018  (parsed here, so a body over the limit is refused with our reason)
    except RequestEntityTooLarge:
        raise APIError(413, f"The upload is larger than {_megabytes(limit)} MB.") from None


@api_bp.post("/media")
def upload():
    if request.mimetype != "multipart/form-data":
        raise APIError(415, "Send the image as multipart/form-data, in a field named 'file'.")
    f = Fields(request.form.to_dict(), {"alt", "caption", "credit"})
    alt = f.text("alt", required=True, max_len=1000)
    caption = f.text("caption", max_len=2000)
    credit = f.text("credit", max_len=300)
    data = _file_bytes(f)
    f.check()

    editor_id = g.editor.id
    end_read()  # no transaction stays open while the picture is decoded
    try:
        renditions = process(data, current_app.config["MEDIA_MAX_PIXELS"])
    except Unusable as exc:
        raise APIError(exc.status, exc.reason, fields={"file": exc.reason}) from None
    image = store.save(renditions, alt=alt, caption=caption, credit=credit, editor_id=editor_id)
    shown = store.urls(image)
    body = {"id": image.public_id, "url": shown["src"], "width": image.width, "height": image.height,
            "alt": image.alt, "caption": image.caption, "credit": image.credit, "srcset": shown["srcset"]}
    return body, 201, {"Location": shown["src"]}


def _file_bytes(f: Fields) -> bytes | None:
    """The uploaded file's bytes, or None with the reason noted in the form's errors."""
    upload = request.files.get("file")
    if upload is None:
        f.errors["file"] = "is required: attach the image as a file field named 'file'"
        return None
    limit = current_app.config["MEDIA_MAX_BYTES"]
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise APIError(413, f"The image is larger than {_megabytes(limit)} MB.", fields={"file": "is too large"})
    if not data:
        f.errors["file"] = "is empty"
        return None
    return data


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):g}"
