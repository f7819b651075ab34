"""RabbitMQ cut off mid-stream (through a TCP proxy) and restored: every accepted event arrives."""

from __future__ import annotations

import asyncio
import uuid

import msgspec
import pytest

from tests.conftest import ServerFactory
from tests.support.amqp import amqp_consumer
from tests.support.tcp_proxy import TcpProxy

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
            sink = server.services.extras["rabbitmq"]
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

            queue = await consumer.queue(queue_name)
            seen: set[str] = set()
            copies = 0
            deadline = loop.time() + 60
            while seen != set(accepted) and loop.time() < deadline:
                message = await queue.get(no_ack=False, fail=False)
                if message is None:
                    await asyncio.sleep(0.05)
                    continue
                await message.ack()
                copies += 1
                seen.add(msgspec.json.decode(message.body)["data"]["key"]["id"])
            missing = set(accepted) - seen
            assert not missing, f"{len(missing)} of {TOTAL} accepted events never arrived"
            assert seen == set(accepted)
            assert sink.connection.connects >= 2, "the sink never reconnected: the cut did not happen"
            assert copies >= TOTAL  # at-least-once: a publish cut before its confirm may arrive twice
    finally:
        await proxy.close()
