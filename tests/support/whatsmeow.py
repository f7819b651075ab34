"""Helpers for tests of the WHATSAPP-BAILEYS channel on a real server with the fake neonize client."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from evolution_py.channels.whatsapp_web.device_store import session_path
from evolution_py.channels.whatsapp_web.pg_sessions import schema_name, session_dsn
from evolution_py.events.testing import RecordingSink
from tests.support.fake_neonize import FakeClient, stored_device
from tests.support.server import RunningServer

FAKE_ENV = {
    "WHATSMEOW_CLIENT_FACTORY": "tests.support.fake_neonize:create",
    "WHATSMEOW_RECONNECT_BASE_SECONDS": "0.05",
    "WHATSMEOW_RECONNECT_MAX_SECONDS": "0.2",
}


def record(srv: RunningServer) -> RecordingSink:
    sink = RecordingSink()
    srv.services.bus.add_sink(sink)
    return sink


async def eventually(check: Callable[[], Any], within: float = 5.0) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        value = check()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def client_of(instance_id: str, count: int = 1) -> FakeClient:
    await eventually(
        lambda: len(FakeClient.all_of(instance_id)) >= count and FakeClient.of(instance_id).loop is not None
    )
    return FakeClient.of(instance_id)


async def create(srv: RunningServer, name: str, **fields: Any) -> str:
    body = await srv.create_instance(name, integration="WHATSAPP-BAILEYS", **fields)
    return str(body["instance"]["instanceId"])


async def state(srv: RunningServer, name: str) -> str | None:
    response = await srv.client.get(f"/instance/connectionState/{name}", headers=srv.headers())
    return response.json()["instance"].get("state")  # type: ignore[no-any-return]


async def open_instance(srv: RunningServer, name: str) -> tuple[str, FakeClient]:
    """Create, connect, scan (QR), pair: an instance in state `open` on a fake client."""
    instance_id = await create(srv, name)
    connecting = asyncio.create_task(srv.client.get(f"/instance/connect/{name}", headers=srv.headers()))
    client = await client_of(instance_id)
    await client.push_qr("2@fake-qr-payload,abc,def,ghi")
    response = await connecting
    assert response.status_code == 200, response.text
    await client.pair()
    await eventually(lambda: srv.services.registry.require(name).channel.state == "open")
    return instance_id, client


async def device_stored(srv: RunningServer, instance_id: str) -> str | None:
    """The paired device in the instance's session store, read where whatsmeow keeps it: its schema
    (WHATSMEOW_SESSION_STORE=postgresql, the default on PostgreSQL) or its SQLite file."""
    settings = srv.services.settings
    if settings.whatsmeow_session_store == "postgresql":
        store = session_dsn(settings.whatsmeow_session_dsn, schema_name(instance_id))
    else:
        store = str(session_path(settings.data_dir, instance_id))
    return await asyncio.to_thread(stored_device, store)
