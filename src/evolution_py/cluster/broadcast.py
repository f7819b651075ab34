"""Cache invalidation across nodes over Redis pub/sub: when a node changes an instance's sink rows
(`/webhook/set`, an instance created or deleted), every other node drops its cached copy.

A message is `<node id> <instance id>`; a node ignores its own. Redis pub/sub is at-most-once: a
node cut off from Redis misses changes meanwhile, so on every reconnect it drops its whole cache
(rows are re-read on the next event), and the listener reconnects until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import redis.asyncio as aioredis

from evolution_py.events.subscriptions import Subscriptions

log = logging.getLogger(__name__)


class SubscriptionBroadcast:
    def __init__(self, redis: aioredis.Redis, channel: str, node_id: str, subscriptions: Subscriptions) -> None:
        self.redis = redis
        self.channel = channel
        self.node_id = node_id
        self.subscriptions = subscriptions
        self._task: asyncio.Task[None] | None = None
        self._sends: set[asyncio.Task[None]] = set()
        self.ready = asyncio.Event()

    def start(self) -> None:
        self.subscriptions.listeners.append(self._announce)
        self._task = asyncio.create_task(self._listen(), name="cluster-subscriptions")

    def _announce(self, instance_id: str) -> None:
        task = asyncio.create_task(self._publish(f"{self.node_id} {instance_id}"))
        self._sends.add(task)
        task.add_done_callback(self._sends.discard)

    async def _publish(self, message: str) -> None:
        try:
            await self.redis.publish(self.channel, message)
        except (aioredis.RedisError, OSError) as exc:
            log.warning("cluster: sink-row change not announced to the other nodes (%s)", type(exc).__name__)

    async def _listen(self) -> None:
        while True:
            try:
                async with self.redis.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    self.subscriptions.drop_all_cached()  # whatever was missed while not listening
                    self.ready.set()
                    async for message in pubsub.listen():
                        if message.get("type") != "message":
                            continue
                        sender, _, instance_id = message["data"].decode().partition(" ")
                        if sender != self.node_id:
                            self.subscriptions.drop_cached(instance_id)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - Redis away: listen again shortly
                self.ready.clear()
                log.warning("cluster: sink-row changes not heard (%s); listening again", type(exc).__name__)
                await asyncio.sleep(1.0)

    async def stop(self) -> None:
        if self._announce in self.subscriptions.listeners:
            self.subscriptions.listeners.remove(self._announce)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
