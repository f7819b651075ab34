"""What an integration is to the rest of the server, and how it rides the durable bus.

An integration is a bus subscriber with side effects: `wants(event)` is asked when the bus accepts
an event (cheap: a lookup of the instance's configuration), `handle(event)` later, from the outbox,
so an event accepted while a bot's backend is down is handled once it is back, even across a
restart. Handling is at-least-once: a `handle` that sent an answer and then failed is retried, so
an integration that must not answer twice keeps its own record of what it answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from evolution_py.config import Settings
from evolution_py.core.messaging import MessagingService
from evolution_py.core.registry import InstanceRegistry
from evolution_py.events.event import Event
from evolution_py.events.retry import DEFAULT_POLICY, RetryPolicy
from evolution_py.events.sink import INSTANCE_SCOPE, Delivery, DeliveryError
from evolution_py.outbound import OutboundClient
from evolution_py.store.db import Database


@dataclass(frozen=True)
class IntegrationContext:
    """What an integration is built with: it answers only through `messaging`, the HTTP API's send path."""

    settings: Settings
    messaging: MessagingService
    registry: InstanceRegistry
    outbound: OutboundClient  # the guarded client: every request to a tenant-given URL goes through it
    db: Database | None = None  # for an integration's own tables (Chatwoot's mirror ledger, the chatbots')


class IntegrationFailed(Exception):
    """`handle` could not finish; `retryable=False` dead-letters the event for this integration."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class Integration(Protocol):
    name: str  # e.g. "chatwoot", "typebot"; deliveries show as sink "integration:<name>"
    retry_policy: RetryPolicy  # how a failed `handle` is retried (the bus's default: upstream's webhook backoff)

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def wants(self, event: Event) -> bool: ...

    async def handle(self, event: Event) -> None: ...


class IntegrationSink:
    """Adapts an `Integration` to the bus's sink protocol: one delivery per wanted event, per instance."""

    # One conversation's events are handled one at a time and in order, a failed one retried before
    # the next (a bot must not answer the second message before the first); conversations and
    # instances run in parallel.
    ordered = True

    def __init__(self, integration: Integration) -> None:
        self.integration = integration
        self.name = f"integration:{integration.name}"
        self.retry_policy = integration.retry_policy

    async def start(self) -> None:
        await self.integration.start()

    async def stop(self) -> None:
        await self.integration.stop()

    async def plan(self, event: Event) -> list[Delivery]:
        if not await self.integration.wants(event):
            return []
        # The integration's settings are the instance's own (its tenant configured them).
        return [Delivery(sink=self.name, target=_conversation(event), event=event, options={"scope": INSTANCE_SCOPE})]

    async def send(self, delivery: Delivery) -> None:
        try:
            await self.integration.handle(delivery.event)
        except IntegrationFailed as exc:
            raise DeliveryError(str(exc), retryable=exc.retryable) from exc


def _conversation(event: Event) -> str:
    """`<instance id>/<remote JID>` for message events, else the instance id."""
    data = event.data
    if isinstance(data, dict):
        key = data.get("key")
        if isinstance(key, dict) and isinstance(key.get("remoteJid"), str):
            return f"{event.instance_id}/{key['remoteJid']}"
    return event.instance_id


class BaseIntegration:
    """Defaults for an integration: nothing to start or stop, the bus's default retries."""

    name = ""
    retry_policy: RetryPolicy = DEFAULT_POLICY

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None
