"""The plain /ws stream across nodes, over Redis pub/sub (one channel under the cluster's prefix).

The node that delivers an event (its owner's outbox) hands it to its own /ws clients at once, then
publishes it once; every other node hands it to its own /ws clients of that namespace. The payload
is the owner's encoded envelope, carried as bytes, so a client receives the same frame on any node.
Who may read what is decided where the client connected, as on a single node: each stream was
authorised for its namespace when it opened, and only that namespace's events reach it.

A message is msgpack `[sender, op, namespace, event, payload]`, op "e" (an event) or "x" (the
instance was removed: its streams close). `sender` is this process's random id, so a node never
delivers its own event twice. Pub/sub is at-most-once: with Redis away, local clients still get
local events (one warning), the others miss them; a missed "x" is made up for by `revalidate`,
which ends the streams whose key no longer opens their namespace, on every reconnect and every
few seconds."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid

import msgspec
import redis.asyncio as aioredis

from evolution_py.sinks.socketio.stream import StreamHub

log = logging.getLogger(__name__)

EVENT, END = "e", "x"
Message = tuple[str, str, str, str, bytes]
_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(Message).decode


class StreamRelay:
    def __init__(
        self,
        redis: aioredis.Redis,
        channel: str,
        hub: StreamHub,
        *,
        backlog: int = 10_000,
        retry_after: float = 1.0,
        recheck_every: float = 5.0,
    ) -> None:
        self.redis = redis
        self.channel = channel
        self.hub = hub
        self.sender = uuid.uuid4().hex  # per process: a restarted node is a new sender
        self.retry_after = retry_after
        self.recheck_every = recheck_every
        self.ready = asyncio.Event()  # subscribed: events from the other nodes are heard
        self._outgoing: asyncio.Queue[bytes] = asyncio.Queue(backlog)
        self._tasks: list[asyncio.Task[None]] = []
        self._down_until = 0.0
        self._dropped = 0  # not sent since the warning
        self._warned = False

    def attach(self) -> StreamRelay:
        self.hub.relay = self
        return self

    def send_event(self, namespace: str, event: str, payload: bytes) -> None:
        self._queue(_encode((self.sender, EVENT, namespace, event, payload)))

    def send_end(self, namespace: str) -> None:
        self._queue(_encode((self.sender, END, namespace, "", b"")))

    def _queue(self, message: bytes) -> None:
        # Called from a sink's send: never waits. One sender task keeps the publishes in order.
        try:
            self._outgoing.put_nowait(message)
        except asyncio.QueueFull:
            self._lost("the backlog is full")

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._send(), name="cluster-ws-send"),
            asyncio.create_task(self._listen(), name="cluster-ws-listen"),
            asyncio.create_task(self._recheck(), name="cluster-ws-recheck"),
        ]

    async def stop(self) -> None:
        # What the bus delivered last (a stop's own events) still goes out, briefly.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._outgoing.join(), 1.0)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def _send(self) -> None:
        while True:
            message = await self._outgoing.get()
            try:
                if time.monotonic() < self._down_until:  # known down: no wait on a dead server
                    self._lost("Redis is down")
                    continue
                try:
                    await self.redis.publish(self.channel, message)
                except (aioredis.RedisError, OSError) as exc:
                    self._down_until = time.monotonic() + self.retry_after
                    self._lost(type(exc).__name__)
                    continue
                except Exception as exc:  # noqa: BLE001 - that message is lost, the sender goes on
                    # Anything else ended this loop before, and with it every later event's way to
                    # the other nodes, with no word until the backlog filled.
                    self._lost(type(exc).__name__)
                    continue
                if self._warned:
                    log.info("cluster: /ws events reach the other nodes again (%d were not sent)", self._dropped)
                    self._warned, self._dropped = False, 0
            finally:
                self._outgoing.task_done()

    def _lost(self, reason: str) -> None:
        self._dropped += 1
        if not self._warned:
            self._warned = True
            log.warning(
                "cluster: /ws events not sent to the other nodes (%s); this node's /ws clients still get them",
                reason,
            )

    async def _listen(self) -> None:
        away = False
        while True:
            try:
                async with self.redis.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    if away:
                        log.info("cluster: /ws events from the other nodes heard again")
                        away = False
                        self.hub.revalidate()  # an "end" may have been missed meanwhile
                    self.ready.set()
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self._receive(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - Redis away: listen again shortly
                self.ready.clear()
                if not away:
                    log.warning("cluster: /ws events of the other nodes not heard (%s); retrying", type(exc).__name__)
                    away = True
                await asyncio.sleep(self.retry_after)

    def _receive(self, data: bytes) -> None:
        try:
            sender, op, namespace, event, payload = _decode(data)
        except msgspec.DecodeError:
            log.debug("cluster: a malformed /ws relay message was ignored")
            return
        if sender == self.sender:  # this node's own: its clients already have it
            return
        if op == EVENT:
            self.hub.deliver(namespace, event, payload)
        elif op == END:
            self.hub.remote_end(namespace)

    async def _recheck(self) -> None:
        while True:
            await asyncio.sleep(self.recheck_every)
            ended = self.hub.revalidate()  # never raises for a check: it fails closed on its own
            if ended:
                log.info("cluster: %d /ws stream(s) closed: their key no longer opens their instance", ended)
