"""Pusher sink through the real server against a fake of Pusher's REST API that checks signatures."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from evolution_py.sinks.pusher import PUSHER
from evolution_py.sinks.pusher.testing import fake_pusher
from evolution_py.sinks.rabbitmq.testing import TcpProxy
from tests.conftest import ServerFactory
from tests.support.server import RunningServer

APP = {"appId": "1001", "key": "instkey", "secret": "instsecret", "cluster": "mt1", "useTLS": False}


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


async def send_text(server: RunningServer, name: str, text: str) -> dict[str, Any]:
    response = await server.client.post(
        f"/message/sendText/{name}", json={"number": "5511999990000", "text": text}, headers=server.headers()
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def wait_for(check: Any, within: float = 10.0) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not (value := check()):
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)
    return value


async def test_instance_app_gets_signed_triggers(server_factory: ServerFactory) -> None:
    async with fake_pusher({"1001": ("instkey", "instsecret")}) as fake:
        env = {"PUSHER_ENABLED": "true", "PUSHER_HOST": f"127.0.0.1:{fake.port}"}
        async with server_factory(**env) as server:
            name = unique("push")
            created = await server.create_instance(name)
            assert (await server.client.get(f"/pusher/find/{name}", headers=server.headers())).json() is None
            saved = await server.client.post(
                f"/pusher/set/{name}",
                json={"pusher": {**APP, "enabled": True, "events": ["SEND_MESSAGE"]}},
                headers=server.headers(created["hash"]),
            )
            assert saved.status_code == 201, saved.text
            row = saved.json()
            assert {k: row[k] for k in APP} == APP and row["events"] == ["SEND_MESSAGE"]
            assert (await server.client.get(f"/pusher/find/{name}", headers=server.headers())).json() == row

            sent = await send_text(server, name, "hello pusher")
            (trigger,) = await wait_for(lambda: fake.of("1001", name))
            assert trigger["name"] == "send.message" and trigger["channels"] == [name]
            data = trigger["data"]
            assert list(data) == ["event", "instance", "data", "destination", "date_time", "server_url", "apikey"]
            assert data["destination"] == "1001" and data["data"]["key"]["id"] == sent["key"]["id"]
            assert fake.refused == []

            # Over Pusher's 10 KB limit: not sent, as upstream (and not dead-lettered).
            await send_text(server, name, "x" * 11000)
            await server.services.bus.drain()
            assert len(fake.of("1001", name)) == 1
            dead = await server.client.get(f"/events/dead/{name}", headers=server.headers())
            assert dead.json()["total"] == 0


async def test_global_app_and_create_block_and_bad_bodies(server_factory: ServerFactory) -> None:
    async with fake_pusher({"9": ("gkey", "gsecret"), "1001": ("instkey", "instsecret")}) as fake:
        env = {
            "PUSHER_ENABLED": "true",
            "PUSHER_HOST": f"127.0.0.1:{fake.port}",
            "PUSHER_GLOBAL_ENABLED": "true",
            "PUSHER_GLOBAL_APP_ID": "9",
            "PUSHER_GLOBAL_KEY": "gkey",
            "PUSHER_GLOBAL_SECRET": "gsecret",
            "PUSHER_GLOBAL_CLUSTER": "eu",
            "PUSHER_EVENTS_INSTANCE_CREATE": "true",
            "PUSHER_EVENTS_SEND_MESSAGE": "true",
        }
        async with server_factory(**env) as server:
            name = unique("pushg")
            await server.create_instance(name, pusher={**APP, "enabled": True, "events": ["SEND_MESSAGE"]})
            (created,) = await wait_for(lambda: fake.of("9", name))
            # The instance's app id when it has one (its row is stored with it), as upstream.
            assert created["name"] == "instance.create" and created["data"]["destination"] == "1001"
            await send_text(server, name, "both")
            await wait_for(lambda: len(fake.of("9", name)) == 2 and fake.of("1001", name))
            # With an instance app, `destination` is the instance's app id on both triggers (upstream).
            assert fake.of("9", name)[1]["data"]["destination"] == "1001"

            async def post(body: Any) -> Any:
                return await server.client.post(f"/pusher/set/{name}", json=body, headers=server.headers())

            assert (await post({})).status_code == 400
            missing = await post({"pusher": {"enabled": True, "events": []}})
            assert missing.status_code == 400 and "pusher requires property" in str(missing.json())
            empty_key = await post({"pusher": {**APP, "key": "", "enabled": True}})
            assert empty_key.status_code == 400 and "pusher.key" in str(empty_key.json())
            evil = await post({"pusher": {**APP, "cluster": "x.evil.com/", "enabled": True}})
            assert evil.status_code == 400 and "cluster" in str(evil.json())
            bad_event = await post({"pusher": {**APP, "enabled": True, "events": ["NOPE"]}})
            assert bad_event.status_code == 400 and "NOPE" in str(bad_event.json())


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
async def test_outage_and_server_errors_lose_nothing(server_factory: ServerFactory) -> None:
    async with fake_pusher({"1001": ("instkey", "instsecret")}) as fake:
        proxy = TcpProxy("127.0.0.1", fake.port)
        await proxy.start()
        env = {"PUSHER_ENABLED": "true", "PUSHER_HOST": f"127.0.0.1:{proxy.port}"}
        try:
            async with server_factory(**env) as server:
                name = unique("pushout")
                await server.create_instance(name, pusher={**APP, "enabled": True, "events": ["SEND_MESSAGE"]})
                accepted = [(await send_text(server, name, f"before {i}"))["key"]["id"] for i in range(5)]
                await proxy.cut()
                accepted += [(await send_text(server, name, f"cut {i}"))["key"]["id"] for i in range(20)]
                await asyncio.sleep(1.5)
                await proxy.restore()
                fake.fail_with = 503  # Pusher answering 5xx for a while
                accepted += [(await send_text(server, name, f"503 {i}"))["key"]["id"] for i in range(10)]
                await asyncio.sleep(1.5)
                fake.fail_with = None

                def ids() -> set[str]:
                    return {t["data"]["data"]["key"]["id"] for t in fake.of("1001", name)}

                await wait_for(lambda: ids() >= set(accepted), within=60)
                dead = await server.client.get(f"/events/dead/{name}", headers=server.headers())
                assert dead.json()["total"] == 0
                assert server.services.sinks.get(PUSHER) is not None
        finally:
            await proxy.close()


async def test_find_answers_empty_when_disabled(server: RunningServer) -> None:
    name = unique("pushoff")
    await server.create_instance(name)
    saved = await server.client.post(
        f"/pusher/set/{name}", json={"pusher": {**APP, "enabled": True, "events": []}}, headers=server.headers()
    )
    assert saved.status_code == 201 and len(saved.json()["events"]) == 31  # stored anyway, as upstream
    found = await server.client.get(f"/pusher/find/{name}", headers=server.headers())
    assert found.status_code == 200 and found.content == b""
    assert server.services.sinks.get(PUSHER) is None
