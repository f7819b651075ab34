"""What the routes do, once for every kind: upstream's base chatbot controller (create, find, fetch,
update, delete, settings, fetchSettings, changeStatus, fetchSessions, ignoreJid), its rules and its
messages. Upstream throws plain `Error`s for rule violations: they answer 500 with a string message."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select, update

from evolution_py.config import Settings
from evolution_py.errors import ApiError, BadRequest
from evolution_py.integrations.chatbots.dto import BEHAVIOUR_NAMES
from evolution_py.integrations.chatbots.kind import BotKind, DuplicateRule
from evolution_py.integrations.chatbots.models import IntegrationSession, OpenaiCreds
from evolution_py.integrations.chatbots.presence import PRESENCE
from evolution_py.integrations.chatbots.rows import DEFAULT_SETTINGS, as_dict
from evolution_py.store.db import Database
from evolution_py.store.models import utcnow


def plain_error(message: str) -> ApiError:
    """Upstream's `throw new Error(message)`: 500, the message as a string."""
    return ApiError(message, status=500, as_list=False)


class ChatbotAdmin:
    def __init__(self, db: Database, settings: Settings, kind: BotKind) -> None:
        self.db = db
        self.settings = settings
        self.kind = kind
        self.bots = kind.bot_table
        self.setting_rows = kind.setting_table

    def check_enabled(self) -> None:
        if not self.kind.enabled(self.settings):
            raise BadRequest(f"{self.kind.name} is disabled")

    # --- bots ---------------------------------------------------------------------------------

    async def create(self, instance_id: str, data: dict[str, Any]) -> dict[str, Any]:
        self.check_enabled()
        kind = self.kind
        if kind.check is not None:
            await _maybe(kind.check(data))
        duplicate = _fields(kind.duplicate_on_create, data)
        if duplicate is not None and await self._first(instance_id, {f: data.get(f) for f in duplicate}):
            raise plain_error(kind.duplicate_message)
        creds = data.get("openaiCredsId")
        if creds is not None and not await self.own_creds(instance_id, creds):
            raise plain_error(f"Error creating {kind.name}")  # another instance's credentials
        stored = await self.settings_row(instance_id)
        if creds is not None and stored is not None and not stored.get("openaiCredsId"):
            await self.save_settings(instance_id, {"openaiCredsId": creds})
        if any(not data.get(name) for name in BEHAVIOUR_NAMES):
            for name in BEHAVIOUR_NAMES:
                if data.get(name) is None:
                    data[name] = stored.get(name) if stored else None
            if data.get("splitMessages") is None:
                data["splitMessages"] = False
            if data.get("timePerChar") is None:
                data["timePerChar"] = 0
            if stored is None:
                first = {name: data.get(name) for name in BEHAVIOUR_NAMES}
                if creds is not None:
                    first["openaiCredsId"] = creds
                await self.save_settings(instance_id, first)
        trigger = data.get("triggerType")
        if trigger == "all" and await self._first(instance_id, {"enabled": True, "triggerType": "all"}):
            raise plain_error(_all_taken(kind))
        await self._check_trigger(instance_id, data, exclude=None)
        values = {k: v for k, v in data.items() if k in self.bots.__table__.columns}
        try:
            async with self.db.transaction() as session:
                row = self.bots(instanceId=instance_id, **values)
                session.add(row)
        except Exception as exc:
            raise plain_error(f"Error creating {kind.name}") from exc
        PRESENCE.forget(instance_id)
        return as_dict(row)

    async def find(self, instance_id: str) -> list[dict[str, Any]]:
        self.check_enabled()
        async with self.db.session() as session:
            rows = (await session.scalars(select(self.bots).where(self.bots.instanceId == instance_id))).all()
        return [as_dict(r) for r in rows]

    async def fetch(self, bot_id: str) -> dict[str, Any] | None:
        self.check_enabled()
        async with self.db.session() as session:
            row = await session.get(self.bots, bot_id)
        return None if row is None else as_dict(row)

    async def fetch_own(self, instance_id: str, bot_id: str) -> dict[str, Any] | None:
        """Ours: fetch answers only the asking instance's bot (upstream shows any instance's)."""
        row = await self.fetch(bot_id)
        return row if row is not None and row["instanceId"] == instance_id else None

    async def update(self, instance_id: str, bot_id: str, data: dict[str, Any]) -> dict[str, Any]:
        self.check_enabled()
        kind = self.kind
        try:
            async with self.db.session() as session:
                row = await session.get(self.bots, bot_id)
            if row is None or row.instanceId != instance_id:
                raise plain_error(f"{kind.name} not found")
            if data.get("triggerType") == "all" and await self._first(
                instance_id, {"enabled": True, "triggerType": "all"}, exclude=bot_id
            ):
                raise plain_error(_all_taken(kind))
            if kind.check is not None:
                await _maybe(kind.check(data))
            if data.get("openaiCredsId") is not None and not await self.own_creds(instance_id, data["openaiCredsId"]):
                raise plain_error(f"{kind.name} not found")
            duplicate = _fields(kind.duplicate_on_update, data)
            if duplicate is not None and await self._first(
                instance_id, {f: data.get(f) for f in duplicate}, exclude=bot_id
            ):
                raise plain_error(kind.duplicate_message)
            await self._check_trigger(instance_id, data, exclude=bot_id)
            values = {k: v for k, v in data.items() if k in self.bots.__table__.columns and k != "id"}
            async with self.db.transaction() as session:
                await session.execute(
                    update(self.bots).where(self.bots.id == bot_id).values(**values, updatedAt=utcnow())
                )
            async with self.db.session() as session:
                fresh = await session.get(self.bots, bot_id)
        except Exception as exc:  # upstream wraps every failure of an update in one message
            raise plain_error(f"Error updating {kind.name}") from exc
        PRESENCE.forget(instance_id)
        return as_dict(fresh)

    async def delete(self, instance_id: str, bot_id: str) -> dict[str, Any]:
        self.check_enabled()
        async with self.db.session() as session:
            row = await session.get(self.bots, bot_id)
        if row is None or row.instanceId != instance_id:
            raise plain_error(f"Error deleting {self.kind.name} bot")
        async with self.db.transaction() as session:
            await session.execute(delete(IntegrationSession).where(IntegrationSession.botId == bot_id))
            fallback = getattr(self.setting_rows, self.kind.fallback_column)
            await session.execute(
                update(self.setting_rows).where(fallback == bot_id).values({self.kind.fallback_column: None})
            )
            await session.execute(delete(self.bots).where(self.bots.id == bot_id))
        PRESENCE.forget(instance_id)
        return {"bot": {"id": bot_id}}

    # --- settings -----------------------------------------------------------------------------

    async def settings_row(self, instance_id: str) -> dict[str, Any] | None:
        async with self.db.session() as session:
            row = await session.scalar(select(self.setting_rows).where(self.setting_rows.instanceId == instance_id))
        return None if row is None else as_dict(row)

    async def save_settings(self, instance_id: str, data: dict[str, Any]) -> dict[str, Any]:
        self.check_enabled()
        fallback_column = self.kind.fallback_column
        values = {k: v for k, v in data.items() if k in self.setting_rows.__table__.columns}
        if "fallbackId" in data:
            values[fallback_column] = data["fallbackId"] or None
        try:
            if values.get("openaiCredsId") is not None and not await self.own_creds(
                instance_id, values["openaiCredsId"]
            ):
                raise plain_error("Error setting default settings")
            if values.get(fallback_column) is not None:
                own = await self.fetch(values[fallback_column])
                if own is None or own["instanceId"] != instance_id:
                    raise plain_error("Error setting default settings")
            async with self.db.transaction() as session:
                row = await session.scalar(select(self.setting_rows).where(self.setting_rows.instanceId == instance_id))
                if row is None:
                    row = self.setting_rows(instanceId=instance_id, **values)
                    session.add(row)
                else:
                    for key, value in values.items():
                        setattr(row, key, value)
                    row.updatedAt = utcnow()
        except Exception as exc:
            raise plain_error("Error setting default settings") from exc
        out = as_dict(row)
        out["fallbackId"] = out.get(fallback_column)
        return out

    async def fetch_settings(self, instance_id: str) -> dict[str, Any]:
        self.check_enabled()
        stored = await self.settings_row(instance_id)
        if stored is None:
            return dict(DEFAULT_SETTINGS)
        fallback_id = stored.get(self.kind.fallback_column)
        stored["fallbackId"] = fallback_id
        stored["fallback"] = await self.fetch(fallback_id) if fallback_id else None
        return stored

    async def ignore_jid(self, instance_id: str, remote_jid: str, action: str) -> dict[str, Any]:
        self.check_enabled()
        stored = await self.settings_row(instance_id)
        if stored is None:
            raise plain_error("Error setting default settings")
        jids = list(stored.get("ignoreJids") or [])
        if action == "add":
            if remote_jid in jids:
                return {"ignoreJids": jids}
            jids.append(remote_jid)
        else:
            jids = [j for j in jids if j != remote_jid]
        async with self.db.transaction() as session:
            await session.execute(
                update(self.setting_rows)
                .where(self.setting_rows.instanceId == instance_id)
                .values(ignoreJids=jids, updatedAt=utcnow())
            )
        return {"ignoreJids": jids}

    # --- sessions -----------------------------------------------------------------------------

    async def fetch_sessions(self, instance_id: str, bot_id: str) -> list[dict[str, Any]]:
        self.check_enabled()
        bot = await self.fetch(bot_id)
        if bot is not None and bot["instanceId"] != instance_id:
            raise plain_error("Error fetching sessions")
        query = select(IntegrationSession).where(
            IntegrationSession.instanceId == instance_id, IntegrationSession.type == self.kind.session_type
        )
        if bot is not None:
            query = query.where(IntegrationSession.botId == bot_id)
        else:
            query = query.where(IntegrationSession.botId.is_not(None))
        async with self.db.session() as session:
            rows = (await session.scalars(query)).all()
        return [as_dict(r) for r in rows]

    async def sessions_of(self, instance_id: str, remote_jid: str) -> list[dict[str, Any]]:
        async with self.db.session() as session:
            rows = (
                await session.scalars(
                    select(IntegrationSession)
                    .where(IntegrationSession.instanceId == instance_id, IntegrationSession.remoteJid == remote_jid)
                    .order_by(IntegrationSession.createdAt.desc())
                )
            ).all()
        return [as_dict(r) for r in rows]

    async def change_status(self, instance_id: str, remote_jid: str, status: str) -> int:
        """Sets (or, for `delete` and a `closed` without keepOpen, deletes) the JID's bot sessions;
        the number of sessions changed."""
        self.check_enabled()
        stored = await self.settings_row(instance_id)
        where = (
            IntegrationSession.instanceId == instance_id,
            IntegrationSession.remoteJid == remote_jid,
            IntegrationSession.botId.is_not(None),
        )
        async with self.db.transaction() as session:
            if status == "delete" or (status == "closed" and not (stored or {}).get("keepOpen")):
                result = await session.execute(delete(IntegrationSession).where(*where))
            else:
                result = await session.execute(
                    update(IntegrationSession).where(*where).values(status=status, updatedAt=utcnow())
                )
        return int(getattr(result, "rowcount", 0) or 0)

    async def own_creds(self, instance_id: str, creds_id: str) -> bool:
        """OpenAI credentials are usable only by the instance that stored them."""
        async with self.db.session() as session:
            row = await session.get(OpenaiCreds, creds_id)
        return row is not None and row.instanceId == instance_id

    # --- helpers ------------------------------------------------------------------------------

    async def _first(self, instance_id: str, where: dict[str, Any], exclude: str | None = None) -> bool:
        query = select(self.bots.id).where(self.bots.instanceId == instance_id)
        for column, value in where.items():
            attr = getattr(self.bots, column)
            query = query.where(attr.is_(None) if value is None else attr == value)
        if exclude is not None:
            query = query.where(self.bots.id != exclude)
        async with self.db.session() as session:
            return (await session.scalar(query.limit(1))) is not None

    async def _check_trigger(self, instance_id: str, data: dict[str, Any], exclude: str | None) -> None:
        trigger = data.get("triggerType")
        if trigger == "keyword":
            if not data.get("triggerOperator") or not data.get("triggerValue"):
                raise plain_error("Trigger operator and value are required")
            where = {"triggerOperator": data["triggerOperator"], "triggerValue": data["triggerValue"]}
            if await self._first(instance_id, where, exclude):
                raise plain_error("Trigger already exists")
        elif trigger == "advanced":
            if not data.get("triggerValue"):
                raise plain_error("Trigger value is required")
            if await self._first(instance_id, {"triggerValue": data["triggerValue"]}, exclude):
                raise plain_error("Trigger already exists")


def _fields(rule: DuplicateRule, data: dict[str, Any]) -> tuple[str, ...] | None:
    return rule(data) if callable(rule) else rule


async def _maybe(result: Any) -> None:
    if result is not None:
        await result


def ids(rows: Sequence[dict[str, Any]]) -> list[str]:
    return [r["id"] for r in rows]


def _all_taken(kind: BotKind) -> str:
    return f'You already have a {kind.name} with an "All" trigger, you cannot have more bots while it is active'
