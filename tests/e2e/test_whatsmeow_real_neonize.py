"""The real neonize client (no fake) without a route to WhatsApp: the server reports the state
truthfully, retries with backoff, gives a fresh pairing up, and keeps answering. The dial goes
through a proxy port nobody listens on, so the test never reaches WhatsApp even on a machine
that has internet access."""

from __future__ import annotations

import asyncio

from tests.support.server import free_port, unique
from tests.support.whatsmeow import eventually, record, state


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
        # whatsmeow created its store, but no device is in it: a restart would not try to resume
        from evolution_py.channels.whatsapp_web.device_store import has_session, session_path

        path = session_path(str(tmp_path), instance_id)
        assert await asyncio.to_thread(path.exists)
        assert not await asyncio.to_thread(has_session, path)
        deleted = await srv.client.delete(f"/instance/delete/{name}", headers=srv.headers())
        assert deleted.status_code == 200
        assert not await asyncio.to_thread(path.exists)
