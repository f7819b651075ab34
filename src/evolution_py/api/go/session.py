"""Go token routes: the instance is the one whose token is the `apikey` header.

connect, qr, pair, status, disconnect, reconnect, logout — each a call on the shared instance
service, so the v2 routes (`/instance/connectionState/...`, `/instance/connect/...`) see the same state.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from litestar import Request, delete, get, post

from evolution_py.api.go.auth import instance_of_token
from evolution_py.api.go.envelope import GoError, json_object, required_string, success
from evolution_py.api.go.events import event_string
from evolution_py.api.go.records import connection_flags, is_open
from evolution_py.api.go.subscriptions import parse_events, parse_transports, parse_url, save_subscription
from evolution_py.core.instances import InstanceService
from evolution_py.core.registry import InstanceRegistry
from evolution_py.core.runtime import InstanceRuntime
from evolution_py.events.subscriptions import Subscriptions

ALREADY_LOGGED_IN = "session already logged in"
NO_QR = "no QR code available. Please wait a moment and try again"


@post("/instance/connect", status_code=200, summary="Connect, set webhook and events (Evolution Go)")
async def connect(
    request: Request[Any, Any, Any], instances: InstanceService, subscriptions: Subscriptions
) -> dict[str, Any]:
    runtime = instance_of_token(request, instances.registry)
    body = await json_object(request)
    url = parse_url(body, "webhookUrl")
    keys = parse_events(body, "subscribe")
    transports = parse_transports(body)
    row = await save_subscription(subscriptions, runtime, url=url, keys=keys, transports=transports)
    if runtime.channel.state == "close":
        # Starts the QR flow (or resumes a stored session); the QR is fetched with GET /instance/qr.
        await instances.start_connecting(runtime.name, None, wait=0.0)
    return success(
        {
            "jid": runtime.channel.owner_jid or "",
            "webhookUrl": (row or {}).get("url") or "",
            "eventString": event_string((row or {}).get("events")),
        }
    )


@get("/instance/qr", summary="Current QR code (Evolution Go)")
async def qr(request: Request[Any, Any, Any], instances: InstanceService) -> dict[str, Any]:
    runtime = instance_of_token(request, instances.registry)
    if runtime.channel.state == "open":
        raise GoError(ALREADY_LOGGED_IN)
    current = runtime.channel.qrcode
    if not isinstance(current.code, str) or not current.code:
        if runtime.channel.state == "close":
            await instances.start_connecting(runtime.name, None, wait=5.0)
        else:
            await _wait_for_qr(runtime, 3.0)
        if is_open(runtime):
            raise GoError(ALREADY_LOGGED_IN)
        current = runtime.channel.qrcode
    if not isinstance(current.code, str) or not current.code or not isinstance(current.base64, str):
        raise GoError(NO_QR)
    # The seed's keys (qrcode = raw code, code = PNG data URL) plus Evolution Go's own capitalised
    # keys (Qrcode = data URL, Code = raw code), which its bundled manager reads.
    return success({"qrcode": current.code, "code": current.base64, "Qrcode": current.base64, "Code": current.code})


async def _wait_for_qr(runtime: InstanceRuntime, seconds: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline and runtime.channel.state == "connecting":
        if isinstance(runtime.channel.qrcode.code, str) and runtime.channel.qrcode.code:
            return
        await asyncio.sleep(0.05)


@post("/instance/pair", status_code=200, summary="Pairing code for a phone number (Evolution Go)")
async def pair(request: Request[Any, Any, Any], instances: InstanceService) -> dict[str, Any]:
    runtime = instance_of_token(request, instances.registry)
    body = await json_object(request)
    phone = re.sub(r"\D", "", required_string(body, "phone"))
    if not 8 <= len(phone) <= 15:
        raise GoError("phone must be an international number with 8 to 15 digits")
    if runtime.channel.state == "open":
        raise GoError(ALREADY_LOGGED_IN)
    code = await instances.request_pairing_code(runtime.name, phone, wait=10.0)
    if is_open(runtime):
        raise GoError(ALREADY_LOGGED_IN)
    if not code:
        raise GoError("no pairing code received from WhatsApp; try again", 502)
    return success({"code": code, "PairingCode": code})


@get("/instance/status", summary="Connection status (Evolution Go)")
async def status(request: Request[Any, Any, Any], registry: InstanceRegistry) -> dict[str, Any]:
    runtime = instance_of_token(request, registry)
    connected, logged_in = connection_flags(runtime)
    return success(
        {
            "connected": connected,
            "loggedIn": logged_in,
            # The push name belongs to the session: none once logged out.
            "name": (runtime.profile_name or "") if logged_in else "",
            "myJid": runtime.channel.owner_jid or None,
        }
    )


@post("/instance/disconnect", status_code=200, summary="Disconnect, keep the session (Evolution Go)")
async def disconnect(request: Request[Any, Any, Any], instances: InstanceService) -> dict[str, Any]:
    runtime = instance_of_token(request, instances.registry)
    if runtime.channel.state == "close":
        raise GoError("client disconnected")
    await instances.disconnect(runtime.name)
    return success()


@post("/instance/reconnect", status_code=200, summary="Reconnect (Evolution Go)")
async def reconnect(request: Request[Any, Any, Any], instances: InstanceService) -> dict[str, Any]:
    runtime = instance_of_token(request, instances.registry)
    await instances.reconnect(runtime.name, wait=2.0)
    return success()


@delete("/instance/logout", status_code=200, summary="Log out, forget the session (Evolution Go)")
async def logout(request: Request[Any, Any, Any], instances: InstanceService) -> dict[str, Any]:
    runtime = instance_of_token(request, instances.registry)
    if runtime.channel.state == "close" and not runtime.channel.owner_jid:
        raise GoError("ignoring logout as it was not connected")
    await instances.logout(runtime.name, closed_session_too=True)
    return success()


ROUTES = [connect, qr, pair, status, disconnect, reconnect, logout]
