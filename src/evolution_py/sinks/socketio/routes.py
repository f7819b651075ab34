"""`/websocket` router: per-instance socket.io subscription (gated by WEBSOCKET_ENABLED, as upstream)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import msgspec
from litestar import Response, WebSocket, get, post, websocket
from litestar.exceptions import WebSocketDisconnect

from evolution_py.api.auth import instance_guard
from evolution_py.events.names import ALL_WIRE_NAMES, EVENT_KEYS, GLOBAL_EVENT_KEYS, wire_names_of_key
from evolution_py.services import Services
from evolution_py.sinks.event_rows import EventsConfig
from evolution_py.sinks.shared_routes import empty, find_row, set_row
from evolution_py.sinks.socketio import WEBSOCKET
from evolution_py.sinks.socketio.auth import AccessDenied
from evolution_py.sinks.socketio.stream import StreamSubscriber


class WebsocketBody(msgspec.Struct, kw_only=True):
    websocket: EventsConfig


def _enabled(services: Services) -> bool:
    return WEBSOCKET.config(services.settings.env).enabled


@post("/websocket/set/{instanceName:str}", guards=[instance_guard], status_code=201, tags=["Websocket"])
async def set_websocket(services: Services, instanceName: str, data: WebsocketBody) -> Response[Any]:
    if not _enabled(services):
        return empty(201)
    return Response(await set_row(services, "websocket", instanceName, data.websocket), status_code=201)


@get("/websocket/find/{instanceName:str}", guards=[instance_guard], tags=["Websocket"])
async def find_websocket(services: Services, instanceName: str) -> Response[Any]:
    if not _enabled(services):
        return empty(200)
    return Response(await find_row(services, "websocket", instanceName), status_code=200)


ROUTES: list[Any] = [set_websocket, find_websocket]


# --- plain WebSocket stream (not upstream: for dashboards without a socket.io client) -----------

# Close codes: 4400 bad query, 4401 bad or missing key, 4403 stream not enabled, 4404 unknown
# instance, 4410 instance removed, 4429 client too slow to keep up.


def _events_filter(raw: str | None) -> frozenset[str] | None:
    """`events=messages.upsert,SEND_MESSAGE` → wire names; None (all) when absent."""
    if not raw or not raw.strip():
        return None
    wanted: set[str] = set()
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        if item in ALL_WIRE_NAMES:
            wanted.add(item)
        elif item in EVENT_KEYS or item in GLOBAL_EVENT_KEYS:
            wanted.update(wire_names_of_key(item))
        else:
            raise ValueError(f"events: {item!r} is not an event name")
    return frozenset(wanted)


@websocket("/ws", include_in_schema=False)
async def event_stream(socket: WebSocket[Any, Any, Any], services: Services) -> None:
    """`/ws?apikey=...&instance=<name>&events=a,b`: the JSON envelopes socket.io namespace
    `/<name>` (or `/` without `instance`) gets, one text frame each."""
    await socket.accept()
    sink = services.sinks.get(WEBSOCKET)
    if sink is None:
        await socket.close(code=4403, reason="WEBSOCKET_ENABLED is not true")
        return
    params = socket.query_params
    instance = (params.get("instance") or "").strip()
    namespace = f"/{instance}" if instance else "/"
    key = (params.get("apikey") or socket.headers.get("apikey") or "").strip()
    try:
        events = _events_filter(params.get("events"))
        sink.access.authorize(namespace, key, "")  # no remote: WEBSOCKET_ALLOWED_HOSTS does not apply
    except ValueError as exc:
        await socket.close(code=4400, reason=str(exc)[:120])
        return
    except AccessDenied as exc:
        await socket.close(code=4404 if str(exc) == "Invalid namespace" else 4401, reason=str(exc))
        return

    def still_allowed() -> bool:
        try:
            sink.access.authorize(namespace, key, "")
        except AccessDenied:
            return False
        return True

    subscriber = sink.hub.subscribe(namespace, events, still_allowed)
    try:
        await _pump(socket, subscriber)
    finally:
        sink.hub.unsubscribe(subscriber)


async def _pump(socket: WebSocket[Any, Any, Any], subscriber: StreamSubscriber) -> None:
    async def watch_client() -> None:
        # Reading is how a disconnect is noticed; anything the client sends is ignored.
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                await socket.receive_data(mode="text")

    async def forward() -> None:
        while True:
            payload = await subscriber.queue.get()
            await socket.send_data(payload.decode(), mode="text")

    tasks = {
        asyncio.create_task(watch_client()),
        asyncio.create_task(forward()),
        asyncio.create_task(subscriber.overflowed.wait()),
        asyncio.create_task(subscriber.ended.wait()),
    }
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    if subscriber.overflowed.is_set():
        with contextlib.suppress(Exception):
            await socket.close(code=4429, reason="too slow: the event buffer is full")
    elif subscriber.ended.is_set():
        with contextlib.suppress(Exception):
            while not subscriber.queue.empty():  # the last events (remove.instance) go out first
                await socket.send_data(subscriber.queue.get_nowait().decode(), mode="text")
            await socket.close(code=4410, reason="instance removed")


ROUTES.append(event_stream)
