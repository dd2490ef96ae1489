"""The editorial API described in OpenAPI 3.1, served at /api/openapi.json."""
from __future__ import annotations

from functools import lru_cache


def _error_response(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


_ERRORS = {
    "400": _error_response("The body is not a JSON object."),
    "401": _error_response("No editor token, or a token that is not valid."),
    "413": _error_response("The body is larger than SYNDICATE_MAX_CONTENT_LENGTH."),
    "422": _error_response("Fields are missing or not valid; `fields` names each one."),
    "429": _error_response("Too many requests."),
}
_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string", "maxLength": 255},
    "description": "Sent again with the same request (a retry after a lost answer), returns the first answer "
                   "(with `Idempotent-Replayed: true`) and changes nothing. Keys are per editor; the same key with "
                   "a different request answers 422 (`idempotency_key_reused`).",
}
_TIMESTAMP = {"type": "string", "format": "date-time", "description": "RFC 3339 with an offset"}
_SLUGS = {"type": "array", "items": {"type": "string"}, "description": "Region slugs"}
_IMAGE = {"type": "string", "pattern": "^[A-Za-z0-9]{1,32}$",
          "description": "The lead image: an `id` from POST /api/media (422 `fields.image` if there is none such)"}
_BYLINE = {"type": "string", "maxLength": 200,
           "description": "The reporter's name as printed, one line, no control characters; empty means none. "
                          "Optional: no byline is ever made up."}


def _json_body(ref: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


def _ok(description: str, ref: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


@lru_cache(maxsize=1)
def _document() -> dict:
    entry_id = {"name": "entry_id", "in": "path", "required": True,
                "description": "The entry's public id, as feeds and pages show it (a UUID, `urn:uuid:` optional); "
                               "its integer row id is accepted too",
                "schema": {"oneOf": [{"type": "string", "format": "uuid"}, {"type": "integer"}]}}
    if_match = {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"},
                "description": "The ETag from GET /api/entries/{entry_id}: the edit is made only if the entry "
                               "has not changed since (412 otherwise)"}
    etag_header = {"ETag": {"description": "The entry's version", "schema": {"type": "string"}}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "syndicate editorial API",
            "version": "1.0",
            "description": "Publish live updates and articles. Authenticate with an editor token "
                           "from `syndicate editors add NAME`, sent as `Authorization: Bearer <token>`.",
        },
        "security": [{"editorToken": []}],
        "paths": {
            "/api/stories": {"post": {
                "summary": "Create a story (a live day or an article)",
                "parameters": [_IDEMPOTENCY_KEY],
                "requestBody": _json_body("StoryIn"),
                "responses": {"201": _ok("Created", "StoryOut"),
                              "409": _error_response("The slug is taken (`slug_taken`), or the series has a live "
                                                     "day on that date already (`day_taken`)."), **_ERRORS},
            }},
            "/api/stories/{slug}/entries": {"post": {
                "summary": "Add an entry (an update) to a story",
                "parameters": [{"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}},
                               _IDEMPOTENCY_KEY],
                "requestBody": _json_body("EntryIn"),
                "responses": {"201": _ok("Created", "EntryOut"),
                              "404": _error_response("No such story."), **_ERRORS},
            }},
            "/api/entries/{entry_id}": {
                "get": {
                    "summary": "Read an entry, with its version as the ETag",
                    "parameters": [entry_id],
                    "responses": {"200": {**_ok("The entry", "Entry"), "headers": etag_header},
                                  "404": _error_response("No such entry."), **_ERRORS},
                },
                "patch": {
                    "summary": "Edit an entry, optionally with a dated correction",
                    "description": "A correction that repeats the entry's latest one word for word is not added "
                                   "again, and an edit that changes nothing keeps the entry (and its ETag) as it "
                                   "is: a PATCH sent twice changes the entry once.",
                    "parameters": [entry_id, if_match, _IDEMPOTENCY_KEY],
                    "requestBody": _json_body("EntryPatch"),
                    "responses": {"200": {**_ok("Edited", "EntryOut"), "headers": etag_header},
                                  "404": _error_response("No such entry."),
                                  "409": _error_response("The entry is withdrawn."),
                                  "412": _error_response("The entry changed since the If-Match version; nothing "
                                                         "was changed. GET it again and redo the edit."),
                                  **_ERRORS},
                },
            },
            "/api/media": {"post": {
                "summary": "Upload an image",
                "description": "Decoded and re-encoded on arrival: no metadata survives (EXIF, GPS, XMP, IPTC, "
                               "comments, thumbnails); orientation is applied; kept in a few widths for srcset "
                               "and served from the site at immutable URLs. Name it as an entry's `image`.",
                "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                    "$ref": "#/components/schemas/MediaIn"}}}},
                "responses": {"201": {**_ok("Stored", "MediaOut"),
                                      "headers": {"Location": {"description": "The widest size's URL",
                                                               "schema": {"type": "string"}}}},
                              "413": _error_response("The file is larger than SYNDICATE_MEDIA_MAX_BYTES, or has "
                                                     "too many pixels to decode safely."),
                              "415": _error_response("Not multipart/form-data, or not a JPEG, PNG, WebP or HEIC "
                                                     "image."),
                              **{k: v for k, v in _ERRORS.items() if k != "413"}},
            }},
            "/api/entries/{entry_id}/withdraw": {"post": {
                "summary": "Withdraw an entry from every page and feed",
                "parameters": [entry_id, _IDEMPOTENCY_KEY],
                "requestBody": _json_body("Withdrawal"),
                "responses": {"200": _ok("Withdrawn", "Withdrawn"), "404": _error_response("No such entry."),
                              "409": _error_response("Already withdrawn."), **_ERRORS},
            }},
        },
        "components": {
            "securitySchemes": {"editorToken": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                    "type": "object", "required": ["code", "message"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                                   "fields": {"type": "object", "additionalProperties": {"type": "string"}}},
                }}},
                "StoryIn": {"type": "object", "required": ["title"], "additionalProperties": False, "properties": {
                    "title": {"type": "string", "maxLength": 300},
                    "slug": {"type": "string", "pattern": "^[a-z0-9]+(?:-[a-z0-9]+)*$", "maxLength": 120},
                    "summary": {"type": "string", "maxLength": 2000},
                    "kind": {"enum": ["live", "article"], "default": "live"},
                    "language": {"type": "string", "description": "One of SYNDICATE_LANGUAGES; the first by default"},
                    "translation_of": {"oneOf": [{"type": "string"}, {"type": "integer"}],
                                       "description": "Slug or id of the story (in another language) this translates"},
                    "access": {"enum": ["standard", "public", "members"], "default": "standard"},
                    "regions": _SLUGS,
                    "series": {"type": "string", "description": "Links the live days of one coverage"},
                    "syndicate": {"type": "boolean", "default": True,
                                  "description": "Whether partner outlets may republish this story"},
                    "published_at": _TIMESTAMP,
                }},
                "StoryOut": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "slug": {"type": "string"}, "url": {"type": "string"}}},
                "EntryIn": {"type": "object", "required": ["headline"], "additionalProperties": False,
                            "description": "Give body_html or body_text.", "properties": {
                    "headline": {"type": "string", "maxLength": 300},
                    "body_html": {"type": "string", "description": "Sanitised with an allow-list"},
                    "body_text": {"type": "string", "description": "Blank lines separate paragraphs"},
                    "published_at": {**_TIMESTAMP, "description": "Defaults to now; not in the future"},
                    "key_event": {"type": "boolean", "default": False},
                    "regions": _SLUGS,
                    "syndicate": {"type": "boolean", "default": True},
                    "embargo_until": {**_TIMESTAMP, "description": "Partners receive it after this time"},
                    "image": _IMAGE, "byline": _BYLINE,
                    "translation_of": {"oneOf": [{"type": "string"}, {"type": "integer"}],
                                       "description": "Id of the update of the source story this translates"},
                }},
                "EntryPatch": {"type": "object", "additionalProperties": False, "properties": {
                    "headline": {"type": "string"}, "body_html": {"type": "string"}, "body_text": {"type": "string"},
                    "correction": {"type": "string", "description": "Dated by the server when saved"},
                    "key_event": {"type": "boolean"}, "regions": _SLUGS, "syndicate": {"type": "boolean"},
                    "embargo_until": {"oneOf": [_TIMESTAMP, {"type": "null"}]}, "published_at": _TIMESTAMP,
                    "image": {"oneOf": [_IMAGE, {"type": "null"}], "description": "null removes the lead image"},
                    "byline": {"oneOf": [_BYLINE, {"type": "null"}], "description": "null or empty removes it"},
                }},
                "Entry": {"type": "object", "properties": {
                    "id": {"type": "string", "format": "uuid", "description": "The public id"},
                    "row_id": {"type": "integer"}, "story": {"type": "string", "description": "The story's slug"},
                    "headline": {"type": "string"}, "body_html": {"type": "string"},
                    "published_at": _TIMESTAMP, "updated_at": _TIMESTAMP, "key_event": {"type": "boolean"},
                    "regions": _SLUGS, "syndicate": {"type": "boolean"},
                    "embargo_until": {"oneOf": [_TIMESTAMP, {"type": "null"}]},
                    "status": {"enum": ["published", "withdrawn"]},
                    "public_note": {"type": ["string", "null"]},
                    "corrections": {"type": "array", "items": {"type": "object", "properties": {
                        "text": {"type": "string"}, "at": _TIMESTAMP}}},
                    "image": {"type": ["string", "null"], "description": "The lead image's id"},
                    "byline": {"type": ["string", "null"]},
                    "translation_of": {"type": ["string", "null"], "description": "The source update's public id"},
                    "needs_review": {"type": "boolean",
                                     "description": "Its source was corrected since this translation was updated"},
                    "url": {"type": "string"}}},
                "EntryOut": {"type": "object", "properties": {
                    "id": {"type": "integer", "description": "The row id"},
                    "uid": {"type": "string", "format": "uuid", "description": "The public id"},
                    "url": {"type": "string"},
                    "warnings": {"type": "array", "items": {"type": "string"},
                                 "description": "Gazetteer notes: places written without their other name"}}},
                "MediaIn": {"type": "object", "required": ["file", "alt"], "properties": {
                    "file": {"type": "string", "format": "binary",
                             "description": "JPEG, PNG, WebP or HEIC, up to SYNDICATE_MEDIA_MAX_BYTES"},
                    "alt": {"type": "string", "maxLength": 1000, "description": "What the picture shows, for "
                                                                                 "readers who cannot see it"},
                    "caption": {"type": "string", "maxLength": 2000},
                    "credit": {"type": "string", "maxLength": 300}}},
                "MediaOut": {"type": "object", "properties": {
                    "id": {"type": "string", "description": "Name it as an entry's `image`"},
                    "url": {"type": "string", "description": "The widest size, absolute"},
                    "srcset": {"type": "string"}, "width": {"type": "integer"}, "height": {"type": "integer"},
                    "alt": {"type": "string"}, "caption": {"type": ["string", "null"]},
                    "credit": {"type": ["string", "null"]}}},
                "Withdrawal": {"type": "object", "required": ["reason"], "additionalProperties": False,
                               "properties": {"reason": {"type": "string", "description": "Internal"},
                                              "public_note": {"type": "string", "description": "Shown instead"}}},
                "Withdrawn": {"type": "object", "properties": {"id": {"type": "integer"}, "uid": {"type": "string"},
                                                               "status": {"type": "string"}}},
            },
        },
    }


def spec() -> dict:
    return _document()
