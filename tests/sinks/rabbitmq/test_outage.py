"""RabbitMQ cut off mid-stream (through a TCP proxy) and restored: every accepted event arrives."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import msgspec
import pytest

from evolution_py.sinks.rabbitmq import RABBITMQ
from evolution_py.sinks.rabbitmq.testing import TcpProxy, amqp_consumer
from tests.conftest import ServerFactory

TOTAL = 240
CUT_AFTER = 80
OUTAGE_SECONDS = 2.0


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
async def test_outage_mid_stream_loses_nothing(server_factory: ServerFactory) -> None:
    name = f"rmqout_{uuid.uuid4().hex[:10]}"
    queue_name = f"{name}.send.message"
    proxy = TcpProxy("127.0.0.1", 5672)
    await proxy.start()
    env = {"RABBITMQ_ENABLED": "true", "RABBITMQ_URI": f"amqp://guest:guest@127.0.0.1:{proxy.port}/"}
    try:
        async with amqp_consumer() as consumer, server_factory(**env) as server:
            consumer.track(queues=(queue_name,), exchanges=(name,))
            await consumer.prepare(queue_name)
            sink = server.services.sinks.get(RABBITMQ)
            assert sink is not None
            assert await sink.connection.wait_ready(10)
            await server.create_instance(name, rabbitmq={"enabled": True, "events": ["SEND_MESSAGE"]})

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

            expected = set(accepted)

            def ids(messages: list[Any]) -> set[str]:
                return {msgspec.json.decode(m.body)["data"]["key"]["id"] for m in messages}

            received = await consumer.collect(queue_name, lambda got: ids(got) >= expected, within=60)
            seen = ids(received)
            copies = len(received)
            missing = set(accepted) - seen
            assert not missing, f"{len(missing)} of {TOTAL} accepted events never arrived"
            assert seen == set(accepted)
            assert sink.connection.connects >= 2, "the sink never reconnected: the cut did not happen"
            assert copies >= TOTAL  # at-least-once: a publish cut before its confirm may arrive twice
    finally:
        await proxy.close()


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
async def test_server_starts_while_broker_is_down_and_catches_up(server_factory: ServerFactory) -> None:
    name = f"rmqlate_{uuid.uuid4().hex[:10]}"
    queue_name = f"{name}.send.message"
    proxy = TcpProxy("127.0.0.1", 5672)  # not listening yet: connection refused, like a broker still booting
    env = {"RABBITMQ_ENABLED": "true", "RABBITMQ_URI": f"amqp://guest:guest@127.0.0.1:{proxy.port}/"}
    try:
        async with amqp_consumer() as consumer, server_factory(**env) as server:
            consumer.track(queues=(queue_name,), exchanges=(name,))
            await consumer.prepare(queue_name)
            sink = server.services.sinks.get(RABBITMQ)
            assert sink is not None
            await server.create_instance(name, rabbitmq={"enabled": True, "events": ["SEND_MESSAGE"]})
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
            messages = await consumer.take(queue_name, 20, within=30)
            assert {msgspec.json.decode(m.body)["data"]["key"]["id"] for m in messages} == set(accepted)
    finally:
        await proxy.close()


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
async def test_silent_network_is_noticed_and_nothing_is_lost(server_factory: ServerFactory) -> None:
    """No FIN or RST: the link just goes quiet. Heartbeats (1 s here) tell, the sink reconnects."""
    name = f"rmqfrz_{uuid.uuid4().hex[:10]}"
    queue_name = f"{name}.send.message"
    proxy = TcpProxy("127.0.0.1", 5672)
    await proxy.start()
    env = {
        "RABBITMQ_ENABLED": "true",
        "RABBITMQ_URI": f"amqp://guest:guest@127.0.0.1:{proxy.port}/",
        "RABBITMQ_HEARTBEAT": "1",
    }
    try:
        async with amqp_consumer() as consumer, server_factory(**env) as server:
            consumer.track(queues=(queue_name,), exchanges=(name,))
            await consumer.prepare(queue_name)
            sink = server.services.sinks.get(RABBITMQ)
            assert sink is not None
            assert await sink.connection.wait_ready(10)
            await server.create_instance(name, rabbitmq={"enabled": True, "events": ["SEND_MESSAGE"]})
            accepted: list[str] = []

            async def send(count: int) -> None:
                for index in range(count):
                    response = await server.client.post(
                        f"/message/sendText/{name}",
                        json={"number": "5511999990000", "text": f"event {index}"},
                        headers=server.headers(),
                    )
                    assert response.status_code == 201
                    accepted.append(response.json()["key"]["id"])

            await send(10)
            proxy.freeze()
            await send(20)
            await asyncio.sleep(8)  # past aiormq's heartbeat grace ((1 + 1) * 3 s)
            assert not sink.connection.connected, "the silent link was not noticed"
            proxy.thaw()
            await send(10)
            received = await consumer.collect(
                queue_name,
                lambda got: {msgspec.json.decode(m.body)["data"]["key"]["id"] for m in got} >= set(accepted),
                within=60,
            )
            seen = {msgspec.json.decode(m.body)["data"]["key"]["id"] for m in received}
            assert seen == set(accepted), f"{len(set(accepted) - seen)} of {len(accepted)} never arrived"
            assert sink.connection.connects >= 2
    finally:
        await proxy.close()
