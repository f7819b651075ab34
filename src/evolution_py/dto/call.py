"""Request body of `/call/offer` and upstream's schema for it (`offerCallSchema`)."""

from __future__ import annotations

import msgspec

from evolution_py.dto.jsonschema import Schema

OFFER_CALL_SCHEMA: Schema = {
    "type": "object",
    "properties": {
        "number": {"type": "string", "description": "Invalid format"},
        "isVideo": {"type": "boolean", "enum": [True, False]},
        "callDuration": {"type": "integer", "minimum": 1, "maximum": 15},
    },
    "required": ["number", "callDuration"],
}


class OfferCall(msgspec.Struct, kw_only=True):
    number: str
    callDuration: int
    isVideo: bool | None = None
