"""Test helper of the socket.io sink: a python-socketio client that connects to one namespace and records
events and refusals (needs the `python-socketio[asyncio_client]` extra, which the test extra installs)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import socketio


class SioListener:
    def __init__(self, client: socketio.AsyncClient, namespace: str) -> None:
        self.client = client
        self.namespace = namespace
        self.received: list[tuple[str, Any]] = []
        self._arrived = asyncio.Event()
        self.refusal: Any = None
        self.disconnected = asyncio.Event()
        client.on("*", self._on_any, namespace=namespace)
        client.on("disconnect", self._on_disconnect, namespace=namespace)
        client.on("connect_error", self._on_refused, namespace=namespace)

    async def _on_any(self, event: str, data: Any) -> None:
        self.received.append((event, data))
        self._arrived.set()

    async def _on_disconnect(self, *_reason: Any) -> None:
        self.disconnected.set()

    async def _on_refused(self, data: Any) -> None:
        self.refusal = data

    async def wait_for(self, count: int, within: float = 10.0) -> list[tuple[str, Any]]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while len(self.received) < count:
            remaining = deadline - loop.time()
            assert remaining > 0, f"{self.namespace}: {len(self.received)} of {count} events arrived"
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except TimeoutError:
                pass
        return self.received[:count]


@asynccontextmanager
async def sio_listener(
    base_url: str,
    namespace: str,
    *,
    auth: Any = None,
    query_key: str | None = None,
    header_key: str | None = None,
    transports: list[str] | None = None,
) -> AsyncIterator[SioListener]:
    client = socketio.AsyncClient(reconnection=False)
    listener = SioListener(client, namespace)
    url = base_url + (f"?apikey={query_key}" if query_key else "")
    try:
        await client.connect(
            url,
            namespaces=[namespace],
            auth=auth,
            headers={"apikey": header_key} if header_key else {},
            transports=transports or ["websocket"],
            wait_timeout=5,
        )
        yield listener
    finally:
        await client.disconnect()


async def refusal(base_url: str, namespace: str, **kwargs: Any) -> Any:
    """Connect and expect a refusal; returns the server's connect_error payload ({"message": ...})."""
    client = socketio.AsyncClient(reconnection=False)
    listener = SioListener(client, namespace)
    key = kwargs.get("query_key")
    try:
        await client.connect(
            base_url + (f"?apikey={key}" if key else ""),
            namespaces=[namespace],
            auth=kwargs.get("auth"),
            headers={"apikey": kwargs["header_key"]} if kwargs.get("header_key") else {},
            transports=["websocket"],
            wait_timeout=5,
        )
    except socketio.exceptions.ConnectionError:
        return listener.refusal
    finally:
        await client.disconnect()
    raise AssertionError(f"{namespace} accepted the connection")
