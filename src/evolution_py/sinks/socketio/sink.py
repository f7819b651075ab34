"""The socket.io sink: event name = wire name, payload = upstream's envelope (no `destination`).

Per instance, namespace `/<instance>` when its Websocket row enables the event; in global mode
(WEBSOCKET_GLOBAL_EVENTS) every event also goes to `/`. The plain /ws stream gets the same deliveries.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

import msgspec
import socketio

from evolution_py.events.event import Event
from evolution_py.events.names import REMOVE_INSTANCE, subscription_key
from evolution_py.events.sink import GLOBAL_SCOPE, INSTANCE_SCOPE, Delivery, DeliveryError
from evolution_py.events.subscriptions import Subscriptions
from evolution_py.sinks.socketio.auth import AccessDenied, NamespaceAccess
from evolution_py.sinks.socketio.config import WebsocketSettings
from evolution_py.sinks.socketio.server import KEY, REMOTE
from evolution_py.sinks.socketio.stream import StreamHub

log = logging.getLogger(__name__)


class SocketIOSink:
    name = "websocket"
    # One emit at a time per namespace: clients see an instance's events in the order they were
    # published, as upstream's emits in turn give them (`contacts.upsert` before `chats.upsert`).
    # With several at once, an emit that waited on Redis (a cluster) or on a slow client let the
    # next event overtake it, on socket.io and on /ws alike.
    concurrency_per_target = 1

    def __init__(
        self,
        settings: WebsocketSettings,
        subscriptions: Subscriptions,
        sio: socketio.AsyncServer,
        hub: StreamHub,
        access: NamespaceAccess,
    ) -> None:
        self.settings = settings
        self.subscriptions = subscriptions
        self.sio = sio
        self.hub = hub  # the plain /ws streams, fed by the same deliveries
        self.access = access  # who may read which namespace (socket.io and /ws alike)
        # In a cluster, socket.io's Redis manager carries the emits to every node, but a namespace's
        # clients are only known to the node they are connected to: the /ws relay tells this node
        # when another removed an instance, and runs `recheck_clients` every few seconds.
        hub.on_remote_end.append(self._close_here)
        hub.rechecks.append(self._recheck)
        self._tasks: set[asyncio.Task[object]] = set()
        self._rechecking = False

    async def start(self) -> None:
        await self.hub.start()  # in a cluster: the /ws relay to and from the other nodes

    async def stop(self) -> None:
        await self.hub.stop()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def plan(self, event: Event) -> list[Delivery]:
        deliveries: list[Delivery] = []
        own = f"/{event.instance}"
        row = await self.subscriptions.find("websocket", event.instance_id)
        subscribed = bool(row and row.get("enabled") and subscription_key(event.event) in (row.get("events") or []))
        if event.event == REMOVE_INSTANCE:
            # The instance is gone: its namespace's clients are disconnected after this event, so a
            # later instance reusing the name never streams to a reader authorised for the old one.
            deliveries.append(self._delivery(event, own, emit=subscribed, close=True))
        elif subscribed:
            deliveries.append(self._delivery(event, own))
        if self.settings.global_events:
            deliveries.append(self._delivery(event, "/"))
        return deliveries

    def _delivery(self, event: Event, namespace: str, *, emit: bool = True, close: bool = False) -> Delivery:
        # scope: the instance's own namespace is its tenant's sink; "/" (global mode) the operator's.
        scope = GLOBAL_SCOPE if namespace == "/" else INSTANCE_SCOPE
        options: dict[str, object] = {"namespace": namespace, "scope": scope}
        if not emit:
            options["emit"] = False
        if close:
            options["close"] = True
        return Delivery(sink=self.name, target=namespace, event=event, options=options)

    async def send(self, delivery: Delivery) -> None:
        namespace = str(delivery.options["namespace"])
        envelope = delivery.event.envelope()
        if delivery.options.get("emit", True):
            try:
                await self.sio.emit(delivery.event.event, envelope, namespace=namespace)
            except Exception as exc:
                # Emitting to connected clients is best effort in socket.io; a failure here is ours.
                raise DeliveryError(f"socket.io emit failed: {exc}", retryable=False) from exc
            self.hub.publish(namespace, delivery.event.event, msgspec.json.encode(envelope))
        if delivery.options.get("close"):
            await self.disconnect_namespace(namespace)

    async def disconnect_namespace(self, namespace: str) -> None:
        sids = [sid for sid, _eio in self.sio.manager.get_participants(namespace, None)]
        for sid in sids:
            await self.sio.disconnect(sid, namespace=namespace)
        self.hub.end(namespace)

    def _spawn(self, work: Coroutine[Any, Any, object]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _close_here(self, namespace: str) -> None:
        self._spawn(self._disconnect_here(namespace))

    async def _disconnect_here(self, namespace: str) -> None:
        for sid, _eio in list(self.sio.manager.get_participants(namespace, None)):
            await self.sio.disconnect(sid, namespace=namespace, ignore_queue=True)

    def _recheck(self) -> None:
        if not self._rechecking:
            self._rechecking = True
            self._spawn(self.recheck_clients())

    async def recheck_clients(self) -> int:
        """Disconnect this node's socket.io clients whose handshake no longer opens their namespace
        (its instance deleted, or re-created with another token); returns how many."""
        closed = 0
        try:
            for namespace in list(self.sio.manager.get_namespaces()):
                for sid, _eio in list(self.sio.manager.get_participants(namespace, None)):
                    try:
                        session = await self.sio.get_session(sid, namespace=namespace)
                    except KeyError:  # gone meanwhile
                        continue
                    if KEY not in session:  # not through our connect handler: nothing to check
                        continue
                    try:
                        self.access.authorize(namespace, str(session[KEY]), str(session.get(REMOTE, "")))
                    except AccessDenied:
                        await self.sio.disconnect(sid, namespace=namespace, ignore_queue=True)
                        closed += 1
        finally:
            self._rechecking = False
        if closed:
            log.info("socket.io: %d client(s) closed: their key no longer opens their instance", closed)
        return closed
