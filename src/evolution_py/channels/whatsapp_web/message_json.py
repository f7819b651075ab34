"""waE2E protobuf → the JSON Baileys (and so Evolution API) puts on the wire.

Baileys decodes with protobufjs and Evolution serialises with `JSON.stringify`, so a message reaches
clients with: Baileys' field names (see `field_renames`), enums as numbers, bytes as index-keyed
objects `{"0":12,"1":34,…}`, 64-bit integers as Long objects `{"low","high","unsigned"}`, and only
the fields that were set. `MessageToDict` differs on all four points, hence this walker.
"""

from __future__ import annotations

import re
from typing import Any

from evolution_py.channels.whatsapp_web.field_renames import baileys_name

# google.protobuf `FieldDescriptor.TYPE_*` numbers (the .proto wire types), spelled out so that
# importing this module does not load protobuf: channels that never connect stay light.
_TYPE_GROUP, _TYPE_MESSAGE, _TYPE_BYTES = 10, 11, 12
_LONG_SIGNED = {3, 18, 16}  # int64, sint64, sfixed64
_LONG_UNSIGNED = {4, 6}  # uint64, fixed64


def _int32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - 0x1_0000_0000 if value >= 0x8000_0000 else value


def long_json(value: int, *, unsigned: bool) -> dict[str, Any]:
    """A protobufjs `Long`: two signed 32-bit halves (as `Long.fromValue` stores them)."""
    return {"low": _int32(value), "high": _int32(value >> 32), "unsigned": unsigned}


def bytes_json(value: bytes) -> dict[str, int]:
    """A `Uint8Array` through `JSON.stringify`."""
    return {str(index): byte for index, byte in enumerate(value)}


def _scalar(field: Any, value: Any) -> Any:
    kind = field.type
    if kind == _TYPE_MESSAGE or kind == _TYPE_GROUP:
        return proto_to_json(value)
    if kind == _TYPE_BYTES:
        return bytes_json(value)
    if kind in _LONG_SIGNED:
        return long_json(value, unsigned=False)
    if kind in _LONG_UNSIGNED:
        return long_json(value, unsigned=True)
    return value  # enums are already ints; strings, bools, floats and 32-bit ints as they are


def proto_to_json(message: Any) -> dict[str, Any]:
    """Only the fields that are set, as protobufjs decodes them."""
    out: dict[str, Any] = {}
    for field, value in message.ListFields():
        name = baileys_name(field.name)
        if field.is_repeated:
            out[name] = [_scalar(field, item) for item in value]
        else:
            out[name] = _scalar(field, value)
    return out


# --- Evolution's `prepareMessage` normalisation ------------------------------------------------


def content_type(message: dict[str, Any]) -> str | None:
    """Baileys `getContentType`: the first key that is `conversation` or a `…Message`."""
    for key in message:
        if (key == "conversation" or "Message" in key) and key != "senderKeyDistributionMessage":
            return key
    return None


def _flatten(message: dict[str, Any]) -> dict[str, Any]:
    """`extendedTextMessage` → `conversation`; `documentWithCaptionMessage` → `documentMessage`."""
    out = dict(message)
    extended = out.get("extendedTextMessage")
    if isinstance(extended, dict):
        del out["extendedTextMessage"]
        out = {"conversation": extended.get("text", ""), **out}
    wrapped = out.get("documentWithCaptionMessage")
    if isinstance(wrapped, dict):
        del out["documentWithCaptionMessage"]
        inner = (wrapped.get("message") or {}).get("documentMessage")
        if inner is not None:
            out = {"documentMessage": inner, **out}
    return out


def normalise(message: dict[str, Any]) -> tuple[dict[str, Any], str, dict[str, Any] | None]:
    """(message, messageType, contextInfo) as Evolution's `prepareMessage` builds them."""
    original_type = content_type(message)
    original_context = None
    if original_type and isinstance(message.get(original_type), dict):
        original_context = message[original_type].get("contextInfo")
    flat = _flatten(message)
    if isinstance(original_context, dict) and isinstance(original_context.get("quotedMessage"), dict):
        original_context = {**original_context, "quotedMessage": _flatten(original_context["quotedMessage"])}
    kind = content_type(flat) or "unknown"
    return flat, kind, original_context


_SOURCES = (
    (re.compile(r"^3A.{18}$"), "ios"),
    (re.compile(r"^3E.{20}$"), "web"),
    (re.compile(r"^(.{21}|.{32})$"), "android"),
    (re.compile(r"^(3F|.{18}$)"), "desktop"),
)


def source_of(message_id: str) -> str:
    """Baileys `getDevice`: which kind of device produced a message id."""
    for pattern, name in _SOURCES:
        if pattern.match(message_id):
            return name
    return "unknown"


STATUS_NAMES = ("ERROR", "PENDING", "SERVER_ACK", "DELIVERY_ACK", "READ", "PLAYED")
