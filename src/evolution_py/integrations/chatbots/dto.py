"""Request bodies, one struct per kind built from the common fields plus the kind's own, checked as
upstream's JSON schemas do (required fields, types, enums). Absent fields stay `UNSET`: an update
leaves them as they are."""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

from evolution_py.integrations.chatbots.kind import BotKind, Field

TriggerType = Literal["all", "keyword", "none", "advanced"]
TriggerOperator = Literal["equals", "contains", "startsWith", "endsWith", "regex"]

BEHAVIOUR: tuple[Field, ...] = (
    Field("expire", int),
    Field("keywordFinish", str),
    Field("delayMessage", int),
    Field("unknownMessage", str),
    Field("listeningFromMe", bool),
    Field("stopBotFromMe", bool),
    Field("keepOpen", bool),
    Field("debounceTime", int),
    Field("ignoreJids", list[str]),
    Field("splitMessages", bool),
    Field("timePerChar", int),
)
BEHAVIOUR_NAMES = tuple(f.name for f in BEHAVIOUR)

COMMON: tuple[Field, ...] = (
    Field("enabled", bool, required=True),
    Field("description", str),
    Field("triggerType", TriggerType, required=True),
    Field("triggerOperator", TriggerOperator),
    Field("triggerValue", str),
    *BEHAVIOUR,
)


def _struct(name: str, fields: tuple[Field, ...], required: set[str]) -> type[msgspec.Struct]:
    specs: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    for f in fields:
        if f.required or f.name in required:
            specs.append((f.name, f.type))
    for f in fields:
        if not (f.required or f.name in required):
            specs.append((f.name, f.type | UnsetType, UNSET))
    return msgspec.defstruct(name, specs, kw_only=True)


def bot_struct(kind: BotKind) -> type[msgspec.Struct]:
    return _struct(f"{kind.name}Dto", (*COMMON, *kind.fields), set())


def settings_struct(kind: BotKind) -> type[msgspec.Struct]:
    fields = (*BEHAVIOUR, Field("fallbackId", str), *kind.settings_fields)
    return _struct(f"{kind.name}SettingDto", fields, set(kind.settings_required))


class ChangeStatus(msgspec.Struct, kw_only=True):
    remoteJid: str
    status: Literal["opened", "closed", "paused", "delete"]


class IgnoreJid(msgspec.Struct, kw_only=True):
    remoteJid: str
    action: Literal["add", "remove"]


def given(body: msgspec.Struct) -> dict[str, Any]:
    """The fields the request gave (UNSET left out)."""
    return {k: v for k, v in msgspec.structs.asdict(body).items() if v is not UNSET}
