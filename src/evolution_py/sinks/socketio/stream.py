"""Subscribers of the plain /ws stream: one bounded queue each, fed by the socket.io sink's sends.

On a single node the hub is all there is. In a cluster a relay (cluster/stream_relay.py) carries
what this node publishes to the other nodes, and hands what they publish to `deliver`/`finish`, so a
/ws client on any node receives every instance it may read, from whichever node owns it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

log = logging.getLogger(__name__)


@dataclass(eq=False)
class StreamSubscriber:
    namespace: str  # "/" or "/<instance>", the socket.io namespace this stream mirrors
    events: frozenset[str] | None  # wire names to pass, None for all
    queue: asyncio.Queue[bytes]
    overflowed: asyncio.Event = field(default_factory=asyncio.Event)
    ended: asyncio.Event = field(default_factory=asyncio.Event)  # the server closes this stream
    # Whether the key this stream was opened with still opens its namespace (see `revalidate`).
    still_allowed: Callable[[], bool] | None = None

    def offer(self, event: str, payload: bytes) -> None:
        if self.events is not None and event not in self.events:
            return
        try:
            self.queue.put_nowait(payload)
        except asyncio.QueueFull:
            # A client that cannot keep up is cut off rather than holding memory without bound.
            self.overflowed.set()


class StreamRelay(Protocol):
    """This node's /ws events to the other nodes, and theirs back into the hub."""

    def send_event(self, namespace: str, event: str, payload: bytes) -> None: ...

    def send_end(self, namespace: str) -> None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class StreamHub:
    def __init__(self, buffer: int) -> None:
        self.buffer = buffer
        self._subscribers: dict[str, set[StreamSubscriber]] = {}
        self.relay: StreamRelay | None = None  # set by the cluster wiring; None on a single node
        # With a relay: told of an instance removed on another node, and run at each recheck (the
        # socket.io sink closes and rechecks its own clients of this node with these).
        self.on_remote_end: list[Callable[[str], None]] = []
        self.rechecks: list[Callable[[], None]] = []

    async def start(self) -> None:
        if self.relay is not None:
            await self.relay.start()

    async def stop(self) -> None:
        if self.relay is not None:
            await self.relay.stop()

    def subscribe(
        self, namespace: str, events: frozenset[str] | None, still_allowed: Callable[[], bool] | None = None
    ) -> StreamSubscriber:
        subscriber = StreamSubscriber(namespace, events, asyncio.Queue(self.buffer), still_allowed=still_allowed)
        self._subscribers.setdefault(namespace, set()).add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: StreamSubscriber) -> None:
        group = self._subscribers.get(subscriber.namespace)
        if group is not None:
            group.discard(subscriber)
            if not group:
                del self._subscribers[subscriber.namespace]

    def publish(self, namespace: str, event: str, payload: bytes) -> None:
        """An event this node delivered: to its own streams at once, and once to the other nodes."""
        self.deliver(namespace, event, payload)
        if self.relay is not None:
            self.relay.send_event(namespace, event, payload)

    def deliver(self, namespace: str, event: str, payload: bytes) -> None:
        """To this node's streams only (the relay calls this with the other nodes' events)."""
        for subscriber in self._subscribers.get(namespace, ()):
            subscriber.offer(event, payload)

    def end(self, namespace: str) -> None:
        """The instance is gone: its streams close on every node, after what they already hold."""
        self.finish(namespace)
        if self.relay is not None:
            self.relay.send_end(namespace)

    def finish(self, namespace: str) -> None:
        for subscriber in self._subscribers.get(namespace, ()):
            subscriber.ended.set()

    def remote_end(self, namespace: str) -> None:
        """Another node removed this instance: this node's readers of it are closed too."""
        self.finish(namespace)
        for listener in self.on_remote_end:
            listener(namespace)

    def revalidate(self) -> int:
        """End every stream whose key no longer opens its namespace (its instance deleted, or
        re-created under the same name with another token); returns how many. The relay calls this
        after it missed messages and every few seconds, since pub/sub may lose an `end`. A check that
        raises counts as refused and ends its stream, so this never raises for one."""
        for recheck in self.rechecks:
            try:
                recheck()
            except Exception as exc:  # noqa: BLE001 - one failing recheck must not skip the others
                name = getattr(recheck, "__qualname__", type(recheck).__name__)  # never an object's repr
                log.error("stream recheck %s failed: %s", name, type(exc).__name__)
        ended = 0
        for group in self._subscribers.values():
            for subscriber in group:
                if subscriber.still_allowed is not None and not subscriber.ended.is_set():
                    try:
                        allowed = subscriber.still_allowed()
                    except Exception as exc:  # noqa: BLE001 - fail closed
                        # The key cannot be confirmed now: the stream ends (its client may connect
                        # again and be checked afresh) rather than go on unchecked.
                        log.warning("a /ws stream's key could not be checked (%s): stream ended", type(exc).__name__)
                        allowed = False
                    if not allowed:
                        subscriber.ended.set()
                        ended += 1
        return ended

    def count(self, namespace: str) -> int:
        return len(self._subscribers.get(namespace, ()))
