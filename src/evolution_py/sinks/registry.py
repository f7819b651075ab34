"""Every sink this server knows, in one place: what the rest of the server asks of sinks as a group.

Adding a sink is its folder (`sinks/<name>/`, the shape of `sinks/rabbitmq/`) plus one line in
`SINK_KINDS`. The v2 create route asks for the sink rows a `/instance/create` body describes; the
app asks for the sink tables `fetchInstances` reports (handed to the read model: `core/` never
imports sinks), the sinks to put on the bus, their routes and the ASGI app in front (socket.io
before Litestar).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from evolution_py.dto.instance import CreateInstanceRequest
from evolution_py.errors import BadRequest
from evolution_py.events.subscriptions import SINK_TABLES, SubscriptionError
from evolution_py.sinks.kafka import KAFKA
from evolution_py.sinks.kind import AsgiApp, InstalledSinks, SinkContext, SinkKind
from evolution_py.sinks.nats import NATS
from evolution_py.sinks.pusher import PUSHER
from evolution_py.sinks.rabbitmq import RABBITMQ
from evolution_py.sinks.socketio import WEBSOCKET
from evolution_py.sinks.sqs import SQS
from evolution_py.sinks.webhook import WEBHOOK

if TYPE_CHECKING:
    from litestar.types import ControllerRouterHandler

    from evolution_py.config import Settings
    from evolution_py.events.bus import EventBus

# In this order a create body's blocks are checked (the first refusal is the answer) and the sinks
# join the bus.
SINK_KINDS: tuple[SinkKind[Any, Any], ...] = (
    WEBHOOK,
    WEBSOCKET,
    RABBITMQ,
    NATS,
    SQS,
    PUSHER,
    KAFKA,
)


async def sink_rows_from_create(settings: Settings, req: CreateInstanceRequest) -> dict[str, dict[str, Any]]:
    """The sink rows (by sink name) that a v2 create body asks for, validated; BadRequest otherwise."""
    rows: dict[str, dict[str, Any]] = {}
    try:
        for kind in SINK_KINDS:
            row = kind.rows_from_create(kind.config(settings.env), req)
            if row is not None:
                rows[kind.name] = row
    except SubscriptionError as exc:
        raise BadRequest(str(exc)) from None
    for kind in SINK_KINDS:
        if kind.check_create is not None and kind.name in rows:
            await kind.check_create(kind.config(settings.env), req)
    return rows


def fetch_tables() -> list[tuple[str, Any]]:
    """`fetchInstances` keys and the per-instance sink tables behind them (the webhook row is not shown)."""
    return [(kind.fetch_key, SINK_TABLES[kind.name]) for kind in SINK_KINDS if kind.fetch_key]


def install_sinks(context: SinkContext, bus: EventBus) -> InstalledSinks:
    """Build every switched-on sink and put it on the bus. Every slice's settings are read here, at
    start, so a malformed variable stops the server instead of failing a request later."""
    installed = InstalledSinks()
    for kind in SINK_KINDS:
        config = kind.config(context.settings.env)
        if kind.build is None:
            continue
        sink = kind.build(config, context)
        if sink is not None:
            bus.add_sink(sink)
            installed.add(kind, sink)
    return installed


def sink_routes() -> list[ControllerRouterHandler]:
    """Every sink's HTTP routes (registered whether or not the sink is on: they answer empty when off)."""
    return [route for kind in SINK_KINDS if kind.routes is not None for route in kind.routes()]


def in_front(installed: InstalledSinks, app: AsgiApp) -> AsgiApp:
    """The served ASGI app: `app` behind whatever the installed sinks put in front of it."""
    for kind, sink in installed.items():
        if kind.wrap_asgi is not None:
            app = kind.wrap_asgi(sink, app)
    return app
