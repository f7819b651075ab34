"""Request body of `/label/handleLabel` and upstream's schema for it (`src/validate/label.schema.ts`)."""

from __future__ import annotations

from typing import Literal

import msgspec

from evolution_py.dto.jsonschema import Schema, not_empty

HANDLE_LABEL_SCHEMA: Schema = {
    "type": "object",
    "properties": {
        "number": {"type": "string", "description": "Invalid format"},
        "labelId": {"type": "string"},
        "action": {"type": "string", "enum": ["add", "remove"]},
    },
    "required": ["number", "labelId", "action"],
    **not_empty("number", "labelId", "action"),
}


class HandleLabel(msgspec.Struct, kw_only=True):
    number: str
    labelId: str
    action: Literal["add", "remove"]
