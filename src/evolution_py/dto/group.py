"""Request bodies of the `/group/*` routes and the JSON Schemas upstream validates them with
(`src/validate/group.schema.ts`), kept as data so the error texts come out as upstream's."""

from __future__ import annotations

from typing import Literal

import msgspec

from evolution_py.dto.jsonschema import Schema, not_empty


def _numeric_strings(field: str) -> Schema:
    return {
        "type": "array",
        "minItems": 1,
        "uniqueItems": True,
        "items": {
            "type": "string",
            "minLength": 10,
            "pattern": "\\d+",
            "description": f'"{field}" must be an array of numeric strings',
        },
    }


CREATE_SCHEMA: Schema = {
    "type": "object",
    "properties": {
        "subject": {"type": "string"},
        "description": {"type": "string"},
        "profilePicture": {"type": "string"},
        "promoteParticipants": {"type": "boolean", "enum": [True, False]},
        "participants": _numeric_strings("participants"),
    },
    "required": ["subject", "participants"],
    **not_empty("subject", "description", "profilePicture"),
}

GROUP_JID_SCHEMA: Schema = {
    "type": "object",
    "properties": {"groupJid": {"type": "string", "pattern": "^[\\d-]+@g.us$"}},
    "required": ["groupJid"],
    **not_empty("groupJid"),
}

GET_PARTICIPANTS_SCHEMA: Schema = {
    "type": "object",
    "properties": {"getParticipants": {"type": "string", "enum": ["true", "false"]}},
    "required": ["getParticipants"],
    **not_empty("getParticipants"),
}

SEND_INVITE_SCHEMA: Schema = {
    "type": "object",
    "properties": {
        "groupJid": {"type": "string"},
        "description": {"type": "string"},
        "numbers": _numeric_strings("numbers"),
    },
    "required": ["groupJid", "description", "numbers"],
    **not_empty("groupJid", "description", "numbers"),
}

INVITE_CODE_SCHEMA: Schema = {
    "type": "object",
    "properties": {"inviteCode": {"type": "string", "pattern": "^[a-zA-Z0-9]{22}$"}},
    "required": ["inviteCode"],
    **not_empty("inviteCode"),
}

UPDATE_PARTICIPANTS_SCHEMA: Schema = {
    "type": "object",
    "properties": {
        "groupJid": {"type": "string"},
        "action": {"type": "string", "enum": ["add", "remove", "promote", "demote"]},
        "participants": _numeric_strings("participants"),
    },
    "required": ["groupJid", "action", "participants"],
    **not_empty("groupJid", "action"),
}

UPDATE_SETTING_SCHEMA: Schema = {
    "type": "object",
    "properties": {
        "groupJid": {"type": "string"},
        "action": {"type": "string", "enum": ["announcement", "not_announcement", "locked", "unlocked"]},
    },
    "required": ["groupJid", "action"],
    **not_empty("groupJid", "action"),
}

TOGGLE_EPHEMERAL_SCHEMA: Schema = {
    "type": "object",
    "properties": {
        "groupJid": {"type": "string"},
        "expiration": {"type": "number", "enum": [0, 86400, 604800, 7776000]},
    },
    "required": ["groupJid", "expiration"],
    **not_empty("groupJid", "expiration"),
}

UPDATE_PICTURE_SCHEMA: Schema = {
    "type": "object",
    "properties": {"groupJid": {"type": "string"}, "image": {"type": "string"}},
    "required": ["groupJid", "image"],
    **not_empty("groupJid", "image"),
}

UPDATE_SUBJECT_SCHEMA: Schema = {
    "type": "object",
    "properties": {"groupJid": {"type": "string"}, "subject": {"type": "string"}},
    "required": ["groupJid", "subject"],
    **not_empty("groupJid", "subject"),
}

UPDATE_DESCRIPTION_SCHEMA: Schema = {
    "type": "object",
    "properties": {"groupJid": {"type": "string"}, "description": {"type": "string"}},
    "required": ["groupJid", "description"],
    **not_empty("groupJid", "description"),
}

# `leaveGroup` is validated against `{}` upstream: any groupJid passes.
LEAVE_SCHEMA: Schema = {}


class CreateGroup(msgspec.Struct, kw_only=True):
    subject: str
    participants: list[str]
    description: str | None = None
    profilePicture: str | None = None
    promoteParticipants: bool | None = None


class GroupJid(msgspec.Struct, kw_only=True):
    groupJid: str


class GroupSubject(GroupJid, kw_only=True):
    subject: str


class GroupDescription(GroupJid, kw_only=True):
    description: str


class GroupPicture(GroupJid, kw_only=True):
    image: str


class GetParticipants(msgspec.Struct, kw_only=True):
    getParticipants: Literal["true", "false"]


class GroupInvite(msgspec.Struct, kw_only=True):
    inviteCode: str


class GroupSendInvite(GroupJid, kw_only=True):
    description: str
    numbers: list[str]


class GroupUpdateParticipants(GroupJid, kw_only=True):
    action: Literal["add", "remove", "promote", "demote"]
    participants: list[str]


class GroupUpdateSetting(GroupJid, kw_only=True):
    action: Literal["announcement", "not_announcement", "locked", "unlocked"]


class GroupToggleEphemeral(GroupJid, kw_only=True):
    expiration: int
