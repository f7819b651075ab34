"""`/baileys` router: upstream's nine raw Baileys socket calls (all POST, 200).

Four have a whatsmeow equivalent and answer in Baileys' shapes through the channel's `baileys`
capability: onWhatsapp, profilePictureUrl, getUSyncDevices, getAuthState. The other five hand out
or take Baileys' own protocol internals (Signal sessions, binary stanzas, websocket tags); a
whatsmeow socket has no such thing to give, so they answer a 400 saying so, on every channel.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, Router, post

from evolution_py.api.auth import instance_guard
from evolution_py.api.openapi import documented_body
from evolution_py.api.validation import json_object
from evolution_py.channels.jid import create_jid
from evolution_py.core.registry import InstanceRegistry
from evolution_py.errors import BadRequest

# route → why it has no whatsmeow equivalent
BAILEYS_ONLY = {
    "assertSessions": "Signal sessions are managed inside whatsmeow",
    "createParticipantNodes": "whatsmeow encrypts and addresses message nodes itself",
    "generateMessageTag": "websocket request tags are internal to whatsmeow",
    "sendNode": "raw binary stanzas cannot be sent through whatsmeow",
    "signalRepositoryDecryptMessage": "whatsmeow decrypts messages itself and exposes no Signal repository",
}


def baileys_only_message(route: str) -> str:
    return f"/baileys/{route} is a Baileys internal with no equivalent on this server: {BAILEYS_ONLY[route]}"


class JidBody(msgspec.Struct, kw_only=True):
    jid: str


class PictureBody(msgspec.Struct, kw_only=True):
    jid: str
    type: str = "preview"
    timeoutMs: int | None = None


class DevicesBody(msgspec.Struct, kw_only=True):
    jids: list[str]
    useCache: bool | None = None
    ignoreZeroDevices: bool | None = None


class AnyBody(msgspec.Struct):
    """The Baileys-internal routes: whatever upstream would pass to Baileys (refused here)."""


def _jid(body: dict[str, Any], field: str = "jid") -> str:
    value = body.get(field)
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f'"{field}" is required and must be a string')
    return value if "@" in value else create_jid(value)


def _jids(body: dict[str, Any]) -> list[str]:
    value = body.get("jids")
    if not isinstance(value, list) or not value or not all(isinstance(j, str) and j.strip() for j in value):
        raise BadRequest('"jids" is required and must be a non-empty array of strings')
    if len(value) > 500:
        raise BadRequest('"jids" must have at most 500 entries')
    return [j if "@" in j else create_jid(j) for j in value]


@post("/onWhatsapp/{instanceName:str}", status_code=200, dependencies=documented_body(JidBody))
async def on_whatsapp(request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str) -> Any:
    body = await json_object(request)
    return await registry.require(instanceName).channel.baileys.on_whatsapp(_jid(body))


@post("/profilePictureUrl/{instanceName:str}", status_code=200, dependencies=documented_body(PictureBody))
async def profile_picture_url(request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str) -> Any:
    body = await json_object(request)
    kind = body.get("type", "preview")  # Baileys' default
    if kind not in ("image", "preview"):
        raise BadRequest('"type" must be "image" or "preview"')
    url = await registry.require(instanceName).channel.baileys.profile_picture_url(_jid(body), kind == "preview")
    # a JSON string (or null when there is no picture), as Express' res.json(url) writes it
    return Response(msgspec.json.encode(url), status_code=200, media_type="application/json")


@post("/getUSyncDevices/{instanceName:str}", status_code=200, dependencies=documented_body(DevicesBody))
async def get_usync_devices(request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str) -> Any:
    body = await json_object(request)
    ignore_zero = body.get("ignoreZeroDevices") is True
    return await registry.require(instanceName).channel.baileys.usync_devices(_jids(body), ignore_zero)


@post("/getAuthState/{instanceName:str}", status_code=200, dependencies=documented_body(AnyBody))
async def get_auth_state(registry: InstanceRegistry, instanceName: str) -> Any:
    return await registry.require(instanceName).channel.baileys.auth_state()


def _refusal(route: str) -> Any:
    @post(
        f"/{route}/{{instanceName:str}}",
        status_code=200,
        name=f"baileys_{route}",
        dependencies=documented_body(AnyBody),
    )
    async def refuse(registry: InstanceRegistry, instanceName: str) -> Any:
        registry.require(instanceName)  # an unknown instance answers its 404 first, as everywhere
        raise BadRequest(baileys_only_message(route))

    return refuse


ROUTER = Router(
    path="/baileys",
    guards=[instance_guard],
    tags=["Baileys"],
    route_handlers=[on_whatsapp, profile_picture_url, get_usync_devices, get_auth_state]
    + [_refusal(route) for route in BAILEYS_ONLY],
)
ROUTES = [ROUTER]
