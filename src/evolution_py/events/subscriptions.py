"""Per-instance sink configuration rows (Webhook, Websocket, Rabbitmq, Nats, Sqs): one shared rule set
for `/instance/create` blocks and the `/<sink>/set` routes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from evolution_py.events.names import EVENT_KEYS
from evolution_py.store.models import Nats, Rabbitmq, Sqs, Webhook, Websocket, utcnow

SINK_TABLES: dict[str, Any] = {
    "webhook": Webhook,
    "websocket": Websocket,
    "rabbitmq": Rabbitmq,
    "nats": Nats,
    "sqs": Sqs,
}


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


async def save_sink_row(session: AsyncSession, kind: str, instance_id: str, values: dict[str, Any]) -> Any:
    """Upsert the one row of `kind` for the instance; returns the row."""
    table = SINK_TABLES[kind]
    row = (await session.execute(select(table).where(table.instanceId == instance_id))).scalars().first()
    if row is None:
        row = table(instanceId=instance_id, **values)
        session.add(row)
    else:
        for field, value in values.items():
            setattr(row, field, value)
        row.updatedAt = utcnow()
    await session.flush()
    return row


class Subscriptions:
    """Per-instance sink rows, cached in memory (sinks read them for every event)."""

    def __init__(self, db: Any) -> None:
        self.db = db
        self._cache: dict[tuple[str, str], dict[str, Any] | None] = {}

    async def find(self, kind: str, instance_id: str) -> dict[str, Any] | None:
        key = (kind, instance_id)
        if key in self._cache:
            return self._cache[key]
        from evolution_py.store.messages import row_dict

        table = SINK_TABLES[kind]
        async with self.db.session() as session:
            row = (await session.execute(select(table).where(table.instanceId == instance_id))).scalars().first()
        value = None if row is None else row_dict(row)
        self._cache[key] = value
        return value

    async def save(self, kind: str, instance_id: str, values: dict[str, Any]) -> dict[str, Any]:
        from evolution_py.store.messages import row_dict

        async with self.db.transaction() as session:
            row = await save_sink_row(session, kind, instance_id, values)
            value = row_dict(row)
        self._cache[(kind, instance_id)] = value
        return value

    def forget(self, instance_id: str) -> None:
        for key in [k for k in self._cache if k[1] == instance_id]:
            del self._cache[key]
