"""RabbitConnection keeps the order of publishes while one of them declares its queue first."""

from __future__ import annotations

import asyncio
import uuid

import msgspec

from evolution_py.sinks.rabbitmq.config import RabbitSettings
from evolution_py.sinks.rabbitmq.connection import RabbitConnection
from evolution_py.sinks.rabbitmq.testing import AMQP_URI, amqp_consumer, body


async def test_publishes_reach_the_broker_in_call_order_across_a_first_declaration() -> None:
    # Queues A and B are bound to one exchange with the same routing key, so every message routed
    # once B's binding exists lands in both. Message 100 is the first for B: it declares B's binding
    # while 101-299 (A's, already declared) are called. Had any of them gone out before it, B would
    # miss it or see it before 100.
    exchange = f"order_{uuid.uuid4().hex[:10]}"
    queue_a, queue_b = f"{exchange}.a", f"{exchange}.b"
    connection = RabbitConnection(RabbitSettings(enabled=True, uri=AMQP_URI))
    async with amqp_consumer() as consumer:
        consumer.track(queues=(queue_a, queue_b), exchanges=(exchange,))
        await consumer.prepare(queue_a, queue_b)
        await connection.start()
        try:
            assert await connection.wait_ready(15)

            async def publish(n: int) -> None:
                queue = queue_b if n == 100 else queue_a
                await connection.publish(
                    exchange, queue, "k", msgspec.json.encode({"n": n}), message_id=str(n), confirm_within=10
                )

            await publish(0)  # declares A's binding: 1-99 and 101-299 need no declaration
            tasks = [asyncio.create_task(publish(n)) for n in range(1, 300)]
            await asyncio.gather(*tasks)
        finally:
            await connection.stop()
        on_a = [body(message)["n"] for message in await consumer.take(queue_a, 300)]
        on_b = [body(message)["n"] for message in await consumer.take(queue_b, 200)]
    assert on_a == list(range(300))
    assert on_b == list(range(100, 300))
