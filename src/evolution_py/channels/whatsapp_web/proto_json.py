"""whatsmeow protobufs ↔ the Baileys-style JSON upstream's clients see.

whatsmeow spells acronyms Go-style (`remoteJID`, `fileSHA256`, `URL`); Baileys camel-cases them
(`remoteJid`, `fileSha256`, `url`): the names come from the one rename table (`field_renames`).
This is the protobuf-JSON form (enums as names, 64-bit ints as strings, bytes base64) that
upstream's "raw Baileys message" routes answer; events use `message_json`'s protobufjs form.
Going back, field names are matched case-insensitively against the protobuf descriptor, and
Baileys' index-keyed byte objects (`{"0": 12, ...}`) and `{low, high}` longs are accepted.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from evolution_py.channels.whatsapp_web.field_renames import baileys_name
from evolution_py.channels.whatsapp_web.session import neonize

if TYPE_CHECKING:
    from google.protobuf.descriptor import Descriptor
    from google.protobuf.message import Message as ProtoMessage

# google.protobuf `FieldDescriptor.TYPE_*` numbers, spelled out so that importing this module does
# not load protobuf (it loads with neonize, through `neonize()`, when there is a message to convert).
_TYPE_MESSAGE, _TYPE_BYTES = 11, 12
_LONGS = {3, 4, 6, 16, 18}  # int64, uint64, fixed64, sfixed64, sint64


def _rename(value: Any) -> Any:
    if isinstance(value, dict):
        return {baileys_name(key): _rename(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_rename(item) for item in value]
    return value


def to_baileys_json(message: ProtoMessage) -> dict[str, Any]:
    """Protobuf → dict with Baileys' key names; enums as names, 64-bit ints as strings, bytes base64
    (the protobuf-JSON form upstream's "raw Baileys message" routes answer)."""
    return _rename(neonize().json_format.MessageToDict(message))  # type: ignore[no-any-return]


def _bytes_value(value: Any) -> Any:
    if isinstance(value, dict) and value and all(key.isdigit() for key in value):
        data = bytes(int(value[str(index)]) & 0xFF for index in range(len(value)))
        return base64.b64encode(data).decode()
    if isinstance(value, list) and all(isinstance(item, int) for item in value):
        return base64.b64encode(bytes(item & 0xFF for item in value)).decode()
    return value


def _long_value(value: Any) -> Any:
    if isinstance(value, dict) and "low" in value:
        low = int(value.get("low") or 0) & 0xFFFFFFFF
        high = int(value.get("high") or 0) & 0xFFFFFFFF
        return str((high << 32) | low)
    return value


def _normalise(value: Any, descriptor: Descriptor) -> Any:
    if not isinstance(value, dict):
        return value
    by_lower = {field.name.lower(): field for field in descriptor.fields}
    out: dict[str, Any] = {}
    for key, item in value.items():
        field = by_lower.get(key.lower())
        if field is None or item is None:
            continue
        repeated = field.is_repeated
        items = item if repeated and isinstance(item, list) else [item]
        converted = []
        for element in items:
            if field.type == _TYPE_MESSAGE:
                converted.append(_normalise(element, field.message_type))
            elif field.type == _TYPE_BYTES:
                converted.append(_bytes_value(element))
            elif field.type in _LONGS:
                converted.append(_long_value(element))
            else:
                converted.append(element)
        out[field.name] = converted if repeated else converted[0]
    return out


def from_baileys_json(data: dict[str, Any], message: ProtoMessage) -> ProtoMessage:
    """Baileys-style (or protobuf-style) JSON → the given protobuf message, unknown keys dropped."""
    neonize().json_format.ParseDict(_normalise(data, message.DESCRIPTOR), message, ignore_unknown_fields=True)
    return message
