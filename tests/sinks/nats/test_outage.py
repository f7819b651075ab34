"""NATS cut off mid-stream (a private nats-server behind a TCP proxy) and restored: every accepted
event arrives, to a plain subscriber and to a JetStream stream (there exactly once)."""

from __future__ import annotations

import asyncio
import uuid

import nats
import pytest
from nats.aio.msg import Msg
from nats.js.api import StreamConfig

from evolution_py.sinks.nats import NATS
from evolution_py.sinks.nats.testing import body, nats_subscriber, private_nats_server, stream_messages
from evolution_py.sinks.rabbitmq.testing import TcpProxy
from tests.conftest import ServerFactory

TOTAL = 200
CUT_AFTER = 60
OUTAGE_SECONDS = 2.0


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
@pytest.mark.parametrize("with_stream", [False, True], ids=["plain", "jetstream"])
async def test_outage_mid_stream_loses_nothing(server_factory: ServerFactory, with_stream: bool) -> None:
    name = f"natsout_{uuid.uuid4().hex[:10]}"
    subject = f"{name}.send.message"
    async with private_nats_server() as port:
        direct = f"nats://127.0.0.1:{port}"
        if with_stream:
            admin = await nats.connect(direct)
            await admin.jetstream().add_stream(StreamConfig(name="EVO", subjects=[f"{name}.>"]))
            await admin.close()
        proxy = TcpProxy("127.0.0.1", port)
        await proxy.start()
        env = {"NATS_ENABLED": "true", "NATS_URI": f"nats://127.0.0.1:{proxy.port}", "NATS_PING_INTERVAL": "1"}
        try:
            async with nats_subscriber(direct) as subscriber, server_factory(**env) as server:
                await subscriber.subscribe(subject)
                sink = server.services.sinks.get(NATS)
                assert sink is not None
                assert await sink.connection.wait_ready(10)
                await server.create_instance(name, nats={"enabled": True, "events": ["SEND_MESSAGE"]})
                accepted: list[str] = []
                during_outage = 0
                loop = asyncio.get_running_loop()
                cut_at: float | None = None
                for index in range(TOTAL):
                    if index == CUT_AFTER:
                        await proxy.cut()
                        cut_at = loop.time()
                    elif cut_at is not None and loop.time() - cut_at > OUTAGE_SECONDS:
                        await proxy.restore()
                        cut_at = None
                    response = await server.client.post(
                        f"/message/sendText/{name}",
                        json={"number": "5511999990000", "text": f"event {index}"},
                        headers=server.headers(),
                    )
                    assert response.status_code == 201, response.text
                    accepted.append(response.json()["key"]["id"])
                    during_outage += cut_at is not None
                    await asyncio.sleep(0.01)
                if cut_at is not None:
                    await proxy.restore()
                assert during_outage >= 20, "the outage must span accepted events"

                def ids(messages: list[Msg]) -> set[str]:
                    return {body(m)["data"]["key"]["id"] for m in messages}

                received = await subscriber.collect(subject, lambda got: ids(got) >= set(accepted), within=60)
                missing = set(accepted) - ids(received)
                assert not missing, f"{len(missing)} of {TOTAL} accepted events never arrived"
                assert sink.connection.connects >= 2, "the sink never reconnected: the cut did not happen"
                if with_stream:
                    stored = [m["data"]["key"]["id"] for m in await stream_messages(direct, "EVO")]
                    assert sorted(stored) == sorted(accepted), "the stream holds each event exactly once"
                dead = await server.client.get(f"/events/dead/{name}", headers=server.headers())
                assert dead.status_code == 200 and dead.json()["total"] == 0, "an outage must not dead-letter"
        finally:
            await proxy.close()


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
async def test_server_starts_while_nats_is_down_and_catches_up(server_factory: ServerFactory) -> None:
    name = f"natslate_{uuid.uuid4().hex[:10]}"
    subject = f"{name}.send.message"
    async with private_nats_server() as port:
        proxy = TcpProxy("127.0.0.1", port)  # not listening yet: refused, like a server still booting
        env = {"NATS_ENABLED": "true", "NATS_URI": f"nats://127.0.0.1:{proxy.port}"}
        try:
            async with nats_subscriber(f"nats://127.0.0.1:{port}") as subscriber, server_factory(**env) as server:
                await subscriber.subscribe(subject)
                sink = server.services.sinks.get(NATS)
                assert sink is not None
                await server.create_instance(name, nats={"enabled": True, "events": ["SEND_MESSAGE"]})
                accepted = []
                for index in range(20):
                    response = await server.client.post(
                        f"/message/sendText/{name}",
                        json={"number": "5511999990000", "text": f"early {index}"},
                        headers=server.headers(),
                    )
                    assert response.status_code == 201
                    accepted.append(response.json()["key"]["id"])
                assert not sink.connection.connected
                await proxy.start()
                messages = await subscriber.take(subject, 20, within=30)
                assert {body(m)["data"]["key"]["id"] for m in messages} == set(accepted)
        finally:
            await proxy.close()
