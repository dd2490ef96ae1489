"""Idempotency-Key on the API's POSTs and PATCH (and the desk's forms): a retried request gets the first answer.

The answer is stored in the transaction that makes the change, so a client
whose connection dropped after the commit learns what happened by sending the
same request again, and a change is never made twice. Keys are per editor and
bound to the request they first came with: the same key on another request is
refused rather than answered with something unrelated. Answers are kept
for a week (KEEP), then cleared by later writes.

A retry can also overlap the first request: it waits for the write lock while
the first one works, then finds the change made (a slug taken, an entry already
withdrawn) or the key taken. Either way, once the first request has committed,
its answer is the retry's answer.
"""
from __future__ import annotations

import hashlib
import json
import re
from functools import wraps

from datetime import timedelta

from flask import g, request
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from .. import timeutil
from ..errors import APIError
from ..extensions import db
from ..models import IdempotentRequest
from ..writes import content_write, private_write

KEY = re.compile(r"[\x21-\x7e]{1,255}")
HEADER = "Idempotency-Key"
# How long a first answer is kept for retries: far longer than any client's retrying, and bounded.
KEEP = timedelta(days=7)


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\n".join([method.encode(), path.encode("utf-8", "surrogatepass"), body])).hexdigest()


def earlier(editor_id: int, key: str, print_: str) -> tuple[int, dict, dict] | None:
    """The stored (status, body, headers) for this key, or None; a key reused for another request is a 422."""
    row = db.session.scalar(
        select(IdempotentRequest).where(IdempotentRequest.editor_id == editor_id, IdempotentRequest.key == key)
    )
    if row is None:
        return None
    if row.fingerprint != print_:
        raise APIError(422, "This Idempotency-Key was sent before with a different request.",
                       code="idempotency_key_reused", fields={HEADER: "was used for another request"})
    return row.status, json.loads(row.body), json.loads(row.headers or "{}")


def run_once(editor_id: int, key: str, print_: str, action) -> tuple[int, dict, bool]:
    """Run action() -> (status, body) once per key: (status, body, replayed)."""
    status, body, _, replayed = run_once_with_headers(editor_id, key, print_, lambda: (*action(), {}))
    return status, body, replayed


def run_once_with_headers(editor_id: int, key: str, print_: str, action) -> tuple[int, dict, dict, bool]:
    """Run action() -> (status, body, headers) once per key: (status, body, headers, replayed).

    Only the headers the answer names (an ETag, say) are kept and replayed with it.
    """
    stored = earlier(editor_id, key, print_)
    if stored is not None:
        return (*stored, True)
    try:
        # Deferred: the unit begins with the service the action calls, so the action's parsing holds no lock;
        # the change and its stored answer commit together, or neither does.
        with content_write(deferred=True):
            status, body, headers = action()
            if 200 <= status < 400:
                with private_write():  # joins the change's unit
                    expired = IdempotentRequest.created_at < timeutil.now() - KEEP
                    db.session.execute(delete(IdempotentRequest).where(expired))
                    db.session.add(IdempotentRequest(
                        editor_id=editor_id, key=key, fingerprint=print_, status=status, body=json.dumps(body),
                        headers=json.dumps(headers) if headers else None))
    except (IntegrityError, APIError):
        # Refused (409, 412) or colliding on the key because a concurrent request with this key
        # committed while this one waited for the write lock: this one changed nothing (the scope
        # rolled back), and the first one's answer is the answer. With no stored answer, the refusal stands.
        stored = earlier(editor_id, key, print_)
        if stored is None:
            raise
        return (*stored, True)
    return status, body, headers, False


def idempotent(view):
    """Decorate an API view (which returns a body, or (body, status)) to honour Idempotency-Key."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        if not KEY.fullmatch(key):
            raise APIError(400, f"The {HEADER} must be 1 to 255 visible ASCII characters.")

        def action():
            answer = view(*args, **kwargs)
            if not isinstance(answer, tuple):
                return 200, answer, {}
            body, status, *headers = answer
            return status, body, dict(headers[0]) if headers else {}

        print_ = fingerprint(request.method, request.path, request.get_data(cache=True))
        status, body, headers, replayed = run_once_with_headers(g.editor.id, key, print_, action)
        return body, status, ({**headers, "Idempotent-Replayed": "true"} if replayed else headers)

    return wrapper
