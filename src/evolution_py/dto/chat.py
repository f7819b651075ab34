"""Request bodies of the `/chat/*` routes, and upstream's JSON Schemas for the non-find ones."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from evolution_py.dto.jsonschema import Schema, not_empty


class TimestampRange(msgspec.Struct, kw_only=True):
    gte: str | int | None = None
    lte: str | int | None = None


class MessageKeyFilter(msgspec.Struct, kw_only=True):
    id: str | None = None
    fromMe: bool | None = None
    remoteJid: str | None = None
    participant: str | None = None
    remoteJidAlt: str | None = None


class MessageWhere(msgspec.Struct, kw_only=True):
    id: str | None = None
    source: str | None = None
    messageType: str | None = None
    messageTimestamp: TimestampRange | None = None
    key: MessageKeyFilter | None = None


class FindMessages(msgspec.Struct, kw_only=True):
    where: MessageWhere | None = None
    page: int | None = None
    offset: int | None = None


class ContactWhere(msgspec.Struct, kw_only=True):
    remoteJid: str | None = None
    id: str | None = None


class FindContacts(msgspec.Struct, kw_only=True):
    where: ContactWhere | None = None
    page: int | None = None
    offset: int | None = None


class ChatWhere(msgspec.Struct, kw_only=True):
    remoteJid: str | None = None
    messageTimestamp: TimestampRange | None = None


class FindChats(msgspec.Struct, kw_only=True):
    where: ChatWhere | None = None
    take: int | None = None
    skip: int | None = None


class StatusWhere(msgspec.Struct, kw_only=True):
    remoteJid: str | None = None
    id: str | None = None


class FindStatusMessage(msgspec.Struct, kw_only=True):
    where: StatusWhere | None = None
    page: int | None = None
    offset: int | None = None


def where_dict(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    out: dict[str, Any] = msgspec.to_builtins(value)
    return out


# --- the non-find routes: upstream's schemas (`src/validate/chat.schema.ts`) and request structs ---

_NUMBER = {"type": "string", "description": "Invalid format"}
_KEY_SCHEMA: Schema = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "remoteJid": {"type": "string"},
        "fromMe": {"type": "boolean", "enum": [True, False]},
    },
    "required": ["id", "fromMe", "remoteJid"],
    **not_empty("id", "remoteJid"),
}
_LAST_MESSAGE_SCHEMA: Schema = {
    "type": "object",
    "properties": {"key": _KEY_SCHEMA, "messageTimestamp": {"type": "integer", "minLength": 1}},
    "required": ["key"],
    **not_empty("messageTimestamp"),
}
_PRIVACY = ["all", "contacts", "contact_blacklist", "none"]

WHATSAPP_NUMBERS_SCHEMA: Schema = {
    "type": "object",
    "properties": {
        "numbers": {
            "type": "array",
            "minItems": 1,
            "uniqueItems": True,
            "items": {"type": "string", "description": '"numbers" must be an array of numeric strings'},
        }
    },
}
READ_MESSAGES_SCHEMA: Schema = {
    "type": "object",
    "properties": {
        "readMessages": {
            "type": "array",
            "minItems": 1,
            "uniqueItems": True,
            "items": {
                "properties": {
                    "id": {"type": "string"},
                    "fromMe": {"type": "boolean", "enum": [True, False]},
                    "remoteJid": {"type": "string"},
                },
                "required": ["id", "fromMe", "remoteJid"],
                **not_empty("id", "remoteJid"),
            },
        }
    },
    "required": ["readMessages"],
}
ARCHIVE_CHAT_SCHEMA: Schema = {
    "type": "object",
    "properties": {
        "chat": {"type": "string"},
        "lastMessage": _LAST_MESSAGE_SCHEMA,
        "archive": {"type": "boolean", "enum": [True, False]},
    },
    "required": ["archive"],
}
MARK_CHAT_UNREAD_SCHEMA: Schema = {
    "type": "object",
    "properties": {"chat": {"type": "string"}, "lastMessage": _LAST_MESSAGE_SCHEMA},
    "required": ["lastMessage"],
}
DELETE_MESSAGE_SCHEMA: Schema = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "fromMe": {"type": "boolean", "enum": [True, False]},
        "remoteJid": {"type": "string"},
        "participant": {"type": "string"},
    },
    "required": ["id", "fromMe", "remoteJid"],
    **not_empty("id", "remoteJid", "participant"),
}
PROFILE_PICTURE_SCHEMA: Schema = {
    "type": "object",
    "properties": {"number": {"type": "string"}, "picture": {"type": "string"}},
}
UPDATE_MESSAGE_SCHEMA: Schema = {
    "type": "object",
    "properties": {"number": {"type": "string"}, "text": {"type": "string"}, "key": _KEY_SCHEMA},
    **not_empty("number", "text", "key"),
}
PRESENCE_SCHEMA: Schema = {
    "type": "object",
    "properties": {
        "number": _NUMBER,
        "delay": {"type": "number"},
        "presence": {"type": "string", "enum": ["unavailable", "available", "composing", "recording", "paused"]},
    },
    "required": ["number", "presence", "delay"],
}
BLOCK_USER_SCHEMA: Schema = {
    "type": "object",
    "properties": {"number": {"type": "string"}, "status": {"type": "string", "enum": ["block", "unblock"]}},
    "required": ["number", "status"],
    **not_empty("number", "status"),
}
PRIVACY_SETTINGS_SCHEMA: Schema = {
    "type": "object",
    "properties": {
        "readreceipts": {"type": "string", "enum": ["all", "none"]},
        "profile": {"type": "string", "enum": _PRIVACY},
        "status": {"type": "string", "enum": _PRIVACY},
        "online": {"type": "string", "enum": ["all", "match_last_seen"]},
        "last": {"type": "string", "enum": _PRIVACY},
        "groupadd": {"type": "string", "enum": _PRIVACY},
    },
    "required": ["readreceipts", "profile", "status", "online", "last", "groupadd"],
    **not_empty("readreceipts", "profile", "status", "online", "last", "groupadd"),
}
PROFILE_NAME_SCHEMA: Schema = {"type": "object", "properties": {"name": {"type": "string"}}, **not_empty("name")}
PROFILE_STATUS_SCHEMA: Schema = {"type": "object", "properties": {"status": {"type": "string"}}, **not_empty("status")}
PROFILE_SCHEMA: Schema = {
    "type": "object",
    "properties": {
        "wuid": {"type": "string"},
        "name": {"type": "string"},
        "picture": {"type": "string"},
        "status": {"type": "string"},
        "isBusiness": {"type": "boolean"},
    },
}


class Key(msgspec.Struct, kw_only=True):
    id: str
    remoteJid: str
    fromMe: bool
    participant: str | None = None


class WhatsappNumbers(msgspec.Struct, kw_only=True):
    numbers: list[str]


class ReadMessages(msgspec.Struct, kw_only=True):
    readMessages: list[Key]


class LastMessage(msgspec.Struct, kw_only=True):
    key: Key
    messageTimestamp: int | None = None


class ArchiveChat(msgspec.Struct, kw_only=True):
    archive: bool
    lastMessage: LastMessage | None = None
    chat: str | None = None


class MarkChatUnread(msgspec.Struct, kw_only=True):
    lastMessage: LastMessage
    chat: str | None = None


class DeleteMessage(Key, kw_only=True):
    pass


class NumberBody(msgspec.Struct, kw_only=True):
    number: str | None = None


class ProfilePicture(msgspec.Struct, kw_only=True):
    picture: str | None = None


class MediaMessageRef(msgspec.Struct, kw_only=True):
    key: dict[str, Any]
    message: dict[str, Any] | None = None


class GetBase64(msgspec.Struct, kw_only=True):
    message: MediaMessageRef
    convertToMp4: bool = False


class UpdateMessage(msgspec.Struct, kw_only=True):
    key: Key
    text: str
    number: str | None = None


class SendPresence(msgspec.Struct, kw_only=True):
    number: str
    presence: Literal["unavailable", "available", "composing", "recording", "paused"]
    delay: float


class BlockStatus(msgspec.Struct, kw_only=True):
    number: str
    status: Literal["block", "unblock"]


class PrivacySettings(msgspec.Struct, kw_only=True):
    readreceipts: Literal["all", "none"]
    profile: Literal["all", "contacts", "contact_blacklist", "none"]
    status: Literal["all", "contacts", "contact_blacklist", "none"]
    online: Literal["all", "match_last_seen"]
    last: Literal["all", "contacts", "contact_blacklist", "none"]
    groupadd: Literal["all", "contacts", "contact_blacklist", "none"]


class ProfileName(msgspec.Struct, kw_only=True):
    name: str


class ProfileStatus(msgspec.Struct, kw_only=True):
    status: str
