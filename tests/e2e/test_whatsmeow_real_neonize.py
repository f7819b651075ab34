"""The real neonize client (no fake) without a route to WhatsApp: the server reports the state
truthfully, retries with backoff, gives a fresh pairing up, and keeps answering. The dial goes
through a proxy port nobody listens on, so the test never reaches WhatsApp even on a machine
that has internet access."""

from __future__ import annotations

import asyncio

import asyncpg

from evolution_py.channels.whatsapp_web.device_store import session_path
from evolution_py.channels.whatsapp_web.pg_sessions import schema_name, session_dsn
from tests.support.server import RunningServer, free_port, unique
from tests.support.whatsmeow import device_stored, eventually, record, state


async def test_offline_dial_fails_retries_and_closes(server_factory, tmp_path) -> None:
    env = {"WHATSMEOW_RECONNECT_BASE_SECONDS": "0.05", "WHATSMEOW_RECONNECT_MAX_SECONDS": "0.2"}
    async with server_factory(**env) as srv:
        sink = record(srv)
        name = unique("real")
        refused = free_port()  # bound and released: connections to it are refused at once
        created = await srv.create_instance(
            name,
            integration="WHATSAPP-BAILEYS",
            proxyHost="127.0.0.1",
            proxyPort=str(refused),
            proxyProtocol="http",
        )
        instance_id = created["instance"]["instanceId"]
        response = await srv.client.get(f"/instance/connect/{name}", headers=srv.headers())
        assert response.status_code == 200
        body = response.json()
        assert body.get("count", 0) == 0 or body.get("error") is True
        channel = srv.services.registry.require(name).channel
        # a refused dial fails within milliseconds; a black-holed network would take ~60 s a try
        await eventually(lambda: sink.of("connection.update", name)[-1]["state"] == "close", within=60)
        assert channel.state == "close"
        closing = sink.of("connection.update", name)[-1]
        assert closing == {"instance": name, "state": "close", "statusReason": 408}
        assert (await srv.client.get("/")).status_code == 200
        assert await state(srv, name) == "close"
        # whatsmeow created its store, but no device is in it: a restart would not try to resume.
        # The store is the instance's PostgreSQL schema (WHATSMEOW_SESSION_STORE's default on
        # PostgreSQL) or its SQLite file.
        assert await store_exists(srv, instance_id)
        assert await device_stored(srv, instance_id) is None
        deleted = await srv.client.delete(f"/instance/delete/{name}", headers=srv.headers())
        assert deleted.status_code == 200
        assert not await store_exists(srv, instance_id)


async def store_exists(srv: RunningServer, instance_id: str) -> bool:
    settings = srv.services.settings
    if settings.whatsmeow_session_store != "postgresql":
        return await asyncio.to_thread(session_path(settings.data_dir, instance_id).exists)
    conn = await asyncpg.connect(session_dsn(settings.whatsmeow_session_dsn, "public"))
    try:
        found = await conn.fetchval(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = $1 AND table_name = 'whatsmeow_device'",
            schema_name(instance_id),
        )
    finally:
        await conn.close()
    return bool(found)
