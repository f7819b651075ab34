"""`/message` router: every send route answers 201 with the sent-message record."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Router, post
from litestar.datastructures import UploadFile

from evolution_py.api.auth import instance_guard
from evolution_py.api.errors import convert, decode_body
from evolution_py.api.openapi import documented_body
from evolution_py.core.messaging import MessagingService
from evolution_py.dto.message import (
    SendAudio,
    SendButtons,
    SendContact,
    SendList,
    SendLocation,
    SendMedia,
    SendPoll,
    SendPtv,
    SendReaction,
    SendStatus,
    SendSticker,
    SendTemplate,
    SendText,
    UploadedFile,
    is_reaction,
)
from evolution_py.errors import BadRequest

# Form fields that carry JSON or numbers when a media route is called as multipart.
_FORM_JSON_FIELDS = {"quoted", "mentioned", "statusJidList"}
_FORM_INT_FIELDS = {"delay", "font"}
_FORM_BOOL_FIELDS = {"linkPreview", "mentionsEveryOne", "everyOne", "encoding", "notConvertSticker", "allContacts"}


async def _media_request(request: Request[Any, Any, Any], data_type: type[Any]) -> tuple[Any, UploadedFile | None]:
    """JSON body, or multipart with the media in field `file` (one file, read once)."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        return decode_body(await request.body(), data_type), None
    form = await request.form()
    values: dict[str, Any] = {}
    upload: UploadedFile | None = None
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            if key == "file" and upload is None:
                upload = UploadedFile(
                    filename=value.filename or "file",
                    content_type=value.content_type or "application/octet-stream",
                    data=await value.read(),
                )
            continue
        values[key] = _form_value(key, value)
    return convert(values, data_type), upload


def _form_value(key: str, value: str) -> Any:
    if key in _FORM_JSON_FIELDS:
        try:
            return msgspec.json.decode(value)
        except msgspec.DecodeError:
            return value
    if key in _FORM_INT_FIELDS and value.lstrip("-").isdigit():
        return int(value)
    if key in _FORM_BOOL_FIELDS and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


_MULTIPART = "JSON, or multipart/form-data with the {} in `file`."


def _route(path: str) -> str:
    return f"/{path}/{{instanceName:str}}"


@post(_route("sendText"), status_code=201)
async def send_text(messaging: MessagingService, instanceName: str, data: SendText) -> dict[str, Any]:
    return await messaging.send(instanceName, lambda channel: channel.messaging.send_text(data))


@post(
    _route("sendMedia"),
    dependencies=documented_body(SendMedia),
    status_code=201,
    description=_MULTIPART.format("media"),
)
async def send_media(request: Request[Any, Any, Any], messaging: MessagingService, instanceName: str) -> dict[str, Any]:
    data, upload = await _media_request(request, SendMedia)
    return await messaging.send(instanceName, lambda channel: channel.media.send_media(data, upload))


@post(
    _route("sendPtv"),
    dependencies=documented_body(SendPtv),
    status_code=201,
    description=_MULTIPART.format("video"),
)
async def send_ptv(request: Request[Any, Any, Any], messaging: MessagingService, instanceName: str) -> dict[str, Any]:
    data, upload = await _media_request(request, SendPtv)
    return await messaging.send(instanceName, lambda channel: channel.media.send_ptv(data, upload))


@post(
    _route("sendWhatsAppAudio"),
    dependencies=documented_body(SendAudio),
    status_code=201,
    description=_MULTIPART.format("audio"),
)
async def send_whatsapp_audio(
    request: Request[Any, Any, Any], messaging: MessagingService, instanceName: str
) -> dict[str, Any]:
    data, upload = await _media_request(request, SendAudio)
    return await messaging.send(instanceName, lambda channel: channel.media.send_whatsapp_audio(data, upload))


@post(
    _route("sendStatus"),
    dependencies=documented_body(SendStatus),
    status_code=201,
    description=_MULTIPART.format("media"),
)
async def send_status(
    request: Request[Any, Any, Any], messaging: MessagingService, instanceName: str
) -> dict[str, Any]:
    data, upload = await _media_request(request, SendStatus)
    return await messaging.send(instanceName, lambda channel: channel.media.send_status(data, upload))


@post(
    _route("sendSticker"),
    dependencies=documented_body(SendSticker),
    status_code=201,
    description=_MULTIPART.format("image"),
)
async def send_sticker(
    request: Request[Any, Any, Any], messaging: MessagingService, instanceName: str
) -> dict[str, Any]:
    data, upload = await _media_request(request, SendSticker)
    return await messaging.send(instanceName, lambda channel: channel.media.send_sticker(data, upload))


@post(_route("sendLocation"), status_code=201)
async def send_location(messaging: MessagingService, instanceName: str, data: SendLocation) -> dict[str, Any]:
    return await messaging.send(instanceName, lambda channel: channel.messaging.send_location(data))


@post(_route("sendContact"), status_code=201)
async def send_contact(messaging: MessagingService, instanceName: str, data: SendContact) -> dict[str, Any]:
    return await messaging.send(instanceName, lambda channel: channel.messaging.send_contact(data))


@post(_route("sendReaction"), status_code=201)
async def send_reaction(messaging: MessagingService, instanceName: str, data: SendReaction) -> dict[str, Any]:
    # upstream's controller checks the emoji before any channel sees the request
    if not is_reaction(data.reaction):
        raise BadRequest("Reaction must be a single emoji or empty string")
    return await messaging.send(instanceName, lambda channel: channel.messaging.send_reaction(data))


@post(_route("sendPoll"), status_code=201)
async def send_poll(messaging: MessagingService, instanceName: str, data: SendPoll) -> dict[str, Any]:
    return await messaging.send(instanceName, lambda channel: channel.messaging.send_poll(data))


@post(_route("sendList"), status_code=201)
async def send_list(messaging: MessagingService, instanceName: str, data: SendList) -> dict[str, Any]:
    return await messaging.send(instanceName, lambda channel: channel.messaging.send_list(data))


@post(_route("sendButtons"), status_code=201)
async def send_buttons(messaging: MessagingService, instanceName: str, data: SendButtons) -> dict[str, Any]:
    return await messaging.send(instanceName, lambda channel: channel.messaging.send_buttons(data))


@post(_route("sendTemplate"), status_code=201)
async def send_template(messaging: MessagingService, instanceName: str, data: SendTemplate) -> dict[str, Any]:
    return await messaging.send(instanceName, lambda channel: channel.messaging.send_template(data))


ROUTER = Router(
    path="/message",
    guards=[instance_guard],
    tags=["Message"],
    route_handlers=[
        send_text,
        send_media,
        send_ptv,
        send_whatsapp_audio,
        send_status,
        send_sticker,
        send_location,
        send_contact,
        send_reaction,
        send_poll,
        send_list,
        send_buttons,
        send_template,
    ],
)
ROUTES = [ROUTER]
