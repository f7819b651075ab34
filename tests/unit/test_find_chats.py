"""`find_chats` answers one entry per chat, newest first, in a constant number of queries."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from evolution_py.config import load_settings
from evolution_py.store.db import Database
from evolution_py.store.messages import MessageStore
from evolution_py.store.models import Chat, Contact, Instance, Message, new_id
from tests.support.databases import database_env


@pytest.fixture
async def store(tmp_path: Path, db_kind: str) -> AsyncIterator[MessageStore]:
    async with database_env(db_kind, tmp_path) as env:
        settings = load_settings(environ={"DATA_DIR": str(tmp_path), "AUTHENTICATION_API_KEY": "k" * 20, **env})
        db = Database(settings.database_url)
        await db.migrate()
        instance_id = str(uuid.uuid4())
        async with db.transaction() as session:
            session.add(
                Instance(id=instance_id, name=instance_id, connectionStatus="open", integration="EVOLUTION", token="t")
            )
        try:
            yield MessageStore(db, instance_id)
        finally:
            await db.dispose()


async def _add_chats(store: MessageStore, count: int, offset: int = 0) -> None:
    async with store.db.transaction() as session:
        for n in range(offset, offset + count):
            jid = f"{n}@s.whatsapp.net"
            for ts in (100 + n, 100 + n):  # two messages at the newest second: the one stored last wins
                session.add(
                    Message(
                        id=new_id(),
                        key={"id": f"{jid}-{ts}", "remoteJid": jid},
                        keyId=f"{jid}-{ts}",
                        remoteJid=jid,
                        fromMe=False,
                        messageType="conversation",
                        message={"conversation": f"hi {n}"},
                        source="unknown",
                        messageTimestamp=ts,
                        instanceId=store.instance_id,
                    )
                )
            if n % 2 == 0:
                session.add(Contact(remoteJid=jid, pushName=f"p{n}", instanceId=store.instance_id))
            if n % 3 == 0:
                session.add(Chat(remoteJid=jid, instanceId=store.instance_id, unreadMessages=n))


def _count_queries(store: MessageStore) -> list[str]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(store.db.engine.sync_engine, "before_cursor_execute", record)
    return seen


async def test_find_chats_answer_and_constant_queries(store: MessageStore) -> None:
    await _add_chats(store, 3)
    queries = _count_queries(store)
    chats = await store.find_chats({}, None, None)
    assert [c["remoteJid"] for c in chats] == ["2@s.whatsapp.net", "1@s.whatsapp.net", "0@s.whatsapp.net"]
    first = chats[0]
    assert first["pushName"] == "p2" and first["isSaved"] is True and first["unreadCount"] is None  # no Chat row
    assert first["lastMessage"]["messageTimestamp"] == 102
    assert chats[1]["isSaved"] is False and chats[1]["id"] is None and chats[1]["pushName"] is None
    assert chats[2]["unreadCount"] == 0 and chats[2]["updatedAt"] == "1970-01-01T00:01:40.000Z"
    few = len(queries)

    await _add_chats(store, 30, offset=3)
    queries.clear()
    chats = await store.find_chats({}, None, None)
    assert len(chats) == 33 and len(queries) == few  # not one more query per chat
    assert chats[-4]["unreadCount"] == 3  # chat 3 has a Chat row with 3 unread
    page = await store.find_chats({"messageTimestamp": {"gte": 110, "lte": 120}}, 5, 2)
    assert [c["remoteJid"] for c in page] == [f"{n}@s.whatsapp.net" for n in (18, 17, 16, 15, 14)]
    one = await store.find_chats({"remoteJid": "7@s.whatsapp.net"}, None, None)
    assert [c["lastMessage"]["key"]["remoteJid"] for c in one] == ["7@s.whatsapp.net"]


async def test_find_chats_item_shape_as_upstream(store: MessageStore) -> None:
    """Window fields from the Chat row, lastMessage with upstream's fields, "Você" for own
    messages and media trimmed as cleanMessageData; no lastMessage key without a message."""
    jid = "5511988887777@s.whatsapp.net"
    image = {"url": "https://mmg.whatsapp.net/x", "mimetype": "image/jpeg", "caption": "foto", "mediaKey": {"0": 1}}
    async with store.db.transaction() as session:
        session.add(Chat(remoteJid=jid, instanceId=store.instance_id, unreadMessages=1))
        session.add(
            Message(
                id="m1", key={"id": "A", "remoteJid": jid, "fromMe": True}, keyId="A", remoteJid=jid, fromMe=True,
                pushName="Loja", messageType="imageMessage",
                message={"imageMessage": image, "base64": "aGk=", "mediaUrl": "https://s3/x.jpg"},
                source="web", messageTimestamp=1717000000, instanceId=store.instance_id, status="SERVER_ACK",
            )
        )  # fmt: skip
    (chat,) = await store.find_chats({}, None, None)
    window_start = chat.pop("windowStart")
    window_expires = chat.pop("windowExpires")
    assert isinstance(window_start, str) and window_start.endswith("Z")
    start = datetime.fromisoformat(window_start.replace("Z", "+00:00"))
    assert datetime.fromisoformat(window_expires.replace("Z", "+00:00")) - start == timedelta(hours=24)
    assert chat == {
        "id": None,
        "remoteJid": jid,
        "pushName": None,
        "profilePicUrl": None,
        "updatedAt": "2024-05-29T16:26:40.000Z",
        "windowActive": True,
        "lastMessage": {
            "id": "m1",
            "key": {"id": "A", "remoteJid": jid, "fromMe": True},
            "pushName": "Você",
            "participant": None,
            "messageType": "imageMessage",
            "message": {"imageMessage": {"caption": "foto"}, "mediaUrl": "https://s3/x.jpg"},
            "contextInfo": None,
            "source": "web",
            "messageTimestamp": 1717000000,
            "instanceId": store.instance_id,
            "sessionId": None,
            "status": "SERVER_ACK",
        },
        "unreadCount": 1,
        "isSaved": False,
    }


async def test_find_contacts_saved_and_type_as_upstream(store: MessageStore) -> None:
    async with store.db.transaction() as session:
        session.add(Contact(remoteJid="1@s.whatsapp.net", pushName="Ana", instanceId=store.instance_id))
        session.add(Contact(remoteJid="2@s.whatsapp.net", instanceId=store.instance_id))
        session.add(Contact(remoteJid="3@g.us", instanceId=store.instance_id))
    found = {c["remoteJid"]: (c["isGroup"], c["isSaved"], c["type"]) for c in await store.find_contacts({}, 1, None)}
    assert found == {
        "1@s.whatsapp.net": (False, True, "contact"),
        "2@s.whatsapp.net": (False, False, "group_member"),
        "3@g.us": (True, False, "group"),
    }


async def test_find_messages_and_contacts_constant_queries(store: MessageStore) -> None:
    """A page of messages (with their updates) and the contact list cost the same number of queries
    for 3 chats as for 33: no query per message or per contact."""
    await _add_chats(store, 3)
    queries = _count_queries(store)
    page = await store.find_messages({}, 1, 50)
    contacts = await store.find_contacts({}, 1, None)
    assert page["messages"]["total"] == 6 and len(contacts) == 2
    few = len(queries)
    await _add_chats(store, 30, offset=3)
    queries.clear()
    page = await store.find_messages({}, 1, 50)
    contacts = await store.find_contacts({}, 1, None)
    assert page["messages"]["total"] == 66 and len(page["messages"]["records"]) == 50
    assert len(contacts) == 17 and len(queries) == few


async def test_find_messages_page_is_read_in_index_order(store: MessageStore, db_kind: str) -> None:
    """The newest-first page of an instance's messages walks Message_instanceId_ts_idx (migration
    0010) instead of sorting every message of the instance (SQLite's plan says which)."""
    if db_kind != "sqlite":
        pytest.skip("reads SQLite's EXPLAIN QUERY PLAN")
    await _add_chats(store, 20)
    queries = _count_queries(store)
    captured: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        if "ORDER BY" in statement and "LIMIT" in statement:
            captured.append((statement, parameters))

    event.listen(store.db.engine.sync_engine, "before_cursor_execute", keep)
    await store.find_messages({}, 2, 10)
    assert queries and captured
    statement, parameters = captured[0]
    async with store.db.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        cursor = await raw.driver_connection.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)  # type: ignore[union-attr]
        plan = " / ".join(str(row[-1]) for row in await cursor.fetchall())
    assert "Message_instanceId_ts_idx" in plan and "TEMP B-TREE" not in plan, plan
