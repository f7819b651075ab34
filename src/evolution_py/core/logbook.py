"""Per-instance log kept in the database: connection changes, errors and admin actions.

The instance service and (through `InstanceContext.log`) the channels write here; the Evolution Go dialect's
`GET /instance/logs/:instanceId` reads it. Retention keeps the table bounded: at most
`INSTANCE_LOG_MAX_ENTRIES` rows per instance and none older than `INSTANCE_LOG_MAX_DAYS` days.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from evolution_py.config import Settings
from evolution_py.store.db import Database
from evolution_py.store.models import InstanceLog, utcnow

log = logging.getLogger(__name__)

LEVELS = ("DEBUG", "INFO", "WARN", "ERROR")


@dataclass(frozen=True)
class LogQuery:
    start: datetime | None = None
    end: datetime | None = None  # exclusive
    levels: tuple[str, ...] = LEVELS
    limit: int = 100


class InstanceLogbook:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        env = settings.env
        self.max_entries = env.integer("INSTANCE_LOG_MAX_ENTRIES", 1000, minimum=1)
        self.max_days = env.integer("INSTANCE_LOG_MAX_DAYS", 30, minimum=1)

    async def write(self, instance_id: str, level: str, message: str, metadata: dict[str, Any] | None = None) -> None:
        """Append one entry and apply retention. Never raises: a log write must not break the action
        it records (e.g. the instance row was deleted a moment before)."""
        level = level.upper()
        if level not in LEVELS:
            level = "INFO"
        try:
            async with self.db.transaction() as session:
                session.add(
                    InstanceLog(
                        instanceId=instance_id, timestamp=utcnow(), level=level, message=message, logMetadata=metadata
                    )
                )
                await session.flush()
                await session.execute(
                    delete(InstanceLog).where(
                        InstanceLog.instanceId == instance_id,
                        InstanceLog.timestamp < utcnow() - timedelta(days=self.max_days),
                    )
                )
                # Keep the newest `max_entries`: find the id of the first one past the limit.
                cutoff = (
                    await session.execute(
                        select(InstanceLog.id)
                        .where(InstanceLog.instanceId == instance_id)
                        .order_by(InstanceLog.id.desc())
                        .offset(self.max_entries)
                        .limit(1)
                    )
                ).scalar()
                if cutoff is not None:
                    await session.execute(
                        delete(InstanceLog).where(InstanceLog.instanceId == instance_id, InstanceLog.id <= cutoff)
                    )
        except Exception:
            log.warning("instance %s: log entry not stored: %s %s", instance_id, level, message, exc_info=True)

    async def read(self, instance_id: str, query: LogQuery) -> list[InstanceLog]:
        """The newest `limit` entries matching the query, newest first."""
        stmt = select(InstanceLog).where(InstanceLog.instanceId == instance_id, InstanceLog.level.in_(query.levels))
        if query.start is not None:
            stmt = stmt.where(InstanceLog.timestamp >= query.start)
        if query.end is not None:
            stmt = stmt.where(InstanceLog.timestamp < query.end)
        stmt = stmt.order_by(InstanceLog.timestamp.desc(), InstanceLog.id.desc()).limit(query.limit)
        async with self.db.session() as session:
            return list((await session.execute(stmt)).scalars().all())
