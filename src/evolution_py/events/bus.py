"""The event bus: producers publish, sinks receive, nothing accepted is lost.

`publish(event)` asks every sink to `plan` its deliveries, writes them to the outbox (one row per
delivery, group-committed with other publishes) and returns once they are committed: from then
on the event is accepted. Each sink has its own dispatcher (lanes per target, retries with
backoff), so one slow or failing sink never delays another. A delivered row is deleted; one that
runs out of attempts is dead-lettered (listed and replayed over `/events/...`). `start()` resumes
every row left pending by a stop or a crash, which is what makes `kill -9` safe.

In a cluster (`own_nothing()` before `start()`), a node's bus pages only the rows of the instances
the node holds: nothing at start, then each set it gains through `resume_instances` (its rows in
order, each when due, with its attempts so far), and `release_instances` drops what it gives up.

Without a database (`EventBus()`), the same pipeline runs in memory only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from evolution_py.events.dispatch import DEFAULT_MAX_HELD, PageScope, SinkDispatcher
from evolution_py.events.event import Event
from evolution_py.events.outbox import Outbox
from evolution_py.events.sink import Delivery, Sink
from evolution_py.ops import metrics

if TYPE_CHECKING:
    from evolution_py.store.db import Database

log = logging.getLogger(__name__)

# How long a graceful stop lets in-flight sends finish before leaving them for the next start.
STOP_GRACE_SECONDS = 5.0


class _NoOutcomes:
    def ack(self, row_id: str) -> None:
        pass

    def retry(self, row_id: str, attempts: int, available_at: float, error: str) -> None:
        pass

    def dead(self, row_id: str, attempts: int, error: str) -> None:
        pass


class EventBus:
    def __init__(self, db: Database | None = None, *, max_in_memory: int = DEFAULT_MAX_HELD) -> None:
        self.sinks: list[Sink] = []
        self.max_in_memory = max_in_memory
        self.outbox: Outbox | None = Outbox(db) if db is not None else None
        self._dispatchers: dict[str, SinkDispatcher] = {}
        self._started = False
        self._resumes: set[asyncio.Task[None]] = set()
        self._early: list[Event] = []  # in-memory bus only: published before start
        self._scope: PageScope | None = None  # None: every row is this node's (no cluster)

    @property
    def durable(self) -> bool:
        return self.outbox is not None

    def add_sink(self, sink: Sink) -> None:
        self.sinks.append(sink)
        if self._started:
            self._dispatchers[sink.name] = self._dispatcher(sink)
            task = asyncio.create_task(self._start_late(sink))
            self._resumes.add(task)
            task.add_done_callback(self._resumes.discard)

    def _dispatcher(self, sink: Sink) -> SinkDispatcher:
        if self.outbox is None:
            return SinkDispatcher(sink, _NoOutcomes())
        return SinkDispatcher(sink, self.outbox, pager=self.outbox.page, max_held=self.max_in_memory, scope=self.scope)

    def scope(self) -> PageScope | None:
        """The outbox rows this node delivers: None for all of them (a single node)."""
        return self._scope

    def own_nothing(self) -> None:
        """A cluster node, before `start()`: page no row until the node knows which instances it holds."""
        self._scope = PageScope(frozenset())

    def resume_instances(self, instance_ids: Iterable[str], *, unowned: bool = False) -> None:
        """This node now holds these instances (and, with `unowned`, the rows of no instance): their
        pending rows are paged in, oldest first, each sent when its `availableAt` comes."""
        if self._scope is None:
            return  # a single node pages every row already
        gained = frozenset(instance_ids) - self._scope.instances
        new_unowned = unowned and not self._scope.unowned
        if not gained and not new_unowned:
            return
        self._scope = PageScope(self._scope.instances | gained, self._scope.unowned or unowned)
        if self._started:
            for dispatcher in self._dispatchers.values():
                dispatcher.resume(PageScope(gained, new_unowned))

    def release_instances(self, instance_ids: Iterable[str], *, unowned: bool = False) -> None:
        """This node gave these instances up: their queued deliveries and retry timers are dropped
        (their rows stay pending for the next owner); a send in flight finishes."""
        if self._scope is None:
            return
        lost = frozenset(instance_ids) & self._scope.instances
        lost_unowned = unowned and self._scope.unowned
        if not lost and not lost_unowned:
            return
        self._scope = PageScope(self._scope.instances - lost, self._scope.unowned and not unowned)
        for dispatcher in self._dispatchers.values():
            dispatcher.drop(PageScope(lost, lost_unowned))

    async def _start_late(self, sink: Sink) -> None:
        await sink.start()
        self._dispatchers[sink.name].resume(self._scope)

    async def start(self) -> None:
        for sink in self.sinks:
            await sink.start()
            self._dispatchers[sink.name] = self._dispatcher(sink)
        if self.outbox is not None:
            self.outbox.start()
        self._started = True
        # Whatever a stop or a crash left pending is paged back in, oldest first (in a cluster: the
        # rows of the instances the node holds so far, usually none yet).
        for dispatcher in self._dispatchers.values():
            if self._scope is None:
                dispatcher.resume()
            elif self._scope.instances or self._scope.unowned:
                dispatcher.resume(self._scope)
        early, self._early = self._early, []
        for event in early:
            await self.publish(event)

    async def publish(self, event: Event, *, messages: list[dict[str, Any]] | None = None) -> None:
        """Accept `event`: returns once it is durable (its deliveries' rows committed). `messages`
        (`message_values` rows the event is about, from `MessageStore.rows_to_stage`) are committed
        in the same transaction, one round for both (the writer stores messages before events)."""
        await self.publish_all([event], messages=messages)

    async def publish_all(self, events: list[Event], *, messages: list[dict[str, Any]] | None = None) -> None:
        """`publish` for several events at once, in this order: their rows (and `messages`) in one
        commit round instead of one each, each sink getting them in the list's order."""
        if messages and (self.outbox is None or not self._started):
            raise RuntimeError("messages ride with an event only on a running durable bus")
        if not self._started:
            if self.outbox is None:
                self._early.extend(events)  # as the in-process bus always did: sent once started
                return
            raise RuntimeError("the event bus is not running: nothing can be accepted")
        deliveries: list[Delivery] = []
        for event in events:
            metrics.event_published(event)
            for sink in self.sinks:
                try:
                    deliveries.extend(await sink.plan(event))
                except Exception:
                    log.exception("sink %s failed to plan %s %s", sink.name, event.event, event.id)
        if not deliveries:
            if messages and self.outbox is not None:
                await self.outbox.insert_messages(messages)
            return
        metrics.planned(deliveries)
        if self.outbox is None:
            for delivery in deliveries:
                dispatcher = self._dispatchers.get(delivery.sink)
                if dispatcher is not None:
                    dispatcher.offer(delivery, 0.0)
            return
        # Sending starts while the rows are being committed: a delivery that completes first costs
        # the outbox no write at all (the writer drops the insert and its ack together). The event
        # counts as accepted only once `committed` resolves, so a crash before that may deliver an
        # event its producer never saw accepted, but never loses an accepted one. A dispatcher that
        # is paging from the outbox (spilled) gets its deliveries only after the commit, as before.
        created_at, committed = self.outbox.stage(deliveries, messages)
        later: list[tuple[SinkDispatcher, Delivery]] = []
        under_way = True  # every row's delivery is held in memory and being sent
        for delivery in deliveries:
            dispatcher = self._dispatchers.get(delivery.sink)
            if dispatcher is None or not delivery.id:
                under_way = False
                continue
            # On a cluster node an instance's event is sent only once its rows passed the fencing
            # check and committed: a node that lost the lease must not emit it (outbox_sql.py).
            if not self.outbox.fences(delivery.event.instance_id) and dispatcher.takes_directly():
                under_way = dispatcher.offer(delivery, created_at) and under_way
            else:
                later.append((dispatcher, delivery))
        if committed is not None:
            if under_way and not later:
                # Its rows may wait for their outcomes: acknowledged in time, they are never written
                # (and the event counts as accepted then: delivered, there is nothing left to lose).
                self.outbox.defer(committed)
            await committed
        for dispatcher, delivery in later:
            dispatcher.offer(delivery, created_at)

    async def redeliver(self, deliveries: list[Delivery]) -> None:
        """Hand replayed dead letters (already pending again in the outbox) to their sinks."""
        for delivery in deliveries:
            dispatcher = self._dispatchers.get(delivery.sink)
            if dispatcher is None:
                log.warning("event bus: no sink %s for replayed delivery %s", delivery.sink, delivery.id)
                continue
            dispatcher.replay(delivery)

    async def drain(self) -> None:
        """Wait until every queued delivery was handed to its sink and its outcome stored (tests, bench)."""
        await asyncio.gather(*(d.wait_idle() for d in self._dispatchers.values()))
        if self.outbox is not None:
            await self.outbox.flush()

    async def stop(self) -> None:
        """Stop taking work; unfinished deliveries stay pending in the outbox for the next start."""
        for task in self._resumes:
            task.cancel()
        await asyncio.gather(*(d.stop(STOP_GRACE_SECONDS) for d in self._dispatchers.values()))
        self._dispatchers.clear()
        if self.outbox is not None:
            try:
                await asyncio.wait_for(self.outbox.stop(), timeout=15)
            except TimeoutError:
                log.error("event bus: outbox did not flush in time; unsent outcomes will be retried at start")
        for sink in self.sinks:
            try:
                await sink.stop()
            except Exception:
                log.exception("sink %s did not stop cleanly", sink.name)
        self._started = False
