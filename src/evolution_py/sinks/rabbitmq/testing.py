"""Test helpers of the RabbitMQ sink: a real AMQP consumer that declares upstream's queues the way a
consumer would, reads them, and deletes only the queues and exchanges the test created; and a TCP
proxy whose cut is a broker outage."""

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

from evolution_py.sinks.rabbitmq.connection import QUEUE_ARGUMENTS
from evolution_py.sinks.testing import free_port

AMQP_URI = os.environ.get("TEST_RABBITMQ_URI", "amqp://guest:guest@127.0.0.1:5672/")
QUORUM = QUEUE_ARGUMENTS  # what the sink declares; a consumer must declare the same


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


class TcpProxy:
    """A small TCP proxy on loopback: cutting it is a broker outage from the server's side, without
    stopping the shared broker other people's tests use."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.accepted = 0  # connections accepted so far
        self._flowing = asyncio.Event()
        self._flowing.set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)

    async def cut(self) -> None:
        """Refuse new connections and drop every open one, as a dead broker would."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def restore(self) -> None:
        await self.start()

    def freeze(self) -> None:
        """A silent network: connections stay open but nothing passes (no FIN, no RST), so only
        heartbeats and timeouts can tell."""
        self._flowing.clear()

    def thaw(self) -> None:
        """The network comes back; connections that lived through the silence are dropped (as a
        NAT or firewall that forgot them would)."""
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        self._flowing.set()

    async def close(self) -> None:
        await self.cut()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        if not self._flowing.is_set():
            self._writers.add(client_writer)
            await self._flowing.wait()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            client_writer.transport.abort()
            return
        self._writers.update((client_writer, upstream_writer))
        pipes = [
            asyncio.create_task(self._pipe(client_reader, upstream_writer)),
            asyncio.create_task(self._pipe(upstream_reader, client_writer)),
        ]
        self._tasks.update(pipes)
        try:
            await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in pipes:
                task.cancel()
                self._tasks.discard(task)
            for writer in (client_writer, upstream_writer):
                self._writers.discard(writer)
                writer.transport.abort()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while True:
                await self._flowing.wait()
                data = await reader.read(65536)
                if not data:
                    return
                await self._flowing.wait()  # read during a freeze: held until the thaw (then dropped)
                writer.write(data)
                await writer.drain()
