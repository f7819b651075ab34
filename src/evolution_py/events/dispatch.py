"""Hands one sink its deliveries: a lane per target with bounded concurrency, retries on a timer.

Each target (a webhook URL, an exchange, a namespace) gets its own lane, so a receiver that is
slow or down only ever holds its own lane's slots; other targets and other sinks keep flowing.
A delivery waiting for its next retry holds no slot at all.

Memory is bounded too: at most `max_held` deliveries per sink live in memory (queued, in flight
or waiting for a retry). Beyond that the dispatcher "spills": new deliveries stay only in the
outbox, and a refill loop pages them in, in resume order, as room frees up. A start is simply a
spill from the beginning of the outbox, so a large backlog never has to fit in memory.

In a cluster the dispatcher pages only the rows of the instances its node holds (its `scope`):
instances gained later are caught up one set at a time (`resume(scope)`), and instances given up
are dropped (`drop`): their queued deliveries and retry timers go, their rows stay pending for
the next owner.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from evolution_py.events.retry import DEFAULT_POLICY, RetryPolicy
from evolution_py.events.sink import Delivery, DeliveryError, Sink
from evolution_py.ops import metrics

log = logging.getLogger(__name__)

DEFAULT_PER_TARGET = 16
DEFAULT_MAX_HELD = 20_000
# How long a finished delivery's id is remembered, so that a refill page read before its ack was
# committed does not send it again.
_FINISHED_MEMORY = 10.0
_FINISHED_MAX = 200_000

Key = tuple[float, str]  # (createdAt, id): the outbox's resume order


@dataclass(frozen=True)
class PageScope:
    """Which outbox rows a cluster node pages: those of `instances`, and those of no instance
    (global events) when `unowned`."""

    instances: frozenset[str]
    unowned: bool = False

    def covers(self, instance_id: str | None) -> bool:
        return instance_id in self.instances if instance_id else self.unowned


Pager = Callable[[str, Key, int, PageScope | None], Awaitable[list[tuple[Delivery, float, Key]]]]
ScopeOf = Callable[[], PageScope | None]


def _everything() -> PageScope | None:
    return None


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
    def __init__(
        self,
        sink: Sink,
        outcomes: DeliveryLog,
        *,
        pager: Pager | None = None,
        max_held: int = DEFAULT_MAX_HELD,
        scope: ScopeOf = _everything,
    ) -> None:
        self.sink = sink
        self.scope = scope  # what the refill pages: None = every row (a single node)
        self.outcomes = outcomes
        self.pager = pager
        self.max_held = max(max_held, 2)
        self._held: set[str] = set()
        self._finished: set[str] = set()
        self._finished_order: deque[tuple[float, str]] = deque()
        self._spilled = False
        self._cursor: Key = (-1.0, "")
        self._refill_task: asyncio.Task[None] | None = None
        self._catch_ups: set[asyncio.Task[None]] = set()  # instances gained: their rows paged in
        self._room = asyncio.Event()
        self.policy: RetryPolicy = getattr(sink, "retry_policy", None) or DEFAULT_POLICY
        self.per_target: int = int(
            getattr(sink, "concurrency_per_target", 0) or getattr(sink, "max_in_flight", 0) or DEFAULT_PER_TARGET
        )
        # An ordered sink (e.g. a chatbot: the second message must not be answered before the first)
        # keeps a failed delivery at the head of its lane until it is retried, instead of letting the
        # lane's later deliveries pass it; it is served one at a time per target.
        self.ordered: bool = bool(getattr(sink, "ordered", False))
        if self.ordered:
            self.per_target = 1
        self._lanes: dict[str, _Lane] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._timers: dict[str, tuple[asyncio.TimerHandle, Delivery]] = {}
        self._not_before: dict[str, float] = {}  # ordered sinks: a paged-in retry's due time
        self._idle = asyncio.Event()
        self._idle.set()
        self._stopping = False

    # --- intake -------------------------------------------------------------------------------

    def takes_directly(self) -> bool:
        """Whether `offer` would hold a delivery in memory now (rather than page it from the outbox)."""
        return self.pager is None or (not self._spilled and len(self._held) < self.max_held)

    def offer(self, delivery: Delivery, created_at: float) -> bool:
        """A delivery the bus just accepted (its outbox row is committed with `created_at`, or being
        committed); True when it is now held in memory and under way, False when the refill loop
        will page it from the outbox instead."""
        if self.pager is None or not delivery.id:
            self.submit(delivery)
            return not self._stopping
        if self._spilled:
            return False  # already in the outbox; the refill loop reaches it in order
        if len(self._held) >= self.max_held:
            log.warning(
                "sink %s: %d deliveries in memory, paging the rest from the outbox", self.sink.name, self.max_held
            )
            self._spill_from((created_at, ""))
            return False
        self._held.add(delivery.id)
        self.submit(delivery)
        return not self._stopping

    def resume(self, scope: PageScope | None = None) -> None:
        """Deliver everything the outbox holds for this sink (at start), or with `scope` only the
        rows of those instances (a cluster node gained them), each when its row says it is due."""
        if self.pager is None:
            return
        if scope is None:
            self._spill_from((-1.0, ""))
            return
        task = asyncio.create_task(self._catch_up(scope), name=f"catch-up-{self.sink.name}")
        self._catch_ups.add(task)
        task.add_done_callback(self._catch_ups.discard)

    def owns(self, delivery: Delivery) -> bool:
        scope = self.scope()
        return scope is None or scope.covers(delivery.event.instance_id)

    def drop(self, scope: PageScope) -> None:
        """This node gave these instances up: forget their queued deliveries and retry timers (their
        rows stay pending for the next owner). A send in flight finishes and stores its outcome."""
        for row_id, (timer, delivery) in list(self._timers.items()):
            if scope.covers(delivery.event.instance_id):
                timer.cancel()
                del self._timers[row_id]
                self._forget(delivery)
        for lane in self._lanes.values():
            kept = deque(d for d in lane.queue if not scope.covers(d.event.instance_id))
            for delivery in lane.queue:
                if scope.covers(delivery.event.instance_id):
                    self._forget(delivery)
            lane.queue = kept

    def _forget(self, delivery: Delivery) -> None:
        self._held.discard(delivery.id)
        self._not_before.pop(delivery.id, None)
        if len(self._held) <= self.max_held // 2:
            self._room.set()

    def replay(self, delivery: Delivery) -> None:
        """A dead letter made pending again (its row is committed as pending)."""
        if delivery.id:
            if delivery.id in self._held:
                return  # a refill page already picked it up
            self._held.add(delivery.id)
            self._finished.discard(delivery.id)
        self.submit(delivery)

    def _spill_from(self, cursor: Key) -> None:
        self._spilled = True
        self._cursor = min(self._cursor, cursor) if self._refill_task and not self._refill_task.done() else cursor
        if self._refill_task is None or self._refill_task.done():
            self._refill_task = asyncio.create_task(self._refill(), name=f"refill-{self.sink.name}")

    async def _refill(self) -> None:
        assert self.pager is not None
        while self._spilled and not self._stopping:
            try:
                if len(self._held) > self.max_held // 2:
                    self._room.clear()
                    await self._room.wait()
                    continue
                room = self.max_held - len(self._held)
                page = await self.pager(self.sink.name, self._cursor, room, self.scope())
                self._cursor = self._take(page, self._cursor)
                if len(page) < room:
                    # Caught up: new deliveries go straight to memory again. One more page picks up
                    # rows committed while the last query ran (ids already held are skipped).
                    self._spilled = False
                    page = await self.pager(self.sink.name, self._cursor, self.max_held, self.scope())
                    self._cursor = self._take(page, self._cursor)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("sink %s: could not page deliveries from the outbox; retrying", self.sink.name)
                await asyncio.sleep(1.0)

    async def _catch_up(self, scope: PageScope) -> None:
        """Page in, from the start of the outbox, the rows of instances this node just gained; the
        same memory bound as the refill. Rows already held (sent directly, or paged) are skipped."""
        assert self.pager is not None
        cursor: Key = (-1.0, "")
        while not self._stopping:
            try:
                if len(self._held) > self.max_held // 2:
                    self._room.clear()
                    await self._room.wait()
                    continue
                room = self.max_held - len(self._held)
                page = await self.pager(self.sink.name, cursor, room, scope)
                cursor = self._take(page, cursor)
                if len(page) < room:
                    return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("sink %s: could not page gained instances' deliveries; retrying", self.sink.name)
                await asyncio.sleep(1.0)

    def _take(self, page: list[tuple[Delivery, float, Key]], cursor: Key) -> Key:
        """Hold and schedule a page's deliveries; returns the cursor past it."""
        for delivery, due, key in page:
            cursor = max(cursor, key)
            if delivery.id in self._held or delivery.id in self._finished or not self.owns(delivery):
                continue
            self._held.add(delivery.id)
            if self.ordered:
                # Into its lane now, in the outbox's order: a retry that is due later must still go
                # before the lane's later deliveries (after a restart, those are due at once).
                self._not_before[delivery.id] = due
                self.submit(delivery)
            else:
                self.submit_at(delivery, due)
        return cursor

    def _release(self, delivery: Delivery) -> None:
        """The delivery is finished (delivered or dead): it no longer takes memory."""
        if not delivery.id:
            return
        self._held.discard(delivery.id)
        now = time.monotonic()
        self._finished.add(delivery.id)
        self._finished_order.append((now, delivery.id))
        order = self._finished_order
        while order and (now - order[0][0] > _FINISHED_MEMORY or len(order) > _FINISHED_MAX):
            self._finished.discard(order.popleft()[1])
        if len(self._held) <= self.max_held // 2:
            self._room.set()

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
        handle = asyncio.get_running_loop().call_later(wait, self._fire, delivery)
        self._timers[delivery.id] = (handle, delivery)

    def _fire(self, delivery: Delivery) -> None:
        self._timers.pop(delivery.id, None)
        self.submit(delivery)

    # --- work ---------------------------------------------------------------------------------

    async def _drain(self, target: str, lane: _Lane) -> None:
        try:
            while lane.queue and not self._stopping:
                delivery = lane.queue.popleft()
                due = self._not_before.pop(delivery.id, 0.0)
                if due > time.time():
                    await asyncio.sleep(due - time.time())  # ordered: the retry holds the lane
                if not self.owns(delivery):
                    self._forget(delivery)  # given up meanwhile: the next owner sends it
                    continue
                wait = await self._deliver(delivery)
                while wait is not None and not self._stopping:
                    await asyncio.sleep(wait)  # ordered: the retry holds the lane (its row says when)
                    if not self.owns(delivery):
                        self._forget(delivery)
                        break
                    wait = await self._deliver(delivery)
        finally:
            lane.active -= 1
            if lane.active == 0 and not lane.queue and self._lanes.get(target) is lane:
                del self._lanes[target]
            if not self._lanes:
                self._idle.set()

    async def _deliver(self, delivery: Delivery) -> float | None:
        """Send once; for an ordered sink, the seconds to wait before retrying it in place (else None)."""
        try:
            await self.sink.send(delivery)
        except asyncio.CancelledError:
            raise
        except DeliveryError as exc:
            return self._failed(delivery, str(exc), exc.retryable, exc.retry_after)
        except Exception as exc:
            log.exception("sink %s crashed on %s %s", self.sink.name, delivery.event.event, delivery.event.id)
            return self._failed(delivery, f"{type(exc).__name__}: {exc}", True, None)
        else:
            if delivery.id:
                self.outcomes.ack(delivery.id)
            metrics.delivered(self.sink.name, delivery.event)
            self._release(delivery)
            return None

    def _failed(self, delivery: Delivery, error: str, retryable: bool, retry_after: float | None) -> float | None:
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
            metrics.dead(self.sink.name)
            if delivery.id:
                self.outcomes.dead(delivery.id, attempts, error)
            self._release(delivery)
            return None
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
        metrics.retried(self.sink.name)
        if delivery.id:
            self.outcomes.retry(delivery.id, attempts, due, error)
        delivery.attempt = attempts
        if self.ordered:
            return delay
        if not self.owns(delivery):
            self._forget(delivery)  # given up while in flight: the next owner retries it when due
            return None
        self.submit_at(delivery, due)
        return None

    # --- lifecycle ----------------------------------------------------------------------------

    async def wait_idle(self) -> None:
        """Until nothing is queued or being sent (retries waiting on their timer do not count) and
        nothing is left to page in from the outbox."""
        while True:
            if self._refill_task is not None and not self._refill_task.done():
                await asyncio.wait({self._refill_task})
            if self._catch_ups:
                await asyncio.wait(set(self._catch_ups))
            await self._idle.wait()
            if not self._spilled and not self._catch_ups:
                return

    async def stop(self, grace: float) -> None:
        """Stop taking work, let in-flight sends finish for up to `grace` seconds, cancel the rest."""
        self._stopping = True
        if self._refill_task is not None:
            self._refill_task.cancel()
            await asyncio.gather(self._refill_task, return_exceptions=True)
        for task in list(self._catch_ups):
            task.cancel()
        await asyncio.gather(*self._catch_ups, return_exceptions=True)
        for timer, _delivery in self._timers.values():
            timer.cancel()
        self._timers.clear()
        if self._tasks:
            _done, pending = await asyncio.wait(set(self._tasks), timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        self._lanes.clear()
        self._idle.set()
