"""Subscribers of the plain /ws stream: one bounded queue each, fed by the socket.io sink's sends."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field


@dataclass(eq=False)
class StreamSubscriber:
    namespace: str  # "/" or "/<instance>", the socket.io namespace this stream mirrors
    events: frozenset[str] | None  # wire names to pass, None for all
    queue: asyncio.Queue[bytes]
    overflowed: asyncio.Event = field(default_factory=asyncio.Event)
    ended: asyncio.Event = field(default_factory=asyncio.Event)  # the server closes this stream

    def offer(self, event: str, payload: bytes) -> None:
        if self.events is not None and event not in self.events:
            return
        try:
            self.queue.put_nowait(payload)
        except asyncio.QueueFull:
            # A client that cannot keep up is cut off rather than holding memory without bound.
            self.overflowed.set()


class StreamHub:
    def __init__(self, buffer: int) -> None:
        self.buffer = buffer
        self._subscribers: dict[str, set[StreamSubscriber]] = {}

    def subscribe(self, namespace: str, events: frozenset[str] | None) -> StreamSubscriber:
        subscriber = StreamSubscriber(namespace, events, asyncio.Queue(self.buffer))
        self._subscribers.setdefault(namespace, set()).add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: StreamSubscriber) -> None:
        group = self._subscribers.get(subscriber.namespace)
        if group is not None:
            group.discard(subscriber)
            if not group:
                del self._subscribers[subscriber.namespace]

    def publish(self, namespace: str, event: str, payload: bytes) -> None:
        for subscriber in self._subscribers.get(namespace, ()):
            subscriber.offer(event, payload)

    def end(self, namespace: str) -> None:
        for subscriber in self._subscribers.get(namespace, ()):
            subscriber.ended.set()

    def count(self, namespace: str) -> int:
        return len(self._subscribers.get(namespace, ()))
