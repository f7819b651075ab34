"""socket.io sink through the real server and python-socketio's client; the plain /ws stream through websockets."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
import pytest
import websockets

from evolution_py.sinks.socketio.testing import refusal, sio_listener
from tests.conftest import ServerFactory
from tests.support.server import RunningServer, unique

WS_ENV = {"WEBSOCKET_ENABLED": "true"}


async def send_text(server: RunningServer, name: str, text: str) -> dict[str, Any]:
    response = await server.client.post(
        f"/message/sendText/{name}", json={"number": "5511999990000", "text": text}, headers=server.headers()
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def subscribe(server: RunningServer, name: str, events: list[str], key: str | None = None) -> dict[str, Any]:
    response = await server.client.post(
        f"/websocket/set/{name}", json={"websocket": {"enabled": True, "events": events}}, headers=server.headers(key)
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_instance_namespace_before_first_event_and_payload(server_factory: ServerFactory) -> None:
    async with server_factory(**WS_ENV) as server:
        name = unique("ws")
        token = (await server.create_instance(name, number="5511933330000"))["hash"]
        # Connect before the instance ever emitted on socket.io (upstream refuses: lazy namespace).
        async with sio_listener(server.base_url, f"/{name}", auth={"apikey": token}) as listener:
            row = await subscribe(server, name, ["SEND_MESSAGE"], key=token)
            assert row["enabled"] is True and row["events"] == ["SEND_MESSAGE"]
            assert set(row) == {"id", "enabled", "events", "createdAt", "updatedAt", "instanceId"}
            found = await server.client.get(f"/websocket/find/{name}", headers=server.headers(token))
            assert found.json() == row

            sent = await send_text(server, name, "over socket.io")
            await server.client.post(  # messages.upsert is not subscribed: must not arrive
                "/webhook/evolution",
                json={
                    "numberId": "5511933330000",
                    "key": {"remoteJid": "5511944440000@s.whatsapp.net"},
                    "message": {"conversation": "inbound"},
                },
                headers=server.headers(token),
            )
            ((event, payload),) = await listener.wait_for(1)
            assert event == "send.message"
            assert list(payload) == ["event", "instance", "data", "date_time", "server_url", "apikey"]
            assert payload["instance"] == name and payload["data"]["key"]["id"] == sent["key"]["id"]
            assert payload["data"]["message"] == {"conversation": "over socket.io"}
            await send_text(server, name, "second")
            await listener.wait_for(2)
            assert [e for e, _ in listener.received] == ["send.message", "send.message"]


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
async def test_keys_open_only_their_own_namespace(server_factory: ServerFactory) -> None:
    async with server_factory(**WS_ENV) as server:
        a, b = unique("wsa"), unique("wsb")
        token_a = (await server.create_instance(a))["hash"]
        await server.create_instance(b)
        url = server.base_url

        assert (await refusal(url, f"/{b}", auth={"apikey": token_a})) == {"message": "Authentication error"}
        assert (await refusal(url, "/", auth={"apikey": token_a})) == {"message": "Invalid global token"}
        assert (await refusal(url, f"/{a}")) == {"message": "apiKey is required"}
        assert (await refusal(url, f"/{a}", query_key="wrong")) == {"message": "Authentication error"}
        assert (await refusal(url, "/no-such-instance", auth={"apikey": server.api_key})) == {
            "message": "Invalid namespace"
        }
        # The key is accepted from the auth payload, the query string and the apikey header.
        async with sio_listener(url, f"/{a}", query_key=token_a):
            pass
        async with sio_listener(url, f"/{a}", header_key=token_a, transports=["polling", "websocket"]):
            pass
        # The global key opens every namespace.
        async with sio_listener(url, f"/{b}", auth={"apikey": server.api_key}):
            pass
        async with sio_listener(url, "/", auth={"apikey": server.api_key}):
            pass


async def test_global_mode_sends_every_event_to_root(server_factory: ServerFactory) -> None:
    async with server_factory(WEBSOCKET_GLOBAL_EVENTS="true", **WS_ENV) as server:
        async with sio_listener(server.base_url, "/", auth={"apikey": server.api_key}) as listener:
            name = unique("wsg")
            await server.create_instance(name)  # no websocket row: global mode ignores event flags
            sent = await send_text(server, name, "global")
            received = await listener.wait_for(2)
            assert [event for event, _ in received] == ["instance.create", "send.message"]
            assert received[0][1]["data"]["instanceName"] == name
            assert received[1][1]["data"]["key"]["id"] == sent["key"]["id"]


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
async def test_set_validates_and_answers_empty_when_disabled(server_factory: ServerFactory) -> None:
    async with server_factory(**WS_ENV) as server:
        name = unique("wsv")
        await server.create_instance(name)
        bad = await server.client.post(f"/websocket/set/{name}", json={"rabbitmq": {}}, headers=server.headers())
        assert bad.status_code == 400
        assert bad.json()["response"]["message"] == [['instance requires property "websocket"']]
        off = await subscribe(server, name, [])
        assert len(off["events"]) == 31
    async with server_factory() as server:
        name = unique("wsoff")
        await server.create_instance(name)
        response = await server.client.post(
            f"/websocket/set/{name}", json={"websocket": {"enabled": True, "events": []}}, headers=server.headers()
        )
        assert response.status_code == 201 and response.content == b""
        found = await server.client.get(f"/websocket/find/{name}", headers=server.headers())
        assert found.status_code == 200 and found.content == b""
        socket_io = await server.client.get("/socket.io/", params={"EIO": "4", "transport": "polling"})
        assert socket_io.status_code == 404
        assert await closed_with(ws_url(server, apikey=server.api_key)) == (4403, "WEBSOCKET_ENABLED is not true")


def ws_url(server: RunningServer, **query: str) -> str:
    from urllib.parse import urlencode

    return server.base_url.replace("http://", "ws://") + "/ws?" + urlencode(query)


async def next_json(ws: Any, within: float = 10.0) -> dict[str, Any]:
    return msgspec.json.decode(await asyncio.wait_for(ws.recv(), within))  # type: ignore[no-any-return]


async def closed_with(url: str) -> tuple[int, str]:
    async with websockets.connect(url) as ws:
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
        assert ws.close_code is not None
        return ws.close_code, ws.close_reason or ""


async def test_plain_ws_stream_filters_and_auth(server_factory: ServerFactory) -> None:
    async with server_factory(**WS_ENV) as server:
        a, b = unique("wsp"), unique("wsq")
        token_a = (await server.create_instance(a, number="5511911110000"))["hash"]
        await server.create_instance(b)
        await subscribe(server, a, [])  # all events on /a

        async with websockets.connect(ws_url(server, apikey=token_a, instance=a, events="send.message")) as only_send:
            async with websockets.connect(ws_url(server, apikey=token_a, instance=a)) as everything:
                await asyncio.sleep(0.1)  # both subscribed before the first event
                await server.client.post(
                    "/webhook/evolution",
                    json={
                        "numberId": "5511911110000",
                        "key": {"remoteJid": "5511922220000@s.whatsapp.net"},
                        "message": {"conversation": "inbound"},
                    },
                    headers=server.headers(token_a),
                )
                sent = await send_text(server, a, "outbound")
                first = await next_json(only_send)
                assert first["event"] == "send.message" and first["data"]["key"]["id"] == sent["key"]["id"]
                assert list(first) == ["event", "instance", "data", "date_time", "server_url", "apikey"]
                names = [(await next_json(everything))["event"] for _ in range(4)]
                assert names == ["messages.upsert", "contacts.upsert", "chats.upsert", "send.message"]

        assert await closed_with(ws_url(server, apikey=token_a, instance=b)) == (4401, "Authentication error")
        assert await closed_with(ws_url(server, apikey=token_a)) == (4401, "Invalid global token")
        assert await closed_with(ws_url(server, instance=a)) == (4401, "apiKey is required")
        assert await closed_with(ws_url(server, apikey=server.api_key, instance="nope")) == (4404, "Invalid namespace")
        code, reason = await closed_with(ws_url(server, apikey=server.api_key, events="bogus.event"))
        assert code == 4400 and "bogus.event" in reason


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
async def test_removed_instance_disconnects_its_readers(server_factory: ServerFactory) -> None:
    async with server_factory(**WS_ENV) as server:
        name = unique("wsdel")
        token = (await server.create_instance(name))["hash"]
        await subscribe(server, name, ["REMOVE_INSTANCE", "INSTANCE_DELETE"])
        async with sio_listener(server.base_url, f"/{name}", auth={"apikey": token}) as listener:
            async with websockets.connect(ws_url(server, apikey=token, instance=name)) as stream:
                await asyncio.sleep(0.1)
                deleted = await server.client.delete(f"/instance/delete/{name}", headers=server.headers())
                assert deleted.status_code == 200, deleted.text
                received = await listener.wait_for(2)
                assert [event for event, _ in received] == ["instance.delete", "remove.instance"]
                await asyncio.wait_for(listener.disconnected.wait(), 10)
                assert [(await next_json(stream))["event"] for _ in range(2)] == ["instance.delete", "remove.instance"]
                with pytest.raises(websockets.ConnectionClosed):
                    await asyncio.wait_for(stream.recv(), 5)
                assert (stream.close_code, stream.close_reason) == (4410, "instance removed")
        # A new instance reusing the name does not accept the old token.
        await server.create_instance(name)
        assert (await refusal(server.base_url, f"/{name}", auth={"apikey": token})) == {
            "message": "Authentication error"
        }


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
async def test_allowed_hosts_connect_without_a_key_only_when_set(server_factory: ServerFactory) -> None:
    async with server_factory(WEBSOCKET_ALLOWED_HOSTS="127.0.0.1", **WS_ENV) as server:
        name = unique("wsh")
        await server.create_instance(name)
        async with sio_listener(server.base_url, f"/{name}"):
            pass
        async with sio_listener(server.base_url, "/"):
            pass
        # Unknown instances stay refused, key or not.
        assert (await refusal(server.base_url, "/no-such-instance")) == {"message": "Invalid namespace"}
    async with server_factory(WEBSOCKET_ALLOWED_HOSTS="10.9.9.9", **WS_ENV) as server:
        name = unique("wsh")
        await server.create_instance(name)
        assert (await refusal(server.base_url, f"/{name}")) == {"message": "apiKey is required"}
