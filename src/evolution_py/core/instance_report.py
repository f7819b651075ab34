"""The fetchInstances read model: stored instances with their related rows and counts, and the live
connection state of those this node runs. Reads only; the instance service does the writes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from evolution_py.config import Settings
from evolution_py.core.identity import unusable_key
from evolution_py.core.registry import InstanceRegistry
from evolution_py.errors import NotFound
from evolution_py.store.db import Database
from evolution_py.store.messages import row_dict
from evolution_py.store.models import Chat, Chatwoot, Contact, Instance, Message, Proxy, Setting

_COUNTED: tuple[tuple[str, Any], ...] = (("Message", Message), ("Contact", Contact), ("Chat", Chat))


@dataclass(frozen=True)
class ReportedInstance:
    fields: dict[str, Any]  # the Instance row's columns, `connectionStatus` live where loaded here
    related: dict[str, dict[str, Any] | None]  # related table name → its row for this instance, in report order
    counts: dict[str, int]  # Message / Contact / Chat rows of this instance


@dataclass(frozen=True)
class InstanceFilter:
    """`token` is None for the global key, else the caller's instance token."""

    token: str | None = None
    name: str | None = None
    instance_id: str | None = None
    number: str | None = None


class InstanceReport:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        registry: InstanceRegistry,
        sink_tables: Sequence[tuple[str, Any]] = (),
    ) -> None:
        """`sink_tables`: the sinks' (fetchInstances key, table) pairs, handed in by the app from
        `sinks/registry.py` (the core does not import the sinks, whose routes import the services)."""
        self._settings = settings
        self._db = db
        self._registry = registry
        self._related = (("Chatwoot", Chatwoot), ("Proxy", Proxy), *sink_tables, ("Setting", Setting))

    async def fetch(self, wanted: InstanceFilter) -> list[ReportedInstance]:
        token, name, instance_id, number = wanted.token, wanted.name, wanted.instance_id, wanted.number
        if any(value and unusable_key(value) for value in (token, name, instance_id, number)):
            # No stored instance matches a control character (and PostgreSQL refuses a NUL in a query):
            # the answer for "no such instance", without asking the database.
            if token is None and (name or instance_id or number):
                raise NotFound(f'Instance "{name or instance_id or number}" not found')
            return []
        async with self._db.session() as session:
            query = select(Instance).where(Instance.clientName == self._settings.client_name)
            if token is not None:
                query = query.where(Instance.token == token)
                if name:
                    query = query.where(Instance.name == name)
                if instance_id:
                    query = query.where(Instance.id == instance_id)
            elif name:
                if name not in self._registry:
                    raise NotFound(f'Instance "{name}" not found')
                query = query.where(Instance.name == name)
            elif instance_id or number:
                query = (
                    query.where(Instance.id == instance_id) if instance_id else query.where(Instance.number == number)
                )
            rows = (await session.execute(query.order_by(Instance.createdAt, Instance.name))).scalars().all()
            if not rows and (instance_id or number) and token is None:
                raise NotFound(f'Instance "{instance_id or number}" not found')
            ids = [row.id for row in rows]
            tables = await _related_rows(session, ids, self._related)
            counts = await _counts(session, ids)
        out = []
        for row in rows:
            fields = row_dict(row)
            runtime = self._registry.get(row.name)
            if runtime is not None:
                # The live state is the truth; the DB copy may lag by one write.
                fields["connectionStatus"] = runtime.channel.state
            out.append(
                ReportedInstance(
                    fields=fields,
                    related={key: by_instance.get(row.id) for key, by_instance in tables.items()},
                    counts={key: by_instance.get(row.id, 0) for key, by_instance in counts.items()},
                )
            )
        return out


async def _related_rows(
    session: AsyncSession, ids: list[str], related: Sequence[tuple[str, Any]]
) -> dict[str, dict[str, dict[str, Any]]]:
    tables: dict[str, dict[str, dict[str, Any]]] = {}
    for key, model in related:
        rows = (await session.execute(select(model).where(model.instanceId.in_(ids)))).scalars().all() if ids else []
        tables[key] = {row.instanceId: row_dict(row) for row in rows}
    return tables


async def _counts(session: AsyncSession, ids: list[str]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for key, model in _COUNTED:
        if not ids:
            counts[key] = {}
            continue
        result = await session.execute(
            select(model.instanceId, func.count()).where(model.instanceId.in_(ids)).group_by(model.instanceId)
        )
        counts[key] = {instance_id: int(count) for instance_id, count in result.all()}
    return counts
