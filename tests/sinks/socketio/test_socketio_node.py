"""The npm socket.io-client v4 (what Evolution API dashboards use) against the real server."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import ServerFactory
from tests.support.node import node_script


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
@pytest.mark.parametrize("transports", ["websocket", "polling,websocket"])
async def test_npm_socketio_client_gets_instance_events(server_factory: ServerFactory, transports: str) -> None:
    async with server_factory(WEBSOCKET_ENABLED="true") as server:
        name, other = f"node-{uuid.uuid4().hex[:8]}", f"node-{uuid.uuid4().hex[:8]}"
        token = (await server.create_instance(name))["hash"]
        await server.create_instance(other)
        subscribed = await server.client.post(
            f"/websocket/set/{name}",
            json={"websocket": {"enabled": True, "events": ["SEND_MESSAGE"]}},
            headers=server.headers(token),
        )
        assert subscribed.status_code == 201

        async with node_script("sio_listen.mjs", server.base_url, f"/{name}", token, "2", "15000", transports) as node:
            assert (await node.next_line()) == {"type": "connected"}
            ids = []
            for text in ("one", "two"):
                response = await server.client.post(
                    f"/message/sendText/{name}",
                    json={"number": "5511999990000", "text": text},
                    headers=server.headers(),
                )
                ids.append(response.json()["key"]["id"])
            events = [line for line in await node.rest() if line["type"] == "event"]
            assert node.process.returncode == 0
            assert [e["event"] for e in events] == ["send.message", "send.message"]
            assert [e["payload"]["data"]["key"]["id"] for e in events] == ids
            assert list(events[0]["payload"]) == ["event", "instance", "data", "date_time", "server_url", "apikey"]

        # The same token cannot open another instance's namespace.
        async with node_script("sio_listen.mjs", server.base_url, f"/{other}", token, "1", "10000", transports) as node:
            assert (await node.next_line()) == {"type": "refused", "message": "Authentication error"}
