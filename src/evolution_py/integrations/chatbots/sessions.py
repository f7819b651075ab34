"""IntegrationSession and ChatbotTurn reads and writes the engine needs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from evolution_py.integrations.chatbots.models import ChatbotTurn, IntegrationSession
from evolution_py.integrations.chatbots.rows import as_dict
from evolution_py.store.db import Database
from evolution_py.store.models import utcnow
from evolution_py.store.safe_text import safe_json, safe_optional


class SessionStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def current(self, instance_id: str, remote_jid: str) -> dict[str, Any] | None:
        """upstream's getSession: the JID's newest session; None when it is another integration's
        (no botId) and closed, or ours to skip (`{"blocked": True}`) when that one is open."""
        async with self.db.session() as session:
            row = await session.scalar(
                select(IntegrationSession)
                .where(IntegrationSession.instanceId == instance_id, IntegrationSession.remoteJid == remote_jid)
                .order_by(IntegrationSession.createdAt.desc(), IntegrationSession.id.desc())
                .limit(1)
            )
        if row is None:
            return None
        found = as_dict(row)
        if not row.botId:
            return {"blocked": True} if row.status != "closed" else None
        return found

    async def open(self, instance_id: str, remote_jid: str, push_name: str, bot_id: str, kind: str) -> dict[str, Any]:
        async with self.db.transaction() as session:
            row = IntegrationSession(
                remoteJid=remote_jid,
                pushName=safe_optional(push_name or None, 255),
                sessionId=remote_jid,
                status="opened",
                awaitUser=False,
                botId=bot_id,
                instanceId=instance_id,
                type=kind,
            )
            session.add(row)
        return as_dict(row)

    async def set(self, session_id: str, **values: Any) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                update(IntegrationSession)
                .where(IntegrationSession.id == session_id)
                .values(**values, updatedAt=utcnow())
            )

    async def end(self, instance_id: str, remote_jid: str, bot_id: str, session_id: str, keep_open: bool) -> str:
        """keepOpen: the session is closed (the bot stays silent for this JID); else it is deleted.
        Answers upstream's status word for the change (`closed` / `delete`)."""
        if keep_open:
            await self.set(session_id, status="closed")
            return "closed"
        async with self.db.transaction() as session:
            await session.execute(
                delete(IntegrationSession).where(
                    IntegrationSession.instanceId == instance_id,
                    IntegrationSession.botId == bot_id,
                    IntegrationSession.remoteJid == remote_jid,
                )
            )
        return "delete"

    # --- turns --------------------------------------------------------------------------------

    async def take(
        self, instance_id: str, kind: str, message_id: str, remote_jid: str, status: str, message: dict[str, Any]
    ) -> str | None:
        """Records that `kind` takes this message; None when it already did (a redelivery)."""
        try:
            async with self.db.transaction() as session:
                row = ChatbotTurn(
                    instanceId=instance_id,
                    kind=kind,
                    messageId=message_id,
                    remoteJid=remote_jid,
                    status=status,
                    message=safe_json(message),
                    sent=0,
                )
                session.add(row)
            return row.id
        except IntegrityError:
            return None

    async def turn(self, instance_id: str, kind: str, message_id: str) -> dict[str, Any] | None:
        async with self.db.session() as session:
            row = await session.scalar(
                select(ChatbotTurn).where(
                    ChatbotTurn.instanceId == instance_id, ChatbotTurn.kind == kind, ChatbotTurn.messageId == message_id
                )
            )
        return None if row is None else as_dict(row)

    async def turns(
        self, *, status: str, instance_id: str | None = None, kind: str | None = None, remote_jid: str | None = None
    ) -> list[dict[str, Any]]:
        query = select(ChatbotTurn).where(ChatbotTurn.status == status)
        if instance_id is not None:
            query = query.where(ChatbotTurn.instanceId == instance_id)
        if kind is not None:
            query = query.where(ChatbotTurn.kind == kind)
        if remote_jid is not None:
            query = query.where(ChatbotTurn.remoteJid == remote_jid)
        async with self.db.session() as session:
            rows = (await session.scalars(query.order_by(ChatbotTurn.createdAt, ChatbotTurn.id))).all()
        return [as_dict(r) for r in rows]

    async def set_turns(self, turn_ids: list[str], **values: Any) -> None:
        if not turn_ids:
            return
        async with self.db.transaction() as session:
            await session.execute(
                update(ChatbotTurn).where(ChatbotTurn.id.in_(turn_ids)).values(**values, updatedAt=utcnow())
            )

    async def prune_turns(self, older_than: timedelta) -> int:
        """Forgets finished turns once no redelivery can come for them any more."""
        async with self.db.transaction() as session:
            result = await session.execute(
                delete(ChatbotTurn).where(
                    ChatbotTurn.status.in_(("done", "failed")), ChatbotTurn.createdAt < utcnow() - older_than
                )
            )
        return int(getattr(result, "rowcount", 0) or 0)
