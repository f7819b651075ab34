"""`/chat` router: the `find*` routes read the local database; the rest ask the channel."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.params import Parameter

from evolution_py.api.auth import instance_guard
from evolution_py.dto.chat import FindChats, FindContacts, FindMessages, FindStatusMessage, where_dict
from evolution_py.errors import BadRequest
from evolution_py.services import services_of


def _store(request: Request[Any, Any, Any], name: str) -> Any:
    return services_of(request).manager.require(name).store


def _page(value: int | None, default: int, field: str) -> int:
    if value is None:
        return default
    if value < 1:
        raise BadRequest(f"{field} must be at least 1")
    return value


@post("/findMessages/{instanceName:str}", status_code=200)
async def find_messages(request: Request[Any, Any, Any], instanceName: str, data: FindMessages) -> dict[str, Any]:
    page = _page(data.page, 1, "page")
    offset = min(_page(data.offset, 50, "offset"), 1000)
    return await _store(request, instanceName).find_messages(where_dict(data.where), page, offset)  # type: ignore[no-any-return]


@post("/findContacts/{instanceName:str}", status_code=200)
async def find_contacts(request: Request[Any, Any, Any], instanceName: str, data: FindContacts) -> list[dict[str, Any]]:
    offset = _page(data.offset, 0, "offset") if data.offset is not None else None
    page = _page(data.page, 1, "page")
    return await _store(request, instanceName).find_contacts(where_dict(data.where), page, offset)  # type: ignore[no-any-return]


@post("/findChats/{instanceName:str}", status_code=200)
async def find_chats(request: Request[Any, Any, Any], instanceName: str, data: FindChats) -> list[dict[str, Any]]:
    if (data.take is not None and data.take < 0) or (data.skip is not None and data.skip < 0):
        raise BadRequest("take and skip must not be negative")
    return await _store(request, instanceName).find_chats(where_dict(data.where), data.take, data.skip)  # type: ignore[no-any-return]


@post("/findStatusMessage/{instanceName:str}", status_code=200)
async def find_status_message(
    request: Request[Any, Any, Any], instanceName: str, data: FindStatusMessage
) -> list[dict[str, Any]]:
    page = _page(data.page, 1, "page")
    offset = min(_page(data.offset, 50, "offset"), 1000)
    return await _store(request, instanceName).find_status_messages(where_dict(data.where), page, offset)  # type: ignore[no-any-return]


@get("/findChatByRemoteJid/{instanceName:str}")
async def find_chat_by_remote_jid(
    request: Request[Any, Any, Any],
    instanceName: str,
    remote_jid: str | None = Parameter(query="remoteJid", default=None),
) -> Response[Any]:
    if not remote_jid:
        return Response({"error": "remoteJid is a required query parameter"}, status_code=400)
    chat = await _store(request, instanceName).find_chat(remote_jid)
    return Response(chat, status_code=200)


ROUTER = Router(
    path="/chat",
    guards=[instance_guard],
    tags=["Chat"],
    route_handlers=[find_messages, find_contacts, find_chats, find_status_message, find_chat_by_remote_jid],
)
ROUTES = [ROUTER]
