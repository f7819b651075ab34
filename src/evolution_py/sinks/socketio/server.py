"""The python-socketio server: dynamic namespaces `/<instance>` and `/`, key checked per namespace."""

from __future__ import annotations

import logging
from typing import Any

import socketio

from evolution_py.sinks.socketio.auth import AccessDenied, NamespaceAccess, handshake_key, remote_address
from evolution_py.sinks.socketio.config import WebsocketSettings

log = logging.getLogger(__name__)

KEY, REMOTE = "apikey", "remote"  # what a client's session holds (its handshake's key and address)


def build_socketio_server(settings: WebsocketSettings, access: NamespaceAccess) -> socketio.AsyncServer:
    origins: Any = "*" if "*" in settings.cors_origins else list(settings.cors_origins)
    # namespaces="*": a client may connect to `/<instance>` before that instance's first event
    # (upstream creates the namespace lazily on first emit and refuses earlier connects).
    manager: Any = None  # python-socketio's in-process manager
    if settings.cluster_redis_url:
        manager = socketio.AsyncRedisManager(settings.cluster_redis_url, channel=settings.cluster_channel)
    sio = socketio.AsyncServer(
        async_mode="asgi",
        cors_allowed_origins=origins,
        namespaces="*",
        logger=False,
        engineio_logger=False,
        client_manager=manager,
    )

    @sio.on("connect", namespace="*")  # type: ignore[untyped-decorator]
    async def connect(namespace: str, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        key = handshake_key(environ, auth)
        try:
            access.authorize(namespace, key, remote_address(environ))
        except AccessDenied as exc:
            log.info("socket.io: refused %s on %s: %s", remote_address(environ), namespace, exc)
            raise socketio.exceptions.ConnectionRefusedError(str(exc)) from None
        # Kept in this process's session so a cluster node can check the client again later
        # (SocketIOSink.recheck_clients): an instance may be deleted, or re-created with a new token.
        await sio.save_session(sid, {KEY: key, REMOTE: remote_address(environ)}, namespace=namespace)

    return sio
