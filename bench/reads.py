"""Read paths at 100 vs 10,000 chats: findChats (all, and a page of 50), findMessages pages, findContacts.

    PYTHONPATH=src .venv/bin/python bench/reads.py [--db sqlite|postgresql] [--small 100] [--large 10000]

Calls the instance's MessageStore directly (the route adds only its body decode and the JSON encode),
on a fresh database per size: each chat has 3 messages (one with a MessageUpdate), every other chat a
Contact, every third a Chat row. For each read: the median time of `--repeat` calls, the SELECTs it
issued (must not grow with the number of chats), and the ratio large / small. A read that returns
every chat grows with the answer; the pages must not (indexes, no N+1).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from sqlalchemy import event, insert

from evolution_py.config import load_settings
from evolution_py.store.db import Database
from evolution_py.store.messages import MessageStore
from evolution_py.store.models import Chat, Contact, Instance, Message, MessageUpdate, new_id

PG_ADMIN = os.environ.get("BENCH_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")


async def fill(db: Database, instance_id: str, chats: int) -> None:
    messages, updates, contacts, chat_rows = [], [], [], []
    for n in range(chats):
        jid = f"55{n:09d}@s.whatsapp.net"
        for k in range(3):
            mid = new_id()
            key = {"id": f"K{n}-{k}", "remoteJid": jid, "fromMe": k == 1}
            messages.append(
                {
                    "id": mid, "key": key, "keyId": key["id"], "remoteJid": jid, "fromMe": k == 1,
                    "messageType": "conversation", "message": {"conversation": f"hi {n} {k}"},
                    "source": "unknown", "messageTimestamp": 1_700_000_000 + n * 10 + k, "instanceId": instance_id,
                }
            )  # fmt: skip
            if k == 1:
                updates.append(
                    {
                        "id": new_id(), "keyId": key["id"], "remoteJid": jid, "fromMe": True,
                        "status": "READ", "messageId": mid, "instanceId": instance_id,
                    }
                )  # fmt: skip
        if n % 2 == 0:
            contacts.append({"id": new_id(), "remoteJid": jid, "pushName": f"p{n}", "instanceId": instance_id})
        if n % 3 == 0:
            chat_rows.append({"id": new_id(), "remoteJid": jid, "instanceId": instance_id, "unreadMessages": 1})
    async with db.transaction() as session:
        for table, rows in ((Message, messages), (MessageUpdate, updates), (Contact, contacts), (Chat, chat_rows)):
            for start in range(0, len(rows), 2000):
                await session.execute(insert(table), rows[start : start + 2000])


async def measure(store: MessageStore, repeat: int) -> dict[str, dict[str, float]]:
    selects: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    event.listen(store.db.engine.sync_engine, "before_cursor_execute", count)
    reads: dict[str, Callable[[], Awaitable[Any]]] = {
        "findChats all": lambda: store.find_chats({}, None, None),
        "findChats take 50": lambda: store.find_chats({}, 50, None),
        "findMessages page 1 of 50": lambda: store.find_messages({}, 1, 50),
        "findMessages page 20 of 50": lambda: store.find_messages({}, 20, 50),
        "findMessages one chat": lambda: store.find_messages(
            {"key": {"remoteJid": "55000000007@s.whatsapp.net"}}, 1, 50
        ),
        "findContacts page of 50": lambda: store.find_contacts({}, 1, 50),
    }
    out: dict[str, dict[str, float]] = {}
    for name, read in reads.items():
        await read()  # warm: statement caches
        selects.clear()
        await read()
        queries = len(selects)
        times = []
        for _ in range(repeat):
            began = time.perf_counter()
            await read()
            times.append(time.perf_counter() - began)
        out[name] = {"ms": round(statistics.median(times) * 1000, 2), "selects": queries}
    return out


async def one_size(kind: str, chats: int, repeat: int) -> dict[str, dict[str, float]]:
    data_dir = tempfile.mkdtemp(prefix="evo-reads-")
    env = {"DATA_DIR": data_dir, "AUTHENTICATION_API_KEY": "k" * 20}
    pg_name = f"evo_perf_reads_{uuid.uuid4().hex[:10]}"
    if kind == "postgresql":
        admin = await asyncpg.connect(PG_ADMIN)
        await admin.execute(f'CREATE DATABASE "{pg_name}"')
        await admin.close()
        env |= {"DATABASE_PROVIDER": "postgresql", "DATABASE_CONNECTION_URI": f"{PG_ADMIN.rsplit('/', 1)[0]}/{pg_name}"}
    db = Database(load_settings(environ=env).database_url)
    try:
        await db.migrate()
        instance_id = str(uuid.uuid4())
        async with db.transaction() as session:
            session.add(Instance(id=instance_id, name="reads", connectionStatus="open", integration="EVOLUTION"))
        await fill(db, instance_id, chats)
        if kind == "postgresql":
            async with db.engine.begin() as connection:
                await connection.exec_driver_sql("ANALYZE")
        return await measure(MessageStore(db, instance_id), repeat)
    finally:
        await db.dispose()
        if kind == "postgresql":
            admin = await asyncpg.connect(PG_ADMIN)
            await admin.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
            await admin.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--large", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    loadavg = round(os.getloadavg()[0], 2)
    small = await one_size(args.db, args.small, args.repeat)
    large = await one_size(args.db, args.large, args.repeat)
    rows = {
        name: {
            f"{args.small} ms": small[name]["ms"],
            f"{args.large} ms": large[name]["ms"],
            "ratio": round(large[name]["ms"] / small[name]["ms"], 2) if small[name]["ms"] else None,
            "selects": f"{small[name]['selects']} / {large[name]['selects']}",
        }
        for name in small
    }
    print(
        json.dumps(
            {"db": args.db, "loadavg_start": loadavg, "loadavg_end": round(os.getloadavg()[0], 2), **rows}, indent=1
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
