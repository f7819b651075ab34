"""SQS (moto's server) cut off mid-stream through a TCP proxy and restored: every accepted event arrives."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from evolution_py.sinks.moto_server import moto_server
from evolution_py.sinks.rabbitmq.testing import TcpProxy
from evolution_py.sinks.sqs.testing import SqsConsumer, body, sqs_env
from tests.conftest import ServerFactory

TOTAL = 150
CUT_AFTER = 40
OUTAGE_SECONDS = 2.0


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
async def test_outage_mid_stream_loses_nothing(server_factory: ServerFactory) -> None:
    name = f"sqsout_{uuid.uuid4().hex[:10]}"
    queue = f"{name}_send_message.fifo"
    async with moto_server() as port:
        consumer = SqsConsumer(port)
        proxy = TcpProxy("127.0.0.1", port)
        await proxy.start()
        env = sqs_env(proxy.port)
        try:
            async with server_factory(**env) as server:
                await server.create_instance(name, sqs={"enabled": True, "events": ["SEND_MESSAGE"]})
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
                received = await consumer.take(queue, TOTAL, within=60)
                ids = [body(m)["data"]["key"]["id"] for m in received]
                missing = set(accepted) - set(ids)
                assert not missing, f"{len(missing)} of {TOTAL} accepted events never arrived"
                assert len(ids) == len(set(ids)), "a retried send arrived twice (dedup id must be stable)"
                dead = await server.client.get(f"/events/dead/{name}", headers=server.headers())
                assert dead.json()["total"] == 0, "an outage must not dead-letter"
        finally:
            await proxy.close()
