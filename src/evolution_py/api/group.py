"""`/group` router: 16 routes. Validation follows upstream's helpers route by route:
`create` the standard `[["..."]]` form, every other route the `[{property, message}]` form;
`groupJid` comes from the body, else from `?groupJid=`, and gets `@g.us` appended when missing."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, delete, get, post

from evolution_py.api.auth import instance_guard
from evolution_py.api.openapi import documented_body
from evolution_py.api.validation import check_group, check_standard, json_body, to_dto
from evolution_py.core.registry import InstanceRegistry
from evolution_py.dto import group as dto
from evolution_py.dto.jsonschema import Schema
from evolution_py.errors import BadRequest


def _route(path: str) -> str:
    return f"/{path}/{{instanceName:str}}"


async def _with_group_jid(request: Request[Any, Any, Any], schema: Schema, model: type[Any]) -> Any:
    """upstream's `groupValidate`."""
    body = await json_body(request)
    jid = body.get("groupJid") if isinstance(body, dict) else None
    if not jid:
        jid = request.query_params.get("groupJid")
        if not jid:
            raise BadRequest("The group id needs to be informed in the query", 'ex: "groupJid=120362@g.us"')
    if isinstance(jid, str) and not jid.endswith("@g.us"):
        jid += "@g.us"
    if isinstance(body, dict):
        body["groupJid"] = jid
    check_group(body, schema)
    return to_dto(body, model, group_form=True)


async def _with_invite_code(request: Request[Any, Any, Any]) -> dto.GroupInvite:
    """upstream's `inviteCodeValidate`: the code comes from the query only."""
    code = request.query_params.get("inviteCode")
    if not code:
        raise BadRequest(
            "The group invite code id needs to be informed in the query",
            'ex: "inviteCode=F1EX5QZxO181L3TMVP31gY" (Obtained from group join link)',
        )
    body = await json_body(request)
    data = {**body, "inviteCode": code} if isinstance(body, dict) else body
    check_group(data, dto.INVITE_CODE_SCHEMA)
    return to_dto(data, dto.GroupInvite, group_form=True)


@post(
    _route("create"),
    status_code=201,
    dependencies=documented_body(dto.CreateGroup),
)
async def create_group(request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str) -> Any:
    body = await json_body(request)
    check_standard(body, dto.CREATE_SCHEMA)
    return await registry.require(instanceName).channel.groups.group_create(to_dto(body, dto.CreateGroup))


@post(
    _route("updateGroupSubject"),
    status_code=201,
    dependencies=documented_body(dto.GroupSubject),
)
async def update_group_subject(request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str) -> Any:
    req = await _with_group_jid(request, dto.UPDATE_SUBJECT_SCHEMA, dto.GroupSubject)
    return await registry.require(instanceName).channel.groups.group_update_subject(req)


@post(
    _route("updateGroupPicture"),
    status_code=201,
    dependencies=documented_body(dto.GroupPicture),
)
async def update_group_picture(request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str) -> Any:
    req = await _with_group_jid(request, dto.UPDATE_PICTURE_SCHEMA, dto.GroupPicture)
    return await registry.require(instanceName).channel.groups.group_update_picture(req)


@post(
    _route("updateGroupDescription"),
    status_code=201,
    dependencies=documented_body(dto.GroupDescription),
)
async def update_group_description(
    request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str
) -> Any:
    req = await _with_group_jid(request, dto.UPDATE_DESCRIPTION_SCHEMA, dto.GroupDescription)
    return await registry.require(instanceName).channel.groups.group_update_description(req)


@get(_route("findGroupInfos"))
async def find_group_infos(request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str) -> Any:
    req = await _with_group_jid(request, dto.GROUP_JID_SCHEMA, dto.GroupJid)
    return await registry.require(instanceName).channel.groups.group_find_info(req)


@get(_route("fetchAllGroups"))
async def fetch_all_groups(request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str) -> Any:
    value = request.query_params.get("getParticipants")
    if not value:
        raise BadRequest("The getParticipants needs to be informed in the query")
    body = await json_body(request)
    data = {**body, "getParticipants": value} if isinstance(body, dict) else body
    check_group(data, dto.GET_PARTICIPANTS_SCHEMA)
    return await registry.require(instanceName).channel.groups.group_fetch_all(
        to_dto(data, dto.GetParticipants, group_form=True)
    )


@get(_route("participants"))
async def participants(request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str) -> Any:
    req = await _with_group_jid(request, dto.GROUP_JID_SCHEMA, dto.GroupJid)
    return await registry.require(instanceName).channel.groups.group_participants(req)


@get(_route("inviteCode"))
async def invite_code(request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str) -> Any:
    req = await _with_group_jid(request, dto.GROUP_JID_SCHEMA, dto.GroupJid)
    return await registry.require(instanceName).channel.groups.group_invite_code(req)


@get(_route("inviteInfo"))
async def invite_info(request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str) -> Any:
    req = await _with_invite_code(request)
    return await registry.require(instanceName).channel.groups.group_invite_info(req)


@get(_route("acceptInviteCode"))
async def accept_invite_code(request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str) -> Any:
    req = await _with_invite_code(request)
    return await registry.require(instanceName).channel.groups.group_accept_invite(req)


@post(
    _route("sendInvite"),
    status_code=200,
    dependencies=documented_body(dto.GroupSendInvite),
)
async def send_invite(request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str) -> Any:
    # upstream's `groupNoValidate`: body only, no query fallback, no `@g.us` completion.
    body = await json_body(request)
    check_group(body, dto.SEND_INVITE_SCHEMA)
    return await registry.require(instanceName).channel.groups.group_send_invite(
        to_dto(body, dto.GroupSendInvite, group_form=True)
    )


@post(
    _route("revokeInviteCode"),
    status_code=201,
    dependencies=documented_body(dto.GroupJid),
)
async def revoke_invite_code(request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str) -> Any:
    req = await _with_group_jid(request, dto.GROUP_JID_SCHEMA, dto.GroupJid)
    return await registry.require(instanceName).channel.groups.group_revoke_invite(req)


@post(
    _route("updateParticipant"),
    status_code=201,
    dependencies=documented_body(dto.GroupUpdateParticipants),
)
async def update_participant(request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str) -> Any:
    req = await _with_group_jid(request, dto.UPDATE_PARTICIPANTS_SCHEMA, dto.GroupUpdateParticipants)
    return await registry.require(instanceName).channel.groups.group_update_participants(req)


@post(
    _route("updateSetting"),
    status_code=201,
    dependencies=documented_body(dto.GroupUpdateSetting),
)
async def update_setting(request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str) -> Any:
    req = await _with_group_jid(request, dto.UPDATE_SETTING_SCHEMA, dto.GroupUpdateSetting)
    return await registry.require(instanceName).channel.groups.group_update_setting(req)


@post(
    _route("toggleEphemeral"),
    status_code=201,
    dependencies=documented_body(dto.GroupToggleEphemeral),
)
async def toggle_ephemeral(request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str) -> Any:
    req = await _with_group_jid(request, dto.TOGGLE_EPHEMERAL_SCHEMA, dto.GroupToggleEphemeral)
    return await registry.require(instanceName).channel.groups.group_toggle_ephemeral(req)


@delete(
    _route("leaveGroup"),
    status_code=200,
    dependencies=documented_body(dto.GroupJid),
)
async def leave_group(request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str) -> Any:
    req = await _with_group_jid(request, dto.LEAVE_SCHEMA, dto.GroupJid)
    return await registry.require(instanceName).channel.groups.group_leave(req)


ROUTER = Router(
    path="/group",
    guards=[instance_guard],
    tags=["Group"],
    route_handlers=[
        create_group,
        update_group_subject,
        update_group_picture,
        update_group_description,
        find_group_infos,
        fetch_all_groups,
        participants,
        invite_code,
        invite_info,
        accept_invite_code,
        send_invite,
        revoke_invite_code,
        update_participant,
        update_setting,
        toggle_ephemeral,
        leave_group,
    ],
)
ROUTES = [ROUTER]
