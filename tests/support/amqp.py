"""A real AMQP consumer for tests: declares upstream's queues the way a consumer would, reads them,
and deletes only the queues and exchanges the test created."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aio_pika
import msgspec
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractIncomingMessage

AMQP_URI = os.environ.get("TEST_RABBITMQ_URI", "amqp://guest:guest@127.0.0.1:5672/")
QUORUM = {"x-queue-type": "quorum"}


class Consumer:
    def __init__(self, connection: AbstractConnection, channel: AbstractChannel) -> None:
        self.connection = connection
        self.channel = channel
        self.queues: set[str] = set()
        self.exchanges: set[str] = set()

    def track(self, *, queues: tuple[str, ...] = (), exchanges: tuple[str, ...] = ()) -> None:
        """Names the server will create for this test, deleted at the end."""
        self.queues.update(queues)
        self.exchanges.update(exchanges)

    async def queue(self, name: str) -> aio_pika.abc.AbstractQueue:
        self.queues.add(name)
        return await self.channel.declare_queue(name, durable=True, arguments=QUORUM)

    async def exists(self, name: str) -> bool:
        """A passive declare on a throw-away channel (a miss closes the channel)."""
        channel = await self.connection.channel()
        try:
            await channel.declare_queue(name, passive=True)
            return True
        except aio_pika.exceptions.ChannelNotFoundEntity:
            return False
        finally:
            if not channel.is_closed:
                await channel.close()

    async def take(self, name: str, count: int, within: float = 15.0) -> list[AbstractIncomingMessage]:
        """Read `count` messages (acked), failing if they don't arrive in time."""
        queue = await self.queue(name)
        got: list[AbstractIncomingMessage] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while len(got) < count:
            message = await queue.get(no_ack=False, fail=False)
            if message is None:
                assert loop.time() < deadline, f"{name}: {len(got)} of {count} messages arrived in {within}s"
                await asyncio.sleep(0.05)
                continue
            await message.ack()
            got.append(message)
        return got

    async def count(self, name: str) -> int:
        queue = await self.channel.declare_queue(name, durable=True, arguments=QUORUM)
        return int(queue.declaration_result.message_count or 0)


def body(message: AbstractIncomingMessage) -> dict[str, Any]:
    return msgspec.json.decode(message.body)  # type: ignore[no-any-return]


@asynccontextmanager
async def amqp_consumer() -> AsyncIterator[Consumer]:
    connection = await aio_pika.connect(AMQP_URI)
    try:
        channel = await connection.channel()
        consumer = Consumer(connection, channel)
        try:
            yield consumer
        finally:
            cleanup = await connection.channel()
            for name in consumer.queues:
                # Quorum queues: if_unused=True would close the whole connection on RabbitMQ 3.10.
                try:
                    await cleanup.queue_delete(name, if_unused=False, if_empty=False)
                except Exception:
                    cleanup = await connection.channel()
            for name in consumer.exchanges:
                try:
                    await cleanup.exchange_delete(name)
                except Exception:
                    cleanup = await connection.channel()
    finally:
        await connection.close()
