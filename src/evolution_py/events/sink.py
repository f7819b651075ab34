"""What every sink (webhook, socket.io/websocket, RabbitMQ, ...) implements.

A sink is asked two things, at two different times:
- `plan(event)`: right when the bus accepts the event, which deliveries it needs (one per target),
  with everything the later send needs copied into `Delivery.options` (URL, headers, exchange...).
  Planning at accept time is what lets `remove.instance` still reach the sinks of a deleted
  instance, and lets the bus persist deliveries in its outbox before anything is sent.
  `options` is stored as JSON in the outbox (msgspec): keep it to plain JSON values.
- `send(delivery)`: deliver one planned delivery. Return normally on success; raise
  `DeliveryError(retryable=True)` to have the bus retry it later, `retryable=False` to dead-letter it.

Optional attributes the bus reads: `retry_policy` (an `events.retry.RetryPolicy`; default: upstream's
webhook backoff, 10 attempts), `concurrency_per_target` (deliveries in flight per target; 16) and
`ordered` (true: one at a time per target, and a failed delivery is retried before the next one).

The protocol belongs to the bus: the sinks themselves live in `sinks/<name>/` and import this module,
never the other way round.
"""

from __future__ import annotations

from typing import Any, Protocol

import msgspec

from evolution_py.events.event import Event

# Whose sink a delivery goes to, in `Delivery.options["scope"]` (the outbox stores it in its own
# column): a sink the instance's tenant configured (its token lists and replays the dead letters), or
# one of the operator's (global webhook, RabbitMQ exchange, socket.io "/": the global key alone). A
# delivery that does not say is the operator's.
INSTANCE_SCOPE = "instance"
GLOBAL_SCOPE = "global"


class Delivery(msgspec.Struct, kw_only=True):
    sink: str  # the sink's name, e.g. "webhook"
    target: str  # where it goes: a URL, "exchange/routing-key", a socket.io namespace, ...
    event: Event
    options: dict[str, Any] = msgspec.field(default_factory=dict)
    attempt: int = 0  # deliveries already tried (0 on the first send)
    id: str = ""  # the bus's outbox row id, stable across retries and restarts ("" before it is stored)


class DeliveryError(Exception):
    def __init__(self, message: str, *, retryable: bool = True, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class Sink(Protocol):
    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def plan(self, event: Event) -> list[Delivery]: ...

    async def send(self, delivery: Delivery) -> None: ...
