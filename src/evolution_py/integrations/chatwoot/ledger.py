"""The mirror ledger: which WhatsApp message ids Chatwoot already has (see models.py).

`claim` is the unique insert that decides who mirrors a message: the first claimer sends, anyone
else finds the row. A claim whose send failed or died midway is "uncertain": before sending again
the integration looks in Chatwoot for the message's `source_id` (WAID:<id>), so a message that
reached Chatwoot before the failure is not sent a second time.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from evolution_py.integrations.chatwoot.models import ChatwootMirror
from evolution_py.store.db import Database
from evolution_py.store.models import utcnow

LEASE = timedelta(seconds=60)  # a claim younger than this belongs to a send still running
_RELEASED = datetime(1970, 1, 1)


class Claim(enum.Enum):
    NEW = "new"  # ours to send
    UNCERTAIN = "uncertain"  # an earlier send failed or died: check Chatwoot first
    BUSY = "busy"  # another delivery is sending it right now
    DONE = "done"  # Chatwoot has it (or it came from Chatwoot): nothing to do


@dataclass(frozen=True)
class Mirrored:
    wa_id: str
    remote_jid: str
    from_me: bool
    state: str
    chatwoot_message_id: int | None
    conversation_id: int | None
    source_id: str | None
    read: bool


def _mirrored(row: ChatwootMirror) -> Mirrored:
    return Mirrored(
        wa_id=row.waMessageId,
        remote_jid=row.remoteJid,
        from_me=row.fromMe,
        state=row.state,
        chatwoot_message_id=row.chatwootMessageId,
        conversation_id=row.chatwootConversationId,
        source_id=row.chatwootSourceId,
        read=row.read,
    )


class Ledger:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def claim(self, instance_id: str, wa_id: str, remote_jid: str, from_me: bool) -> Claim:
        try:
            async with self._db.transaction() as session:
                session.add(
                    ChatwootMirror(
                        instanceId=instance_id,
                        waMessageId=wa_id[:128],
                        remoteJid=remote_jid[:128],
                        fromMe=from_me,
                        state="claimed",
                        claimedAt=utcnow(),
                    )
                )
            return Claim.NEW
        except IntegrityError:
            pass
        async with self._db.transaction() as session:
            row = await self._row(session, instance_id, wa_id)
            if row is None:  # removed in between (an instance delete): nothing to mirror into
                return Claim.DONE
            if row.state != "claimed":
                return Claim.DONE
            if row.claimedAt > utcnow() - LEASE:
                return Claim.BUSY
            # Take the stale claim over, atomically: only one taker wins the update.
            taken = await session.execute(
                update(ChatwootMirror)
                .where(ChatwootMirror.id == row.id, ChatwootMirror.claimedAt == row.claimedAt)
                .values(claimedAt=utcnow())
            )
            return Claim.UNCERTAIN if taken.rowcount == 1 else Claim.BUSY  # type: ignore[attr-defined]

    async def release(self, instance_id: str, wa_id: str) -> None:
        """A send failed: the next attempt may take the claim over at once (after checking Chatwoot)."""
        async with self._db.transaction() as session:
            await session.execute(
                update(ChatwootMirror)
                .where(
                    ChatwootMirror.instanceId == instance_id,
                    ChatwootMirror.waMessageId == wa_id[:128],
                    ChatwootMirror.state == "claimed",
                )
                .values(claimedAt=_RELEASED)
            )

    async def sent(
        self, instance_id: str, wa_id: str, *, message_id: int | None, conversation_id: int, source_id: str | None
    ) -> None:
        async with self._db.transaction() as session:
            await session.execute(
                update(ChatwootMirror)
                .where(ChatwootMirror.instanceId == instance_id, ChatwootMirror.waMessageId == wa_id[:128])
                .values(
                    state="sent",
                    chatwootMessageId=message_id,
                    chatwootConversationId=conversation_id,
                    chatwootSourceId=source_id,
                )
            )

    async def agent(
        self,
        instance_id: str,
        wa_id: str,
        remote_jid: str,
        *,
        message_id: int | None,
        conversation_id: int | None,
        state: str = "agent",
    ) -> bool:
        """Record a message that came from Chatwoot; False when that id is already recorded."""
        try:
            async with self._db.transaction() as session:
                session.add(
                    ChatwootMirror(
                        instanceId=instance_id,
                        waMessageId=wa_id[:128],
                        remoteJid=remote_jid[:128],
                        fromMe=True,
                        state=state,
                        chatwootMessageId=message_id,
                        chatwootConversationId=conversation_id,
                        claimedAt=utcnow(),
                    )
                )
            return True
        except IntegrityError:
            return False

    async def forget(self, instance_id: str, wa_id: str) -> None:
        async with self._db.transaction() as session:
            await session.execute(
                delete(ChatwootMirror).where(
                    ChatwootMirror.instanceId == instance_id, ChatwootMirror.waMessageId == wa_id[:128]
                )
            )

    async def by_wa_id(self, instance_id: str, wa_id: str) -> Mirrored | None:
        async with self._db.session() as session:
            row = await self._row(session, instance_id, wa_id)
            return None if row is None else _mirrored(row)

    async def by_chatwoot_id(self, instance_id: str, message_id: int) -> Mirrored | None:
        async with self._db.session() as session:
            row = (
                await session.execute(
                    select(ChatwootMirror)
                    .where(
                        ChatwootMirror.instanceId == instance_id,
                        ChatwootMirror.chatwootMessageId == message_id,
                        ChatwootMirror.state.in_(("sent", "agent")),
                    )
                    .limit(1)
                )
            ).scalar_one_or_none()
            return None if row is None else _mirrored(row)

    async def mark(self, instance_id: str, wa_id: str, *, state: str | None = None, read: bool | None = None) -> None:
        values: dict[str, object] = {}
        if state is not None:
            values["state"] = state
        if read is not None:
            values["read"] = read
        async with self._db.transaction() as session:
            await session.execute(
                update(ChatwootMirror)
                .where(ChatwootMirror.instanceId == instance_id, ChatwootMirror.waMessageId == wa_id[:128])
                .values(**values)
            )

    async def last_unread_inbound(self, instance_id: str, conversation_id: int) -> Mirrored | None:
        async with self._db.session() as session:
            row = (
                await session.execute(
                    select(ChatwootMirror)
                    .where(
                        ChatwootMirror.instanceId == instance_id,
                        ChatwootMirror.chatwootConversationId == conversation_id,
                        ChatwootMirror.fromMe.is_(False),
                        ChatwootMirror.state == "sent",
                        ChatwootMirror.waMessageId.not_like("%#edit#%"),  # an edit is no message of its own
                        ChatwootMirror.waMessageId.not_like("bot:%"),
                    )
                    .order_by(ChatwootMirror.claimedAt.desc())
                    .limit(1)
                )
            ).scalar_one_or_none()
            return None if row is None or row.read else _mirrored(row)

    @staticmethod
    async def _row(session: AsyncSession, instance_id: str, wa_id: str) -> ChatwootMirror | None:
        return (
            await session.execute(
                select(ChatwootMirror).where(
                    ChatwootMirror.instanceId == instance_id, ChatwootMirror.waMessageId == wa_id[:128]
                )
            )
        ).scalar_one_or_none()
