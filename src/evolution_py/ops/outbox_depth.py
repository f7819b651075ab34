"""The outbox's depth for /metrics: pending and dead rows and the oldest pending row's creation."""

from __future__ import annotations

from sqlalchemy import func, select

from evolution_py.ops.metrics import OutboxStats
from evolution_py.store.db import Database
from evolution_py.store.models import EventDelivery


async def outbox_stats(db: Database) -> OutboxStats:
    table = EventDelivery.__table__
    query = select(table.c.status, func.count(), func.min(table.c.createdAt)).group_by(table.c.status)
    async with db.session() as session:
        rows = (await session.execute(query)).all()
    by_status = {str(status): (int(count), oldest) for status, count, oldest in rows}
    pending, oldest = by_status.get("pending", (0, None))
    dead_count, _ = by_status.get("dead", (0, None))
    return pending, dead_count, float(oldest) if oldest is not None else None
