"""One node of the cluster: its heartbeat, the instances it owns, and the moves between nodes.

Every `lease_seconds / 3` the node (1) writes its heartbeat, (2) renews the leases it holds with
their fencing tokens and stops at once every instance whose renew failed (another node took it
over: this one paused or was cut off), (3) computes the placement over the live nodes by
rendezvous hashing, (4) hands over, at most `move_batch` per tick, the instances another live node
should own (a joining node takes its share in steps), and (5) claims the instances it should own
whose lease is free or expired (a dead node's instances: all at once; their channels then start
staggered). The event bus delivers the outbox rows of exactly the instances the node holds: each
instance gained has its pending rows resumed (`EventBus.resume_instances`), each one given up has
its queued ones dropped (`release_instances`). If the node cannot reach the database for a whole
lease period it stops every channel itself, before anyone else may claim them: an owner never runs
past its lease. Between ticks, every owner write (events, message rows, contact and chat rows) is
checked against the lease in its own transaction (cluster/fence.py, `write_token`).

At SIGTERM (`stop`) it closes its channels, releases its leases and deletes its heartbeat: the
other nodes claim its instances at their next tick instead of waiting for the leases to expire.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from sqlalchemy import select

from evolution_py.cluster.broadcast import SubscriptionBroadcast
from evolution_py.cluster.config import ClusterSettings
from evolution_py.cluster.directory import ClusterDirectory, KnownInstance
from evolution_py.cluster.fence import LeaseFence
from evolution_py.cluster.leases import LeaseStore, NodeRow
from evolution_py.cluster.placement import owner_of
from evolution_py.core.loader import RuntimeLoader, close_quietly, start_channel
from evolution_py.core.registry import InstanceRegistry
from evolution_py.events.bus import STOP_GRACE_SECONDS
from evolution_py.store.models import Instance, Proxy, Setting

log = logging.getLogger(__name__)


class ClusterNode:
    def __init__(
        self,
        settings: ClusterSettings,
        store: LeaseStore,
        loader: RuntimeLoader,
        registry: InstanceRegistry,
        client_name: str,
    ) -> None:
        self.settings = settings
        self.store = store
        self.loader = loader
        self.registry = registry
        self.client_name = client_name
        self.held: dict[str, int] = {}  # instance id → fencing token of the lease this node holds
        self.live: list[NodeRow] = []
        self._renewed_at = 0.0  # monotonic time of the last successful renew
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._first_tick = True
        self._resuming: set[str] = set()  # gained from another node: resumed after its stop grace
        self._starts = 0  # channel starts so far (their stagger)
        # Placement memo: 10k instances x 50 nodes is ~0.5 s of hashing, so it is redone only for
        # a new set of live nodes, and for instances not seen before.
        self._placed_over: tuple[str, ...] = ()
        self._placed: dict[str, str] = {}
        self.broadcast: SubscriptionBroadcast | None = None  # sink-row changes to and from the others
        self.directory: ClusterDirectory | None = None  # every instance by name (socket.io's check)
        self.closers: list[Callable[[], Awaitable[None]]] = []  # the router's HTTP client, at stop
        self._pickups: set[asyncio.Task[None]] = set()  # deliveries of instances gained, resumed soon
        self._unowned = False  # whether this node delivers the rows of no instance (smallest live id)
        # Instances being handed over (a move, a stop): their channels close while the lease is
        # still this node's, so what they write meanwhile (a last connection event) passes the fence.
        self._closing: dict[str, int] = {}
        self._claims: dict[str, asyncio.Task[int | None]] = {}  # claims in flight, shared (`_claim_loaded`)
        # Every owner write of the outbox writer is checked against the leases held (cluster/fence.py).
        outbox = loader.deps.bus.outbox
        if outbox is not None:
            outbox.fence = LeaseFence(settings.node_id, self.write_token, self._lost)
            # ... and so is every owner write made in its own transaction (store/db.py `check_owner`).
            loader.deps.db.fence = outbox.fence
        self._dropping: set[asyncio.Task[None]] = set()

    @property
    def node_id(self) -> str:
        return self.settings.node_id

    @property
    def interval(self) -> float:
        return self.settings.lease_seconds / 3

    async def start(self) -> None:
        if self.broadcast is not None:
            self.broadcast.start()
        await self.tick()
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while not self._stopping:
            await asyncio.sleep(self.interval)
            try:
                await self.tick()
            except Exception:
                log.exception("cluster tick failed")
                try:
                    await self._fence_if_stale()
                except Exception:  # the loop is the node's heartbeat: it must go on
                    log.exception("cluster: stopping this node's stale instances failed; the next tick tries again")

    async def _fence_if_stale(self) -> None:
        """No renew for a whole lease (a pause, a lost database): the leases may be another node's
        by now, so every channel stops before anything else runs."""
        if self.held and time.monotonic() - self._renewed_at >= self.settings.lease_seconds:
            log.warning("cluster: no lease renewed for %.1f s: stopping %d instance(s)", self.lease, len(self.held))
            stale = list(self.held)
            self.held.clear()
            await asyncio.gather(*(self._unload(i) for i in stale))

    @property
    def lease(self) -> float:
        return self.settings.lease_seconds

    async def tick(self) -> None:
        await self._fence_if_stale()
        started = time.monotonic()
        await self.store.heartbeat()
        # A snapshot: a write may claim a just-created instance meanwhile (`write_token`), and the
        # fencing check may drop a lost one (`_lost`); neither is this renew's business.
        asked = dict(self.held)
        renewed = await self.store.renew(asked)
        if time.monotonic() - started < self.settings.lease_seconds:
            self._renewed_at = started
        for instance_id, believed in asked.items():
            if instance_id not in renewed and self.held.get(instance_id) == believed:
                log.warning("cluster: lease of instance %s lost to another node: stopping it", instance_id)
                self.held.pop(instance_id)
                await self._unload(instance_id)

        known = set(self.held)  # held before the instances are listed (see "deleted meanwhile")
        self.live = await self.store.live_nodes()
        live_ids = [n.id for n in self.live]
        if self.node_id not in live_ids:
            live_ids.append(self.node_id)
        instances = await self.store.instances(self.client_name)
        leases = await self.store.leases()
        if self.directory is not None:
            self.directory.known = {name: KnownInstance(name, token) for name, token in instances.values()}
        desired = self._desired(instances, live_ids)

        for instance_id in [i for i in known if i not in instances]:  # deleted meanwhile
            if self.held.pop(instance_id, None) is not None:
                await self._unload(instance_id)

        # Instances created through this node's API: claimed here first (moved later if need be).
        for runtime in self.registry.all():
            if runtime.id not in self.held and not self._stopping:
                token = await self._claim_loaded(runtime.id, self.store.claim)
                if token is None:
                    await self._unload(runtime.id)  # another node owns it

        moved = 0
        for instance_id in list(self.held):
            if moved >= self.settings.move_batch:
                break
            if desired.get(instance_id, self.node_id) != self.node_id:
                token = self.held.pop(instance_id, None)
                if token is None:
                    continue  # dropped meanwhile (`_lost`)
                self._closing[instance_id] = token
                try:
                    await self._unload(instance_id)
                finally:
                    self._closing.pop(instance_id, None)
                await self.store.release(instance_id, token)
                moved += 1

        claimed = 0
        # Instances whose last owner was another node: it may still be finishing their in-flight sends
        # (a SIGTERM, a hand-over), so their rows are resumed after its stop grace. Instances never
        # owned, or last owned by this very node id (a restart), are resumed at once.
        taken_over: list[str] = []
        owned = self.bus_owned()
        fresh: list[str] = [i for i in self.held if i not in owned and i not in self._resuming]
        for instance_id in instances:
            if instance_id in self.held or desired[instance_id] != self.node_id:
                continue
            lease = leases.get(instance_id)
            # Left behind by a node no longer live (killed, or stopped with SIGTERM): claimed at once,
            # its pending deliveries with it. A hand-over from a live node is paced by `move_batch`.
            orphan = lease is not None and lease.expired and lease.node_id not in (None, *live_ids)
            if lease is not None and not lease.expired and lease.node_id is not None:
                continue  # still held by its previous owner: it hands it over at its own pace
            if not orphan and claimed >= self.settings.move_batch:
                continue
            token = await self.store.claim(instance_id)
            if token is not None:
                self.held[instance_id] = token
                claimed += 1
                await self._load(instance_id)
                if lease is not None and lease.node_id not in (None, self.node_id):
                    taken_over.append(instance_id)
                else:
                    fresh.append(instance_id)
        # The rows of no instance (global events): the live node with the smallest id delivers them.
        # At the first tick they are resumed at once; a node that becomes the smallest later (the
        # previous one is gone) waits the stop grace first, as for taken-over instances.
        lead = min(live_ids) == self.node_id and not self._stopping
        gained_unowned = lead and not self._unowned
        if self._unowned and not lead:
            self.loader.deps.bus.release_instances((), unowned=True)
        self._unowned = lead
        now_unowned = gained_unowned and self._first_tick
        if fresh or now_unowned:
            self.loader.deps.bus.resume_instances(fresh, unowned=now_unowned)
        if taken_over or (gained_unowned and not now_unowned):
            self._resume_later(taken_over, gained_unowned and not now_unowned)
        self._first_tick = False

    async def write_token(self, instance_id: str) -> int | None:
        """The fencing token the outbox writer checks this instance's owner writes with; None: not
        this node's (its writes are refused without a query). An instance created through this
        node's API a moment ago has no lease yet: it is claimed now (only if no lease row exists at
        all), so its first events (`instance.create`) need not wait for the next tick."""
        token = self.held.get(instance_id) or self._closing.get(instance_id)
        if token is not None or self._stopping:
            return token
        runtime = self.registry.resolve(instance_id)
        if runtime is None or runtime.id != instance_id:
            return None
        return await self._claim_loaded(instance_id, self.store.claim_new)

    def _lost(self, checked: dict[str, int]) -> None:
        """The fencing check found these leases no longer this node's (the tokens it checked): the
        instances stop now rather than at the next tick, so the router forwards the next request
        for them to their new owner instead of answering 503 again."""
        for instance_id, token in checked.items():
            if self.held.get(instance_id) != token:
                continue  # dropped or claimed again meanwhile
            log.warning("cluster: lease of instance %s lost (refused write): stopping it", instance_id)
            self.held.pop(instance_id)
            task = asyncio.create_task(self._unload(instance_id))
            self._dropping.add(task)
            task.add_done_callback(self._dropping.discard)

    async def _claim_loaded(self, instance_id: str, claim: Callable[[str], Awaitable[int | None]]) -> int | None:
        """Claim an instance loaded here but not held, once: the tick and a write that arrives
        meanwhile share one claim (two would have the second see the first's lease as another's).
        The claim's own task records the token, so every waiter sees it held once it returns."""
        task = self._claims.get(instance_id)
        if task is None:

            async def claim_and_hold() -> int | None:
                token = await claim(instance_id)
                if token is not None:
                    self.held[instance_id] = token
                return token

            task = self._claims[instance_id] = asyncio.create_task(claim_and_hold())
            task.add_done_callback(lambda _done: self._claims.pop(instance_id, None))
        return await asyncio.shield(task)

    def bus_owned(self) -> frozenset[str]:
        scope = self.loader.deps.bus.scope()
        return frozenset() if scope is None else scope.instances

    def _resume_later(self, instance_ids: list[str], unowned: bool) -> None:
        """After the old owner's stop grace: a node stopped with SIGTERM (or handing instances over)
        finishes its in-flight sends and stores their acks first, so only what it really left undone
        is sent again (a send in flight at a kill may still arrive twice)."""
        self._resuming.update(instance_ids)
        task = asyncio.create_task(self._resume(instance_ids, unowned, after=STOP_GRACE_SECONDS + 1.0))
        self._pickups.add(task)
        task.add_done_callback(self._pickups.discard)

    async def _resume(self, instance_ids: list[str], unowned: bool, after: float) -> None:
        try:
            await asyncio.sleep(after)
        finally:
            self._resuming.difference_update(instance_ids)
        still = [i for i in instance_ids if i in self.held]  # not lost or moved on meanwhile
        if still or (unowned and self._unowned):
            log.info("cluster: resuming the pending deliveries of %d instance(s) taken over", len(still))
            self.loader.deps.bus.resume_instances(still, unowned=unowned and self._unowned)

    def _desired(self, instances: dict[str, tuple[str, str | None]], live_ids: list[str]) -> dict[str, str]:
        """Instance id → the node that should own it. The hash is over the instance *name* (unique per
        client), so the router can send `POST /instance/create` to the future owner before any id exists."""
        over = tuple(sorted(live_ids))
        if over != self._placed_over:
            self._placed_over, self._placed = over, {}
        placed = {}
        for instance_id, (name, _token) in instances.items():
            owner = self._placed.get(instance_id)
            if owner is None:
                owner = self._placed[instance_id] = owner_of(name, over) or self.node_id
            placed[instance_id] = owner
        self._placed = placed  # forgets deleted instances
        return placed

    def owner_for_name(self, name: str) -> NodeRow | None:
        """The live node that will own an instance of this name (None: this node, or none known)."""
        live = {n.id: n for n in self.live}
        owner = owner_of(name, sorted({*live, self.node_id}))
        return None if owner == self.node_id else live.get(owner or "")

    async def _load(self, instance_id: str) -> None:
        db = self.loader.deps.db
        async with db.session() as s:
            row = (await s.execute(select(Instance).where(Instance.id == instance_id))).scalar_one_or_none()
            if row is None:
                return
            setting = (await s.execute(select(Setting).where(Setting.instanceId == instance_id))).scalar_one_or_none()
            proxy = (await s.execute(select(Proxy).where(Proxy.instanceId == instance_id))).scalar_one_or_none()
        try:
            runtime = self.loader.build(row, setting, proxy)
        except Exception:
            log.exception("instance %s: could not be loaded", row.name)
            return
        self.registry.add(runtime)
        delay = min(self._starts * 0.05, 5.0)
        self._starts += 1
        runtime.spawn(start_channel(runtime, delay))

    async def _unload(self, instance_id: str) -> None:
        self.loader.deps.bus.release_instances((instance_id,))  # its rows: the next owner's
        runtime = next((r for r in self.registry.all() if r.id == instance_id), None)
        if runtime is None:
            return
        self.registry.remove(runtime.name)
        await close_quietly(runtime)

    def owned_names(self) -> list[str]:
        return sorted(r.name for r in self.registry.all() if r.id in self.held)

    async def stop(self) -> None:
        """SIGTERM: close every channel, give every lease back, leave the live list."""
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
        if self.broadcast is not None:
            await self.broadcast.stop()
        for task in list(self._pickups):
            task.cancel()
        held = dict(self.held)
        self.held.clear()
        self._closing.update(held)  # the channels' last writes are still this node's
        await asyncio.gather(*(self._unload(i) for i in held))
        self._closing.clear()
        try:
            for instance_id, token in held.items():
                await self.store.release(instance_id, token)
            await self.store.leave()
        except Exception:  # noqa: BLE001 - the leases then expire on their own
            log.warning("cluster: could not hand %d instance(s) over at stop", len(held))
        for close in self.closers:
            await close()
