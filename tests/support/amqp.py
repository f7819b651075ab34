"""A real AMQP consumer for tests: declares upstream's queues the way a consumer would, reads them,
and deletes only the queues and exchanges the test created."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable
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

    async def prepare(self, *names: str) -> None:
        """Declare queues before the server first publishes to them, as a consumer that starts first
        does. (RabbitMQ 3.10 can answer a quorum queue declared from two connections at the same
        instant with a 541 INTERNAL_ERROR that closes the consumer's connection.)"""
        for name in names:
            await self.queue(name)

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
        got = await self.collect(name, lambda got: len(got) >= count, within)
        assert len(got) >= count, f"{name}: {len(got)} of {count} messages arrived in {within}s"
        return got[:count]

    async def collect(
        self, name: str, enough: Callable[[list[AbstractIncomingMessage]], bool], within: float
    ) -> list[AbstractIncomingMessage]:
        """Consume (basic.consume, acked) until `enough(messages)` or `within` seconds pass.

        A consumer, not basic.get polling: RabbitMQ 3.10 answers a basic.get on a quorum queue whose
        process is still starting by closing the whole connection (541 "noproc")."""
        queue = await self.queue(name)
        got: list[AbstractIncomingMessage] = []
        changed = asyncio.Event()

        async def on_message(message: AbstractIncomingMessage) -> None:
            await message.ack()
            got.append(message)
            changed.set()

        tag = await queue.consume(on_message)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        try:
            while not enough(got) and loop.time() < deadline:
                changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), max(0.0, deadline - loop.time()))
        finally:
            await queue.cancel(tag)
        return got

    async def count(self, name: str) -> int:
        queue = await self.channel.declare_queue(name, durable=True, arguments=QUORUM)
        return int(queue.declaration_result.message_count or 0)


def body(message: AbstractIncomingMessage) -> dict[str, Any]:
    return msgspec.json.decode(message.body)  # type: ignore[no-any-return]


@asynccontextmanager
async def amqp_consumer() -> AsyncIterator[Consumer]:
    connection = await aio_pika.connect(AMQP_URI)
    consumer = Consumer(connection, await connection.channel())
    try:
        yield consumer
    finally:
        with contextlib.suppress(Exception):
            await connection.close()
        await _delete(consumer.queues, consumer.exchanges)


async def _delete(queues: set[str], exchanges: set[str]) -> None:
    """Delete what the test created, on a fresh connection (the test's may have been closed)."""
    connection = await aio_pika.connect(AMQP_URI)
    try:
        for kind, names in (("queue", queues), ("exchange", exchanges)):
            for name in names:
                channel = await connection.channel()
                with contextlib.suppress(Exception):
                    if kind == "queue":
                        # Quorum queues: if_unused=True would close the whole connection on RabbitMQ 3.10.
                        await channel.queue_delete(name, if_unused=False, if_empty=False)
                    else:
                        await channel.exchange_delete(name)
                with contextlib.suppress(Exception):
                    await channel.close()
    finally:
        await connection.close()
