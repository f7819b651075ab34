"""History import into Chatwoot's own PostgreSQL database (its tables made here, as Chatwoot's
migrations make them, reduced to the columns the import writes)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import asyncpg

from evolution_py.events import names
from tests.integrations.chatwoot.support import chatwoot_fake, chatwoot_server, until
from tests.support.databases import database_env, postgres_database

CHATWOOT_TABLES = """
CREATE TABLE contacts (id serial PRIMARY KEY, name varchar DEFAULT '', phone_number varchar,
  account_id integer NOT NULL, identifier varchar, created_at timestamp NOT NULL, updated_at timestamp NOT NULL,
  CONSTRAINT uniq_identifier_per_account_contact UNIQUE (identifier, account_id));
CREATE TABLE contact_inboxes (id bigserial PRIMARY KEY, contact_id bigint REFERENCES contacts(id), inbox_id bigint,
  source_id text NOT NULL, created_at timestamp NOT NULL, updated_at timestamp NOT NULL);
CREATE TABLE conversations (id serial PRIMARY KEY, account_id integer NOT NULL, inbox_id integer NOT NULL,
  status integer NOT NULL DEFAULT 0, contact_id bigint, contact_inbox_id bigint REFERENCES contact_inboxes(id),
  uuid uuid NOT NULL, last_activity_at timestamp NOT NULL, created_at timestamp NOT NULL,
  updated_at timestamp NOT NULL);
CREATE TABLE messages (id serial PRIMARY KEY, content text, processed_message_content text,
  account_id integer NOT NULL, inbox_id integer NOT NULL, conversation_id integer NOT NULL REFERENCES conversations(id),
  message_type integer NOT NULL, private boolean NOT NULL DEFAULT false, content_type integer NOT NULL DEFAULT 0,
  sender_type varchar, sender_id bigint, source_id text, created_at timestamp NOT NULL, updated_at timestamp NOT NULL);
CREATE TABLE access_tokens (id bigserial PRIMARY KEY, owner_type varchar, owner_id bigint, token varchar UNIQUE);
"""

PEER = "5511933332222@s.whatsapp.net"


def record(msg_id: str, text: str, age_days: float, from_me: bool = False) -> dict[str, object]:
    return {
        "key": {"remoteJid": PEER, "fromMe": from_me, "id": msg_id},
        "pushName": None if from_me else "Clara",
        "message": {"conversation": text},
        "messageType": "conversation",
        "messageTimestamp": int(time.time() - age_days * 86400),
    }


async def test_history_import_writes_chatwoot_tables_once(tmp_path: Path) -> None:
    async with postgres_database() as chatwoot_db, database_env("postgresql", tmp_path) as db_env:
        cw_conn = await asyncpg.connect(chatwoot_db)
        try:
            await cw_conn.execute(CHATWOOT_TABLES)
            async with chatwoot_fake() as fake:
                await cw_conn.execute(
                    "INSERT INTO access_tokens (owner_type, owner_id, token) VALUES ('User', 7, $1)", fake.token
                )
                env = {"CHATWOOT_IMPORT_DATABASE_CONNECTION_URI": chatwoot_db}
                async with chatwoot_server(tmp_path, db_env, fake, env=env) as cw:
                    await cw.configure(importContacts=True, importMessages=True, daysLimitImportMessages=3)
                    inbox_id = next(i["id"] for i in fake.inboxes.values() if i["name"] == cw.name)
                    history = [
                        record("H-1", "old one", 10),
                        record("H-2", "hello", 2),
                        record("H-3", "hi Clara", 1, True),
                    ]
                    await cw.emit(names.MESSAGES_SET, history)
                    await cw.emit(
                        names.CONTACTS_UPSERT, [{"remoteJid": "5511900001111@s.whatsapp.net", "pushName": "Beto"}]
                    )

                    async def imported() -> list[asyncpg.Record]:
                        rows: list[asyncpg.Record] = await cw_conn.fetch("SELECT * FROM messages ORDER BY created_at")
                        return rows

                    for _ in range(200):
                        if len(await imported()) == 2 and await cw_conn.fetchval("SELECT count(*) FROM contacts") == 2:
                            break
                        await asyncio.sleep(0.05)
                    rows = await imported()
                    assert [(r["content"], r["message_type"], r["source_id"]) for r in rows] == [
                        ("hello", 0, "WAID:H-2"),
                        ("hi Clara", 1, "WAID:H-3"),
                    ]  # the 10-day-old message is beyond daysLimitImportMessages
                    assert (rows[0]["sender_type"], rows[1]["sender_type"], rows[1]["sender_id"]) == (
                        "Contact",
                        "User",
                        7,
                    )
                    assert {r["inbox_id"] for r in rows} == {inbox_id}
                    contact = await cw_conn.fetchrow("SELECT * FROM contacts WHERE identifier = $1", PEER)
                    assert contact["name"] == "Clara" and contact["phone_number"] == "+5511933332222"
                    beto = await cw_conn.fetchrow(
                        "SELECT * FROM contacts WHERE identifier = '5511900001111@s.whatsapp.net'"
                    )
                    assert beto["name"] == "Beto"

                    # the same sync again, and the live mirror of an imported id: nothing written twice
                    await cw.emit(names.MESSAGES_SET, history)
                    await cw.inbound(PEER, {"conversation": "hello"}, "H-2", pushName="Clara")
                    await cw.inbound(PEER, {"conversation": "new"}, "H-4", pushName="Clara")
                    await until(lambda: fake.with_source("WAID:H-4"))
                    await asyncio.sleep(0.5)
                    assert len(await imported()) == 2
                    assert not fake.with_source("WAID:H-2")
                    assert await cw_conn.fetchval("SELECT count(*) FROM conversations") == 1
        finally:
            await cw_conn.close()
