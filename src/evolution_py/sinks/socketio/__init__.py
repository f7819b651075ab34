"""The socket.io sink (per-instance namespaces and global mode) and the plain /ws stream fed by the same
deliveries; named "websocket" on the bus and in its table, as upstream.

config.py (WEBSOCKET_* → WebsocketSettings) · sink.py (plan and emit) · server.py, auth.py (the
socket.io server and who may open which namespace) · stream.py (/ws subscribers) · routes.py
(`/websocket/set`, `/websocket/find`, `/ws`) · testing.py (a socket.io client that records).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import socketio

from evolution_py.dto.instance import CreateInstanceRequest
from evolution_py.sinks.event_rows import row_from_create_block
from evolution_py.sinks.kind import AsgiApp, SinkContext, SinkKind
from evolution_py.sinks.socketio.auth import NamespaceAccess
from evolution_py.sinks.socketio.config import WebsocketSettings, load_websocket_settings
from evolution_py.sinks.socketio.server import build_socketio_server
from evolution_py.sinks.socketio.sink import SocketIOSink
from evolution_py.sinks.socketio.stream import StreamHub

if TYPE_CHECKING:
    from litestar.types import ControllerRouterHandler


def _rows_from_create(settings: WebsocketSettings, req: CreateInstanceRequest) -> dict[str, Any] | None:
    return row_from_create_block("websocket", settings.enabled, req.websocket)


def _build(settings: WebsocketSettings, context: SinkContext) -> SocketIOSink | None:
    if not settings.enabled:
        return None
    access = NamespaceAccess(context.settings.api_key, context.instances, settings.allowed_hosts)
    sio = build_socketio_server(settings, access)
    return SocketIOSink(settings, context.subscriptions, sio, StreamHub(settings.stream_buffer), access)


def _routes() -> Sequence[ControllerRouterHandler]:
    from evolution_py.sinks.socketio.routes import ROUTES  # noqa: PLC0415  (see SinkKind.routes)

    return ROUTES


def _in_front(sink: SocketIOSink, app: AsgiApp) -> AsgiApp:
    """socket.io answers /socket.io and hands every other path, and the lifespan, to the app."""
    wrapped: AsgiApp = socketio.ASGIApp(sink.sio, other_asgi_app=app, socketio_path="socket.io")
    return wrapped


WEBSOCKET: SinkKind[WebsocketSettings, SocketIOSink] = SinkKind(
    name="websocket",
    load_config=load_websocket_settings,
    rows_from_create=_rows_from_create,
    fetch_key="Websocket",
    build=_build,
    routes=_routes,
    wrap_asgi=_in_front,
)

__all__ = ["WEBSOCKET", "SocketIOSink", "WebsocketSettings"]
