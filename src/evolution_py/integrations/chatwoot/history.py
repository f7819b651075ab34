"""History import straight into Chatwoot's PostgreSQL (`CHATWOOT_IMPORT_DATABASE_CONNECTION_URI`),
as upstream does for a history sync: contacts (`importContacts`) and the last
`daysLimitImportMessages` days of one-to-one messages (`importMessages`).

Every value is a bound parameter (upstream builds its SQL from contact names). Each message is
claimed in the mirror ledger first and skipped when Chatwoot already has its `WAID:` source id, so
an import, a second sync and the live mirror never write one message twice.
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from evolution_py.integrations.chatwoot.content import text_of
from evolution_py.integrations.chatwoot.ledger import Claim
from evolution_py.integrations.chatwoot.parts import Parts
from evolution_py.integrations.chatwoot.settings import ChatwootSettings

_PERSON = "@s.whatsapp.net"
_INCOMING, _OUTGOING = 0, 1


def _asyncpg_url(uri: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if uri.startswith(prefix):
            return "postgresql+asyncpg://" + uri[len(prefix) :]
    return uri


class HistoryImport:
    def __init__(self, parts: Parts, uri: str) -> None:
        self.parts = parts
        self._uri = uri
        self._engine: AsyncEngine | None = None

    def _db(self) -> AsyncEngine:
        if self._engine is None:
            self._engine = create_async_engine(
                _asyncpg_url(self._uri), pool_size=2, max_overflow=0, hide_parameters=True
            )
        return self._engine

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    async def contacts(self, instance_id: str, settings: ChatwootSettings, contacts: list[Any]) -> None:
        if not settings.importContacts:
            return
        rows = [
            {"name": str(c.get("pushName") or c["remoteJid"].split("@")[0])[:255],
             "phone": "+" + c["remoteJid"].split("@")[0], "identifier": c["remoteJid"]}
            for c in contacts
            if isinstance(c, dict) and isinstance(c.get("remoteJid"), str) and c["remoteJid"].endswith(_PERSON)
        ]  # fmt: skip
        if not rows:
            return
        account = int(settings.accountId or 0)
        async with self._db().begin() as db:
            for row in rows:
                await db.execute(
                    text(
                        "INSERT INTO contacts (name, phone_number, account_id, identifier, created_at, updated_at) "
                        "VALUES (:name, :phone, :account, :identifier, NOW(), NOW()) "
                        "ON CONFLICT (identifier, account_id) DO UPDATE SET name = EXCLUDED.name, updated_at = NOW()"
                    ),
                    {**row, "account": account},
                )

    async def messages(self, instance_id: str, settings: ChatwootSettings, records: list[Any]) -> None:
        if not settings.importMessages:
            return
        days = int(settings.daysLimitImportMessages or 60)
        since = time.time() - days * 86400
        chats: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for record in records:
            if not isinstance(record, dict) or not isinstance(record.get("key"), dict):
                continue
            key = record["key"]
            jid, timestamp = str(key.get("remoteJid") or ""), int(record.get("messageTimestamp") or 0)
            content = text_of(record.get("message") or {})
            if jid.endswith(_PERSON) and timestamp >= since and content and isinstance(key.get("id"), str):
                chats[jid].append({**record, "_content": content})
        if not chats:
            return
        inbox = await self.parts.inbox(instance_id, settings)
        account, inbox_id = int(settings.accountId or 0), int(inbox["id"])
        claimed: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for jid, items in chats.items():
            for record in sorted(items, key=lambda r: int(r.get("messageTimestamp") or 0)):
                key = record["key"]
                claim = await self.parts.ledger.claim(instance_id, key["id"], jid, bool(key.get("fromMe")))
                if claim in (Claim.NEW, Claim.UNCERTAIN):  # uncertain: Chatwoot's source ids are checked below
                    claimed[jid].append(record)
        done: list[tuple[str, int | None, int]] = []
        try:
            async with self._db().begin() as db:
                user = await self._user(db, settings.token or "")
                for jid, fresh in claimed.items():
                    done.extend(await self._chat(db, account, inbox_id, user, jid, fresh))
        except BaseException:
            for fresh in claimed.values():
                for record in fresh:
                    await self.parts.ledger.release(instance_id, record["key"]["id"])
            raise
        # only once Chatwoot's database committed them: the ledger says they are there
        for wa_id, message_id, conversation_id in done:
            await self.parts.ledger.sent(
                instance_id, wa_id, message_id=message_id, conversation_id=conversation_id, source_id=None
            )

    async def _chat(
        self,
        db: AsyncConnection,
        account: int,
        inbox_id: int,
        user: tuple[str, int] | None,
        jid: str,
        records: list[dict[str, Any]],
    ) -> list[tuple[str, int | None, int]]:
        """Insert one chat's messages Chatwoot does not have yet; (WhatsApp id, message id, conversation)."""
        done: list[tuple[str, int | None, int]] = []
        contact_id, conversation_id = await self._conversation(db, account, inbox_id, jid, records)
        sources = [f"WAID:{r['key']['id']}" for r in records]
        existing = {
            row[0]
            for row in await db.execute(
                text("SELECT source_id FROM messages WHERE source_id = ANY(:ids)"), {"ids": sources}
            )
        }
        for record, source in zip(records, sources, strict=True):
            from_me = bool(record["key"].get("fromMe"))
            if source not in existing:
                sender = user if from_me else ("Contact", contact_id)
                message_id = (
                    await db.execute(
                        text(
                            "INSERT INTO messages (content, processed_message_content, account_id, inbox_id, "
                            "conversation_id, message_type, private, content_type, sender_type, sender_id, source_id, "
                            "created_at, updated_at) VALUES (:content, :content, :account, :inbox, :conversation, "
                            ":type, false, 0, :sender_type, :sender_id, :source, to_timestamp(:ts), to_timestamp(:ts)) "
                            "RETURNING id"
                        ),
                        {
                            "content": record["_content"], "account": account, "inbox": inbox_id,
                            "conversation": conversation_id, "type": _OUTGOING if from_me else _INCOMING,
                            "sender_type": sender[0] if sender else None, "sender_id": sender[1] if sender else None,
                            "source": source, "ts": int(record.get("messageTimestamp") or 0),
                        },
                    )
                ).scalar_one()  # fmt: skip
            else:
                message_id = None
            done.append((record["key"]["id"], message_id, conversation_id))
        return done

    async def _conversation(
        self, db: AsyncConnection, account: int, inbox_id: int, jid: str, records: list[dict[str, Any]]
    ) -> tuple[int, int]:
        name = next((str(r["pushName"]) for r in records if r.get("pushName") and not r["key"].get("fromMe")), None)
        contact_id = (
            await db.execute(
                text(
                    "INSERT INTO contacts (name, phone_number, account_id, identifier, created_at, updated_at) "
                    "VALUES (:name, :phone, :account, :identifier, NOW(), NOW()) "
                    "ON CONFLICT (identifier, account_id) DO UPDATE SET updated_at = NOW() RETURNING id"
                ),
                {"name": (name or jid.split("@")[0])[:255], "phone": "+" + jid.split("@")[0], "account": account,
                 "identifier": jid},
            )
        ).scalar_one()  # fmt: skip
        contact_inbox_id = (
            await db.execute(
                text("SELECT id FROM contact_inboxes WHERE contact_id = :contact AND inbox_id = :inbox LIMIT 1"),
                {"contact": contact_id, "inbox": inbox_id},
            )
        ).scalar_one_or_none()
        if contact_inbox_id is None:
            contact_inbox_id = (
                await db.execute(
                    text(
                        "INSERT INTO contact_inboxes (contact_id, inbox_id, source_id, created_at, updated_at) "
                        "VALUES (:contact, :inbox, gen_random_uuid(), NOW(), NOW()) RETURNING id"
                    ),
                    {"contact": contact_id, "inbox": inbox_id},
                )
            ).scalar_one()
        conversation_id = (
            await db.execute(
                text(
                    "SELECT id FROM conversations WHERE contact_id = :contact AND inbox_id = :inbox "
                    "ORDER BY id DESC LIMIT 1"
                ),
                {"contact": contact_id, "inbox": inbox_id},
            )
        ).scalar_one_or_none()
        if conversation_id is None:
            conversation_id = (
                await db.execute(
                    text(
                        "INSERT INTO conversations (account_id, inbox_id, status, contact_id, contact_inbox_id, uuid, "
                        "last_activity_at, created_at, updated_at) VALUES (:account, :inbox, 0, :contact, "
                        ":contact_inbox, gen_random_uuid(), NOW(), NOW(), NOW()) RETURNING id"
                    ),
                    {"account": account, "inbox": inbox_id, "contact": contact_id, "contact_inbox": contact_inbox_id},
                )
            ).scalar_one()
        return int(contact_id), int(conversation_id)

    @staticmethod
    async def _user(db: AsyncConnection, token: str) -> tuple[str, int] | None:
        """Who the import's outgoing messages are from: the owner of the settings' access token."""
        row = (
            await db.execute(
                text("SELECT owner_type, owner_id FROM access_tokens WHERE token = :token"), {"token": token}
            )
        ).first()
        return (str(row[0]), int(row[1])) if row else None
