"""The baselines: the same jobs as `POST /message/sendText/{instance}` and `POST /webhook/evolution`
done by hand with the raw driver (aiosqlite on SQLite, asyncpg on PostgreSQL), served by Litestar
like our server.

sendText: an apikey check; the message row and one outbox row written in one transaction; the
record answered. Inbound: an apikey check; the message row, the contact and chat upserts and one
outbox row in one transaction; `{"status": "success"}` answered.
`RAW_DB` is a file path (SQLite) or a postgresql:// DSN; `RAW_KEY` the accepted apikey.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from typing import Any

from litestar import Litestar, Request, post
from litestar.exceptions import NotAuthorizedException

DB = os.environ["RAW_DB"]
KEY = os.environ["RAW_KEY"]
PG = DB.startswith("postgres")
MESSAGE_COLUMNS = (
    '"id","key","keyId","remoteJid","fromMe","messageType","message","source","messageTimestamp","instanceId"'
)
OUTBOX_COLUMNS = '"id","event","instanceName","sink","target","payload","status","attempts","createdAt"'
SCHEMA = (
    'CREATE TABLE IF NOT EXISTS "RawMessage" ("id" text PRIMARY KEY, "key" text, "keyId" text, "remoteJid" text,'
    ' "fromMe" boolean, "messageType" text, "message" text, "source" text, "messageTimestamp" bigint,'
    ' "instanceId" text)',
    'CREATE TABLE IF NOT EXISTS "RawOutbox" ("id" text PRIMARY KEY, "event" text, "instanceName" text,'
    ' "sink" text, "target" text, "payload" text, "status" text, "attempts" integer, "createdAt" double precision)',
    'CREATE TABLE IF NOT EXISTS "RawContact" ("id" text PRIMARY KEY, "remoteJid" text, "pushName" text,'
    ' "instanceId" text, "updatedAt" double precision, UNIQUE ("instanceId", "remoteJid"))',
    'CREATE TABLE IF NOT EXISTS "RawChat" ("id" text PRIMARY KEY, "remoteJid" text, "unread" integer,'
    ' "instanceId" text, "updatedAt" double precision, UNIQUE ("instanceId", "remoteJid"))',
)
CONTACT = (
    'INSERT INTO "RawContact" ("id","remoteJid","pushName","instanceId","updatedAt") VALUES ({}) '
    'ON CONFLICT ("instanceId","remoteJid") DO UPDATE SET "pushName" = excluded."pushName", '
    '"updatedAt" = excluded."updatedAt"'
)
CHAT = (
    'INSERT INTO "RawChat" ("id","remoteJid","unread","instanceId","updatedAt") VALUES ({}) '
    'ON CONFLICT ("instanceId","remoteJid") DO UPDATE SET "unread" = "RawChat"."unread" + 1, '
    '"updatedAt" = excluded."updatedAt"'
)
state: dict[str, Any] = {}


async def startup() -> None:
    if PG:
        import asyncpg  # noqa: PLC0415

        pool = await asyncpg.create_pool(DB, min_size=10, max_size=10)
        for statement in SCHEMA:
            await pool.execute(statement)
        state["pool"] = pool
    else:
        import aiosqlite  # noqa: PLC0415

        db = await aiosqlite.connect(DB)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000"):
            await db.execute(f"PRAGMA {pragma}")
        for statement in SCHEMA:
            await db.execute(statement)
        await db.commit()
        state["db"], state["lock"] = db, asyncio.Lock()


@post("/message/sendText/{instance:str}", status_code=201)
async def send_text(instance: str, request: Request[Any, Any, Any], data: dict[str, Any]) -> dict[str, Any]:
    if request.headers.get("apikey") != KEY:
        raise NotAuthorizedException()
    key = {"fromMe": True, "id": str(uuid.uuid4()), "remoteJid": data["number"]}
    record = {
        "key": key,
        "message": {"conversation": data["text"]},
        "messageType": "conversation",
        "messageTimestamp": int(time.time()),
        "source": "unknown",
        "instanceId": instance,
    }
    message = (uuid.uuid4().hex, json.dumps(key), key["id"], key["remoteJid"], True, "conversation",
               json.dumps(record["message"]), "unknown", record["messageTimestamp"], instance)  # fmt: skip
    payload = json.dumps({"event": "send.message", "instance": instance, "data": record})
    outbox = (
        uuid.uuid4().hex,
        "send.message",
        instance,
        "webhook",
        "http://x/hook",
        payload,
        "pending",
        0,
        time.time(),
    )
    if PG:
        async with state["pool"].acquire() as conn, conn.transaction():
            await conn.execute(f'INSERT INTO "RawMessage" ({MESSAGE_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)',
                               *message)  # fmt: skip
            await conn.execute(f'INSERT INTO "RawOutbox" ({OUTBOX_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)',
                               *outbox)  # fmt: skip
    else:
        db = state["db"]
        async with state["lock"]:
            await db.execute(f'INSERT INTO "RawMessage" ({MESSAGE_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)', message)
            await db.execute(f'INSERT INTO "RawOutbox" ({OUTBOX_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)', outbox)
            await db.commit()
    return record


@post("/webhook/evolution", status_code=200)
async def inbound(request: Request[Any, Any, Any], data: dict[str, Any]) -> dict[str, Any]:
    if request.headers.get("apikey") != KEY:
        raise NotAuthorizedException()
    instance, now = data["numberId"], time.time()
    key = {"id": data["key"]["id"], "remoteJid": data["key"]["remoteJid"], "fromMe": False}
    record = {"key": key, "pushName": data.get("pushName"), "message": data["message"],
              "messageType": "conversation", "messageTimestamp": int(now), "source": "unknown"}  # fmt: skip
    message = (uuid.uuid4().hex, json.dumps(key), key["id"], key["remoteJid"], False, "conversation",
               json.dumps(data["message"]), "unknown", int(now), instance)  # fmt: skip
    payload = json.dumps({"event": "messages.upsert", "instance": instance, "data": record})
    outbox = (uuid.uuid4().hex, "messages.upsert", instance, "webhook", "http://x/hook", payload, "pending", 0, now)
    contact = (uuid.uuid4().hex, key["remoteJid"], data.get("pushName"), instance, now)
    chat = (uuid.uuid4().hex, key["remoteJid"], 1, instance, now)
    if PG:
        async with state["pool"].acquire() as conn, conn.transaction():
            await conn.execute(f'INSERT INTO "RawMessage" ({MESSAGE_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)',
                               *message)  # fmt: skip
            await conn.execute(CONTACT.format("$1,$2,$3,$4,$5"), *contact)
            await conn.execute(CHAT.format("$1,$2,$3,$4,$5"), *chat)
            await conn.execute(f'INSERT INTO "RawOutbox" ({OUTBOX_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)',
                               *outbox)  # fmt: skip
    else:
        db = state["db"]
        async with state["lock"]:
            await db.execute(f'INSERT INTO "RawMessage" ({MESSAGE_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)', message)
            await db.execute(CONTACT.format("?,?,?,?,?"), contact)
            await db.execute(CHAT.format("?,?,?,?,?"), chat)
            await db.execute(f'INSERT INTO "RawOutbox" ({OUTBOX_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)', outbox)
            await db.commit()
    return {"status": "success"}


app = Litestar([send_text, inbound], on_startup=[startup], logging_config=None)
