"""The one-row-per-instance tables (Setting, Proxy, and the sinks' rows): read and upsert by instance."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from evolution_py.store.models import Base, utcnow

# Setting, Proxy and the sink tables: each has an `instanceId` (unique) and an `updatedAt` column,
# declared per table (their nullability differs), so they are reached by name here.
RowT = TypeVar("RowT", bound=Base)


async def find_instance_row(session: AsyncSession, table: type[RowT], instance_id: str) -> RowT | None:
    query = select(table).where(getattr(table, "instanceId") == instance_id)  # noqa: B009 - see RowT
    found: RowT | None = (await session.execute(query)).scalars().first()
    return found


async def upsert_instance_row(
    session: AsyncSession, table: type[RowT], instance_id: str, values: dict[str, Any]
) -> RowT:
    """Insert the instance's row of `table`, or update the given columns of it (and `updatedAt`),
    in the caller's transaction; flushed, so database defaults are set on the returned row."""
    row = await find_instance_row(session, table, instance_id)
    if row is None:
        row = table(instanceId=instance_id, **values)
        session.add(row)
    else:
        for column, value in values.items():
            setattr(row, column, value)
        setattr(row, "updatedAt", utcnow())  # noqa: B010 - see RowT
    await session.flush()
    return row
