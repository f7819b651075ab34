"""Hands one sink its deliveries: a lane per target with bounded concurrency, retries on a timer.

Each target (a webhook URL, an exchange, a namespace) gets its own lane, so a receiver that is
slow or down only ever holds its own lane's slots; other targets and other sinks keep flowing.
A delivery waiting for its next retry holds no slot at all.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import Protocol

from evolution_py.events.retry import DEFAULT_POLICY, RetryPolicy
from evolution_py.sinks.base import Delivery, DeliveryError, Sink

log = logging.getLogger(__name__)

DEFAULT_PER_TARGET = 16


class DeliveryLog(Protocol):
    """Where the dispatcher records outcomes (the outbox, or nothing for an in-memory bus)."""

    def ack(self, row_id: str) -> None: ...

    def retry(self, row_id: str, attempts: int, available_at: float, error: str) -> None: ...

    def dead(self, row_id: str, attempts: int, error: str) -> None: ...


class _Lane:
    __slots__ = ("active", "queue")

    def __init__(self) -> None:
        self.queue: deque[Delivery] = deque()
        self.active = 0


class SinkDispatcher:
    def __init__(self, sink: Sink, outcomes: DeliveryLog) -> None:
        self.sink = sink
        self.outcomes = outcomes
        self.policy: RetryPolicy = getattr(sink, "retry_policy", None) or DEFAULT_POLICY
        self.per_target: int = int(getattr(sink, "concurrency_per_target", 0) or DEFAULT_PER_TARGET)
        self._lanes: dict[str, _Lane] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._idle = asyncio.Event()
        self._idle.set()
        self._stopping = False

    # --- intake -------------------------------------------------------------------------------

    def submit(self, delivery: Delivery) -> None:
        if self._stopping:
            return  # its row stays pending; the next start delivers it
        lane = self._lanes.get(delivery.target)
        if lane is None:
            lane = self._lanes[delivery.target] = _Lane()
        lane.queue.append(delivery)
        self._idle.clear()
        if lane.active < self.per_target:
            lane.active += 1
            task = asyncio.create_task(self._drain(delivery.target, lane))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def submit_at(self, delivery: Delivery, due: float) -> None:
        """Submit now, or when `due` (epoch seconds) comes."""
        wait = due - time.time()
        if wait <= 0:
            self.submit(delivery)
            return
        self._timers[delivery.id] = asyncio.get_running_loop().call_later(wait, self._fire, delivery)

    def _fire(self, delivery: Delivery) -> None:
        self._timers.pop(delivery.id, None)
        self.submit(delivery)

    # --- work ---------------------------------------------------------------------------------

    async def _drain(self, target: str, lane: _Lane) -> None:
        try:
            while lane.queue and not self._stopping:
                await self._deliver(lane.queue.popleft())
        finally:
            lane.active -= 1
            if lane.active == 0 and not lane.queue and self._lanes.get(target) is lane:
                del self._lanes[target]
            if not self._lanes:
                self._idle.set()

    async def _deliver(self, delivery: Delivery) -> None:
        try:
            await self.sink.send(delivery)
        except asyncio.CancelledError:
            raise
        except DeliveryError as exc:
            self._failed(delivery, str(exc), exc.retryable, exc.retry_after)
        except Exception as exc:
            log.exception("sink %s crashed on %s %s", self.sink.name, delivery.event.event, delivery.event.id)
            self._failed(delivery, f"{type(exc).__name__}: {exc}", True, None)
        else:
            if delivery.id:
                self.outcomes.ack(delivery.id)

    def _failed(self, delivery: Delivery, error: str, retryable: bool, retry_after: float | None) -> None:
        attempts = delivery.attempt + 1
        if not retryable or attempts >= self.policy.max_attempts:
            log.warning(
                "sink %s: %s %s to %s dead-lettered after %d attempt(s): %s",
                self.sink.name,
                delivery.event.event,
                delivery.event.id,
                delivery.target,
                attempts,
                error,
            )
            if delivery.id:
                self.outcomes.dead(delivery.id, attempts, error)
            return
        delay = retry_after if retry_after is not None else self.policy.delay(attempts)
        due = time.time() + delay
        log.info(
            "sink %s: %s %s to %s failed (attempt %d), retry in %.1fs: %s",
            self.sink.name,
            delivery.event.event,
            delivery.event.id,
            delivery.target,
            attempts,
            delay,
            error,
        )
        if delivery.id:
            self.outcomes.retry(delivery.id, attempts, due, error)
        delivery.attempt = attempts
        self.submit_at(delivery, due)

    # --- lifecycle ----------------------------------------------------------------------------

    async def wait_idle(self) -> None:
        """Until nothing is queued or being sent (retries waiting on their timer do not count)."""
        await self._idle.wait()

    async def stop(self, grace: float) -> None:
        """Stop taking work, let in-flight sends finish for up to `grace` seconds, cancel the rest."""
        self._stopping = True
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        if self._tasks:
            _done, pending = await asyncio.wait(set(self._tasks), timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        self._lanes.clear()
        self._idle.set()
