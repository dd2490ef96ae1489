"""Reading editors' JSON: malformed bodies are 400, wrong fields 422 with every problem named."""
from __future__ import annotations

import json
import re
import unicodedata
from datetime import datetime, timedelta

from flask import request

from .. import timeutil
from ..errors import APIError
from ..text import clean_text

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*\Z")
# BCP 47, loosely: a primary language subtag and optional subtags.
MEDIA_ID = re.compile(r"[A-Za-z0-9]{1,32}")
LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*\Z")


def json_body() -> dict:
    """The request body as a JSON object, or a 400 that says what is wrong."""
    raw = request.get_data(cache=True)  # raises 413 past MAX_CONTENT_LENGTH
    try:
        # Decoded strictly: json.loads(bytes) would let UTF-8-encoded lone surrogates through.
        data = json.loads(raw.decode(json.detect_encoding(raw)))
    except RecursionError:
        raise APIError(400, "The JSON body is nested too deeply.") from None
    except (ValueError, UnicodeDecodeError):
        raise APIError(400, "The body must be a JSON object.") from None
    if not isinstance(data, dict):
        raise APIError(400, "The body must be a JSON object.")
    return data


class Fields:
    """Collects field errors so an editor learns about every problem in one answer."""

    def __init__(self, data: dict, allowed: set[str]):
        self.data = data
        self.errors: dict[str, str] = {}
        for key in data:
            if key not in allowed:
                self.errors[key] = "is not a field of this request"

    def has(self, name: str) -> bool:
        return name in self.data

    def text(self, name: str, *, required=False, max_len=300, allow_empty=False) -> str | None:
        value = self.data.get(name)
        if value is None:
            if required:
                self.errors[name] = "is required"
            return None
        if not isinstance(value, str):
            self.errors[name] = "must be a string"
            return None
        # What is stored: without the characters XML cannot carry, so "\x00" alone is empty.
        value = clean_text(value).strip()
        if not value and not allow_empty:
            self.errors[name] = "must not be empty"
            return None
        if len(value) > max_len:
            self.errors[name] = f"must be at most {max_len} characters"
            return None
        return value

    def line(self, name: str, *, max_len: int) -> str | None:
        """One line of printed text (a byline): control characters refused, not dropped; empty means none."""
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            self.errors[name] = "must be a string"
            return None
        if any(unicodedata.category(c) in ("Cc", "Cs") or c in "\u2028\u2029" for c in value):
            self.errors[name] = "must be one line, without control characters"
            return None
        value = " ".join(value.split())
        if len(value) > max_len:
            self.errors[name] = f"must be at most {max_len} characters"
            return None
        return value

    def media_id(self, name: str) -> str | None:
        """An image's public id as POST /api/media gave it; whether it exists is the service's question."""
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, str) or not MEDIA_ID.fullmatch(value):
            self.errors[name] = "must be an image id from POST /api/media"
            return None
        return value

    def pattern(self, name: str, regex: re.Pattern, hint: str, **kw) -> str | None:
        value = self.text(name, **kw)
        if value is not None and not regex.match(value):
            self.errors[name] = hint
            return None
        return value

    def choice(self, name: str, options: tuple[str, ...], default: str) -> str:
        value = self.data.get(name, default)
        if value not in options:
            self.errors[name] = "must be one of: " + ", ".join(options)
            return default
        return value

    def flag(self, name: str, default: bool | None = None) -> bool | None:
        value = self.data.get(name, default)
        if value is not None and not isinstance(value, bool):
            self.errors[name] = "must be true or false"
            return default
        return value

    def instant(self, name: str, *, not_after_now=False) -> datetime | None:
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, str) or len(value) > 64:
            self.errors[name] = "must be an RFC 3339 timestamp with an offset"
            return None
        try:
            moment = timeutil.parse_instant(value)
        except OverflowError:  # e.g. 0001-01-01T00:00:00+14:00 is before datetime.min in UTC
            self.errors[name] = "is out of range"
            return None
        except ValueError as exc:
            message = str(exc) if str(exc).startswith("needs a time zone offset") else \
                "must be an RFC 3339 timestamp with an offset"
            self.errors[name] = message
            return None
        if moment.year < 1900:
            self.errors[name] = "is too far in the past"
            return None
        if moment.year > 9000:  # 9999-12-31T23:59Z has no newsroom-local time to show it in
            self.errors[name] = "is too far in the future"
            return None
        if not_after_now and moment > timeutil.now() + timedelta(minutes=5):
            self.errors[name] = "is in the future: syndicate publishes at once and does not schedule"
            return None
        return moment

    def slugs(self, name: str) -> list[str] | None:
        value = self.data.get(name)
        if value is None:
            return None
        if (not isinstance(value, list) or len(value) > 50
                or not all(isinstance(v, str) and len(v) <= 64 for v in value)):
            self.errors[name] = "must be a list of region slugs"
            return None
        return list(dict.fromkeys(value))

    def check(self) -> None:
        if self.errors:
            raise APIError(422, "Some fields are not valid.", fields=self.errors)
