"""`/chat` router: the `find*` routes read the local database; the rest ask the channel."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, delete, get, post
from litestar.params import Parameter

from evolution_py.api.auth import instance_guard
from evolution_py.api.errors import SchemaError
from evolution_py.api.openapi import documented_body
from evolution_py.api.validation import check_standard, json_body, to_dto
from evolution_py.channels.base import ChannelError
from evolution_py.channels.jid import create_jid
from evolution_py.core.registry import InstanceRegistry
from evolution_py.dto import chat as chat_dto
from evolution_py.dto.chat import FindChats, FindContacts, FindMessages, FindStatusMessage, where_dict
from evolution_py.errors import ApiError, BadRequest

MAX_PAGING = 2**31 - 1  # page, offset, take, skip: far beyond any table, and their products fit 64 bits


def _page(value: int | None, default: int, field: str) -> int:
    if value is None:
        return default
    if value < 1:
        raise BadRequest(f"{field} must be at least 1")
    if value > MAX_PAGING:
        raise BadRequest(f"{field} must be at most {MAX_PAGING}")
    return value


@post("/findMessages/{instanceName:str}", status_code=200)
async def find_messages(registry: InstanceRegistry, instanceName: str, data: FindMessages) -> dict[str, Any]:
    page = _page(data.page, 1, "page")
    offset = min(_page(data.offset, 50, "offset"), 1000)
    return await registry.require(instanceName).store.find_messages(where_dict(data.where), page, offset)


@post("/findContacts/{instanceName:str}", status_code=200)
async def find_contacts(registry: InstanceRegistry, instanceName: str, data: FindContacts) -> list[dict[str, Any]]:
    offset = _page(data.offset, 0, "offset") if data.offset is not None else None
    page = _page(data.page, 1, "page")
    return await registry.require(instanceName).store.find_contacts(jid_where(data.where), page, offset)


@post("/findChats/{instanceName:str}", status_code=200)
async def find_chats(registry: InstanceRegistry, instanceName: str, data: FindChats) -> list[dict[str, Any]]:
    if (data.take is not None and data.take < 0) or (data.skip is not None and data.skip < 0):
        raise BadRequest("take and skip must not be negative")
    if (data.take or 0) > MAX_PAGING or (data.skip or 0) > MAX_PAGING:
        raise BadRequest(f"take and skip must be at most {MAX_PAGING}")
    return await registry.require(instanceName).store.find_chats(jid_where(data.where), data.take, data.skip)


def jid_where(where: Any) -> dict[str, Any]:
    """upstream's fetchContacts / fetchChats: a `remoteJid` without `@` is a number, made a JID first."""
    out = where_dict(where)
    remote_jid = out.get("remoteJid")
    if isinstance(remote_jid, str) and remote_jid and "@" not in remote_jid:
        out["remoteJid"] = create_jid(remote_jid)
    return out


@post("/findStatusMessage/{instanceName:str}", status_code=200)
async def find_status_message(
    registry: InstanceRegistry, instanceName: str, data: FindStatusMessage
) -> list[dict[str, Any]]:
    page = _page(data.page, 1, "page")
    offset = min(_page(data.offset, 50, "offset"), 1000)
    return await registry.require(instanceName).store.find_status_messages(where_dict(data.where), page, offset)


@get("/findChatByRemoteJid/{instanceName:str}")
async def find_chat_by_remote_jid(
    registry: InstanceRegistry,
    instanceName: str,
    remote_jid: str | None = Parameter(query="remoteJid", default=None),
) -> Response[Any]:
    if not remote_jid:
        return Response({"error": "remoteJid is a required query parameter"}, status_code=400)
    chat = await registry.require(instanceName).store.find_chat(remote_jid)
    return Response(chat, status_code=200)


# --- the routes that ask the channel (upstream's `dataValidate` form, per-route status codes) ---


async def _validated(request: Request[Any, Any, Any], schema: Any, dto: type[Any]) -> Any:
    body = await json_body(request)
    check_standard(body, schema)
    return to_dto(body, dto)


@post(
    "/whatsappNumbers/{instanceName:str}",
    status_code=200,
    dependencies=documented_body(chat_dto.WhatsappNumbers),
)
async def whatsapp_numbers(
    request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str
) -> Response[Any]:
    # Upstream answers any error here with the raw thrown object (no `response` wrapper), as 400.
    channel = registry.require(instanceName).channel
    try:
        body = await json_body(request)
        check_standard(body, chat_dto.WHATSAPP_NUMBERS_SCHEMA)
        if not isinstance(body, dict) or "numbers" not in body:
            raise SchemaError(['instance requires property "numbers"'])
        return Response(await channel.chats.whatsapp_numbers(to_dto(body, chat_dto.WhatsappNumbers)), status_code=200)
    except SchemaError as exc:
        return Response({"status": 400, "error": "Bad Request", "message": [exc.messages]}, status_code=400)
    except ChannelError as exc:
        return Response({"status": exc.status, "error": "Bad Request", "message": exc.messages}, status_code=400)
    except ApiError as exc:
        return Response({"status": exc.status, "error": exc.error, "message": exc.message}, status_code=400)


@post(
    "/markMessageAsRead/{instanceName:str}",
    status_code=201,
    dependencies=documented_body(chat_dto.ReadMessages),
)
async def mark_message_as_read(request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str) -> Any:
    req = await _validated(request, chat_dto.READ_MESSAGES_SCHEMA, chat_dto.ReadMessages)
    return await registry.require(instanceName).channel.chats.mark_message_as_read(req)


@post(
    "/archiveChat/{instanceName:str}",
    status_code=201,
    dependencies=documented_body(chat_dto.ArchiveChat),
)
async def archive_chat(request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str) -> Any:
    req = await _validated(request, chat_dto.ARCHIVE_CHAT_SCHEMA, chat_dto.ArchiveChat)
    return await registry.require(instanceName).channel.chats.archive_chat(req)


@post(
    "/markChatUnread/{instanceName:str}",
    status_code=201,
    dependencies=documented_body(chat_dto.MarkChatUnread),
)
async def mark_chat_unread(request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str) -> Any:
    req = await _validated(request, chat_dto.MARK_CHAT_UNREAD_SCHEMA, chat_dto.MarkChatUnread)
    return await registry.require(instanceName).channel.chats.mark_chat_unread(req)


@delete(
    "/deleteMessageForEveryone/{instanceName:str}",
    status_code=201,
    dependencies=documented_body(chat_dto.DeleteMessage),
)
async def delete_message_for_everyone(
    request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str
) -> Any:
    req = await _validated(request, chat_dto.DELETE_MESSAGE_SCHEMA, chat_dto.DeleteMessage)
    return await registry.require(instanceName).channel.chats.delete_message_for_everyone(req)


@post(
    "/fetchProfilePictureUrl/{instanceName:str}",
    status_code=200,
    dependencies=documented_body(chat_dto.NumberBody),
)
async def fetch_profile_picture_url(
    request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str
) -> Any:
    req = await _validated(request, chat_dto.PROFILE_PICTURE_SCHEMA, chat_dto.NumberBody)
    return await registry.require(instanceName).channel.profile.fetch_profile_picture_url(req.number)


@post(
    "/getBase64FromMediaMessage/{instanceName:str}", status_code=201, dependencies=documented_body(chat_dto.GetBase64)
)
async def get_base64_from_media_message(
    request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str
) -> Any:
    req = await _validated(request, None, chat_dto.GetBase64)
    return await registry.require(instanceName).channel.media.get_base64_from_media_message(req)


@post(
    "/updateMessage/{instanceName:str}",
    status_code=200,
    dependencies=documented_body(chat_dto.UpdateMessage),
)
async def update_message(request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str) -> Any:
    req = await _validated(request, chat_dto.UPDATE_MESSAGE_SCHEMA, chat_dto.UpdateMessage)
    return await registry.require(instanceName).channel.chats.update_message(req)


@post(
    "/sendPresence/{instanceName:str}",
    status_code=201,
    dependencies=documented_body(chat_dto.SendPresence),
)
async def send_presence(request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str) -> Any:
    req = await _validated(request, chat_dto.PRESENCE_SCHEMA, chat_dto.SendPresence)
    return await registry.require(instanceName).channel.chats.send_presence(req)


@post(
    "/updateBlockStatus/{instanceName:str}",
    status_code=201,
    dependencies=documented_body(chat_dto.BlockStatus),
)
async def update_block_status(request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str) -> Any:
    req = await _validated(request, chat_dto.BLOCK_USER_SCHEMA, chat_dto.BlockStatus)
    return await registry.require(instanceName).channel.chats.update_block_status(req)


@post(
    "/fetchBusinessProfile/{instanceName:str}",
    status_code=200,
    dependencies=documented_body(chat_dto.NumberBody),
)
async def fetch_business_profile(request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str) -> Any:
    req = await _validated(request, chat_dto.PROFILE_PICTURE_SCHEMA, chat_dto.NumberBody)
    return await registry.require(instanceName).channel.business.fetch_business_profile(req.number)


@post(
    "/fetchProfile/{instanceName:str}",
    status_code=200,
    dependencies=documented_body(chat_dto.NumberBody),
)
async def fetch_profile(request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str) -> Any:
    req = await _validated(request, chat_dto.PROFILE_SCHEMA, chat_dto.NumberBody)
    return await registry.require(instanceName).channel.profile.fetch_profile(req.number)


@post(
    "/updateProfileName/{instanceName:str}",
    status_code=200,
    dependencies=documented_body(chat_dto.ProfileName),
)
async def update_profile_name(request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str) -> Any:
    req = await _validated(request, chat_dto.PROFILE_NAME_SCHEMA, chat_dto.ProfileName)
    return await registry.require(instanceName).channel.profile.update_profile_name(req.name)


@post(
    "/updateProfileStatus/{instanceName:str}",
    status_code=200,
    dependencies=documented_body(chat_dto.ProfileStatus),
)
async def update_profile_status(request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str) -> Any:
    req = await _validated(request, chat_dto.PROFILE_STATUS_SCHEMA, chat_dto.ProfileStatus)
    return await registry.require(instanceName).channel.profile.update_profile_status(req.status)


@post(
    "/updateProfilePicture/{instanceName:str}", status_code=200, dependencies=documented_body(chat_dto.ProfilePicture)
)
async def update_profile_picture(request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str) -> Any:
    req = await _validated(request, chat_dto.PROFILE_PICTURE_SCHEMA, chat_dto.ProfilePicture)
    return await registry.require(instanceName).channel.profile.update_profile_picture(req.picture)


@delete(
    "/removeProfilePicture/{instanceName:str}", status_code=200, dependencies=documented_body(chat_dto.ProfilePicture)
)
async def remove_profile_picture(request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str) -> Any:
    await _validated(request, chat_dto.PROFILE_PICTURE_SCHEMA, chat_dto.ProfilePicture)
    return await registry.require(instanceName).channel.profile.remove_profile_picture()


@get("/fetchPrivacySettings/{instanceName:str}")
async def fetch_privacy_settings(registry: InstanceRegistry, instanceName: str) -> Any:
    return await registry.require(instanceName).channel.profile.fetch_privacy_settings()


@post(
    "/updatePrivacySettings/{instanceName:str}", status_code=201, dependencies=documented_body(chat_dto.PrivacySettings)
)
async def update_privacy_settings(
    request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str
) -> Any:
    req = await _validated(request, chat_dto.PRIVACY_SETTINGS_SCHEMA, chat_dto.PrivacySettings)
    return await registry.require(instanceName).channel.profile.update_privacy_settings(req)


ROUTER = Router(
    path="/chat",
    guards=[instance_guard],
    tags=["Chat"],
    route_handlers=[
        find_messages,
        find_contacts,
        find_chats,
        find_status_message,
        find_chat_by_remote_jid,
        whatsapp_numbers,
        mark_message_as_read,
        archive_chat,
        mark_chat_unread,
        delete_message_for_everyone,
        fetch_profile_picture_url,
        get_base64_from_media_message,
        update_message,
        send_presence,
        update_block_status,
        fetch_business_profile,
        fetch_profile,
        update_profile_name,
        update_profile_status,
        update_profile_picture,
        remove_profile_picture,
        fetch_privacy_settings,
        update_privacy_settings,
    ],
)
ROUTES = [ROUTER]
