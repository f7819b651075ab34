"""Baileys' BufferJSON: buffers travel as {"type": "Buffer", "data": <base64 or byte list>}.

Baileys writes base64 through its replacer; a JSON.stringify without it (the sender-key record's
inner JSON) leaves Node's own byte list; a Uint8Array without it becomes {"0": 5, "1": 7, ...}.
All three come back as `bytes` here.
"""

from __future__ import annotations

import base64
import json
from typing import Any


def _revive(value: dict[str, Any]) -> Any:
    if value.get("type") == "Buffer" and "data" in value:
        data = value["data"]
        if isinstance(data, str):
            return base64.b64decode(data)
        if isinstance(data, list):
            return bytes(data)
    if value and all(key.isdigit() for key in value) and all(isinstance(v, int) for v in value.values()):
        return bytes(value[key] for key in sorted(value, key=int))
    return value


def loads(text: str | bytes) -> Any:
    return json.loads(text, object_hook=_revive)


def as_bytes(value: Any, what: str) -> bytes:
    """A buffer field; base64 strings are accepted too (Baileys keeps `advSecretKey` that way)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return base64.b64decode(value)
    raise ValueError(f"{what} is not a buffer")


def b64(value: bytes | None) -> str | None:
    """Go's encoding/json writes a []byte as standard base64, nil as null."""
    return None if value is None else base64.b64encode(value).decode("ascii")
