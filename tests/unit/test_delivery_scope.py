"""Every sink says whose sink a delivery goes to: the instance's own (its tenant sees the dead
letters) or the operator's global one (the global key alone)."""

from __future__ import annotations

from typing import Any, cast

import socketio

from evolution_py.events.event import Event
from evolution_py.events.outbox import delivery_scope, new_row
from evolution_py.events.sink import Delivery
from evolution_py.events.subscriptions import Subscriptions
from evolution_py.integrations.base import IntegrationSink
from evolution_py.sinks.rabbitmq.config import RabbitSettings
from evolution_py.sinks.rabbitmq.sink import RabbitMQSink
from evolution_py.sinks.socketio.auth import NamespaceAccess
from evolution_py.sinks.socketio.config import WebsocketSettings
from evolution_py.sinks.socketio.sink import SocketIOSink
from evolution_py.sinks.socketio.stream import StreamHub


class OneRow:
    """Subscriptions with one enabled row of every kind, for every event."""

    async def find(self, kind: str, instance_id: str) -> dict[str, Any] | None:
        return {"enabled": True, "events": ["SEND_MESSAGE"]}


EVENT = Event(event="send.message", instance="shop", instance_id="shop-id", data={})


def scopes(deliveries: list[Delivery]) -> dict[str, str]:
    return {d.target: delivery_scope(d) for d in deliveries}


async def test_rabbitmq_instance_exchange_is_the_tenants_global_one_the_operators() -> None:
    settings = RabbitSettings(enabled=True, global_enabled=True, global_events=frozenset({"SEND_MESSAGE"}))
    sink = RabbitMQSink(settings, cast(Subscriptions, OneRow()))
    assert scopes(await sink.plan(EVENT)) == {
        "shop/send.message": "instance",
        "evolution_exchange/send.message": "global",
    }


async def test_socketio_own_namespace_is_the_tenants_root_the_operators() -> None:
    access = NamespaceAccess(api_key="k" * 20, instances=cast(Any, {}))
    sink = SocketIOSink(
        WebsocketSettings(enabled=True, global_events=True),
        cast(Subscriptions, OneRow()),
        socketio.AsyncServer(async_mode="asgi"),
        StreamHub(10),
        access,
    )
    assert scopes(await sink.plan(EVENT)) == {"/shop": "instance", "/": "global"}


async def test_unmarked_deliveries_are_the_operators_and_the_row_keeps_the_scope() -> None:
    unmarked = Delivery(sink="custom", target="t", event=EVENT)
    assert delivery_scope(unmarked) == "global" and new_row(unmarked, 0.0)[-1] == "global"
    marked = Delivery(sink="webhook", target="t", event=EVENT, options={"scope": "instance"})
    assert new_row(marked, 0.0)[-1] == "instance"


class Wanting:
    name = "bot"
    retry_policy: Any = None

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def wants(self, event: Event) -> bool:
        return True

    async def handle(self, event: Event) -> None: ...


async def test_integration_deliveries_are_the_instances_own() -> None:
    (delivery,) = await IntegrationSink(Wanting()).plan(EVENT)
    assert delivery_scope(delivery) == "instance"
