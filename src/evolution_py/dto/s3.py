"""`/s3` bodies (upstream's MediaDto and its two schemas)."""

from __future__ import annotations

import msgspec

from evolution_py.dto.jsonschema import Schema, not_empty

GET_MEDIA_SCHEMA: Schema = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "type": {"type": "string"},
        "messageId": {"type": "integer"},
    },
    **not_empty("id", "type", "messageId"),
}

GET_MEDIA_URL_SCHEMA: Schema = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "pattern": "\\d+", "minLength": 1},
        "expiry": {"type": "string", "pattern": "\\d+", "minLength": 1},
    },
    **not_empty("id"),
    "required": ["id"],
}


class MediaQuery(msgspec.Struct, kw_only=True):
    id: str | None = None
    type: str | None = None
    messageId: int | None = None
    expiry: str | None = None
