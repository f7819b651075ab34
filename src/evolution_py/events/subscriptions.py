"""Per-instance sink configuration rows (Webhook, Websocket, Rabbitmq, Nats, Sqs): where they are stored,
the event-list rule every sink shares, and the cache sinks read them through for every event.

Whatever writes a sink row calls `Subscriptions.rows_changed` once its transaction committed: that one
hook is how every reader learns of the change (today: this process's cache; later, other servers).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from evolution_py.events.names import EVENT_KEYS
from evolution_py.store.db import Database
from evolution_py.store.instance_rows import upsert_instance_row
from evolution_py.store.messages import row_dict
from evolution_py.store.models import Nats, Rabbitmq, Sqs, Webhook, Websocket

SinkRow = Webhook | Websocket | Rabbitmq | Nats | Sqs

# The table of each row kind (the sink's name). The tables stay in store/models.py with the rest of
# upstream's schema: Alembic's metadata and migration 0001 own them there, and NATS and SQS rows
# exist before their sinks do.
SINK_TABLES: dict[str, type[Any]] = {
    "webhook": Webhook,
    "websocket": Websocket,
    "rabbitmq": Rabbitmq,
    "nats": Nats,
    "sqs": Sqs,
}


def register_sink_table(kind: str, table: type[Any]) -> None:
    """A sink whose table lives in its own slice (`sinks/<name>/models.py`: Pusher, Kafka) adds it
    here when its slice is imported (the registry imports every slice before any row is read)."""
    SINK_TABLES[kind] = table


class SubscriptionError(ValueError):
    pass


def normalize_events(block: str, enabled: bool, events: Any) -> list[str]:
    """Upstream's rule: disabled → [], enabled with [] → all 31 keys; unknown keys are refused."""
    if events is None:
        events = []
    if not isinstance(events, list) or not all(isinstance(item, str) for item in events):
        raise SubscriptionError(f"{block}.events must be an array of event names")
    unknown = [item for item in events if item not in EVENT_KEYS]
    if unknown:
        raise SubscriptionError(
            f"{block}.events: {', '.join(unknown)} is not one of enum values: {','.join(EVENT_KEYS)}"
        )
    if not enabled:
        return []
    return list(events) if events else list(EVENT_KEYS)


async def save_sink_row(session: AsyncSession, kind: str, instance_id: str, values: dict[str, Any]) -> SinkRow:
    """Upsert the one row of `kind` for the instance in the caller's transaction; returns the row.
    Call `Subscriptions.rows_changed(instance_id)` after the commit."""
    row: SinkRow = await upsert_instance_row(session, SINK_TABLES[kind], instance_id, values)
    return row


class Subscriptions:
    """Per-instance sink rows, cached in memory (sinks read them for every event)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._cache: dict[tuple[str, str], dict[str, Any] | None] = {}
        # Called with the instance id after `rows_changed` (cluster/broadcast.py tells the other nodes).
        self.listeners: list[Callable[[str], None]] = []

    async def find(self, kind: str, instance_id: str) -> dict[str, Any] | None:
        key = (kind, instance_id)
        if key in self._cache:
            return self._cache[key]
        table = SINK_TABLES[kind]
        async with self.db.session() as session:
            row = (await session.execute(select(table).where(table.instanceId == instance_id))).scalars().first()
        value = None if row is None else row_dict(row)
        self._cache[key] = value
        return value

    async def save(self, kind: str, instance_id: str, values: dict[str, Any]) -> dict[str, Any]:
        async with self.db.transaction() as session:
            row = await save_sink_row(session, kind, instance_id, values)
            value = row_dict(row)
        self.rows_changed(instance_id)
        self._cache[(kind, instance_id)] = value  # the fresh row, already read back: no reload
        return value

    def rows_changed(self, instance_id: str) -> None:
        """The instance's sink rows changed (saved, created with the instance, deleted with it): the
        one invalidation hook. Drops this process's cached rows and tells the listeners (with
        CLUSTER_ENABLED, the other nodes, over Redis pub/sub)."""
        self.drop_cached(instance_id)
        for listener in self.listeners:
            listener(instance_id)

    def drop_all_cached(self) -> None:
        """Forget every cached row (changes may have been missed: cluster/broadcast.py)."""
        self._cache.clear()

    def drop_cached(self, instance_id: str) -> None:
        """Forget this process's cached rows of the instance (another node changed them)."""
        for key in [k for k in self._cache if k[1] == instance_id]:
            del self._cache[key]

    def forget(self, instance_id: str) -> None:
        """The instance service's name for `rows_changed` (after it created or deleted an instance)."""
        self.rows_changed(instance_id)
