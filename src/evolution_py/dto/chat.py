"""Request bodies of the `/chat/find*` routes."""

from __future__ import annotations

from typing import Any

import msgspec


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
