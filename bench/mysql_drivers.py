"""asyncmy vs aiomysql on our MariaDB/MySQL workload (issue 21: which driver to ship).

    .venv/bin/python bench/mysql_drivers.py [--rounds 3] [--uri mysql://root@127.0.0.1:3306]

Two parts of our workload, each in a throw-away database, the drivers alternating per round:
- outbox: the writer's hot path (one transaction per batch: executemany of 100 delivery rows of
  ~1 KB, then a DELETE of the 100 ids), 40 batches: rows/s.
- orm: SQLAlchemy ORM single-row inserts (one commit each) then point reads of the Message table
  through the engine (`mysql+<driver>://`), 16 at once, 2000 in all: ops/s (what the HTTP API does
  per request).

Each also reports this process's CPU time per row / op: on a shared, loaded machine the rate
follows the database's commit latency and the neighbours, the CPU cost is the driver's own.
aiomysql is not a dependency: `pip install aiomysql` to run the comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sqlalchemy import select  # noqa: E402
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine  # noqa: E402

from evolution_py.events.outbox_sql import COLUMNS  # noqa: E402
from evolution_py.store.models import Instance, Message  # noqa: E402

DRIVERS = ("asyncmy", "aiomysql")


async def _raw_connect(driver: str, host: str, port: int, db: str) -> Any:
    if driver == "asyncmy":
        import asyncmy  # noqa: PLC0415

        return await asyncmy.connect(host=host, port=port, user="root", db=db, autocommit=False)
    import aiomysql  # noqa: PLC0415

    return await aiomysql.connect(host=host, port=port, user="root", db=db, autocommit=False)


Rate = tuple[float, float]  # per second, CPU microseconds each


async def outbox_rate(driver: str, host: str, port: int, db: str, batches: int) -> Rate:
    conn = await _raw_connect(driver, host, port, db)
    cols = ", ".join(f"`{c}`" for c in COLUMNS)
    insert = f"INSERT INTO `EventDelivery` ({cols}) VALUES ({', '.join(['%s'] * len(COLUMNS))})"
    payload = "x" * 1000
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(batches):
        rows = [
            (uuid.uuid4().hex, uuid.uuid4().hex, "messages.upsert", "inst", "name", "webhook", "http://x",
             payload, "pending", 0, time.time(), None, time.time(), None, "instance")
            for _ in range(100)
        ]  # fmt: skip
        async with conn.cursor() as cur:
            await cur.executemany(insert, rows)
            ids = [r[0] for r in rows]
            await cur.execute(f"DELETE FROM `EventDelivery` WHERE `id` IN ({', '.join(['%s'] * len(ids))})", ids)
        await conn.commit()
    elapsed, used = time.perf_counter() - start, time.process_time() - cpu
    conn.close()
    return batches * 100 / elapsed, used / (batches * 100) * 1e6


async def orm_rate(driver: str, base: str, db: str, ops: int) -> Rate:
    engine = create_async_engine(f"{base.replace('mysql://', f'mysql+{driver}://')}/{db}?charset=utf8mb4", pool_size=16)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with sessions() as s, s.begin():
        s.add(Instance(id="inst", name="bench", connectionStatus="open"))
    ids = [uuid.uuid4().hex for _ in range(ops // 2)]

    async def insert(i: int) -> None:
        async with sessions() as s, s.begin():
            s.add(Message(id=ids[i], key={"id": ids[i]}, keyId=ids[i], remoteJid="1@s.whatsapp.net",
                          messageType="conversation", message={"conversation": "hi 😀"}, messageTimestamp=i,
                          instanceId="inst"))  # fmt: skip

    async def read(i: int) -> None:
        async with sessions() as s:
            (await s.execute(select(Message).where(Message.id == ids[i]))).scalar_one()

    sem = asyncio.Semaphore(16)

    async def bounded(fn: Any, i: int) -> None:
        async with sem:
            await fn(i)

    start, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(bounded(insert, i) for i in range(len(ids))))
    await asyncio.gather(*(bounded(read, i) for i in range(len(ids))))
    elapsed, used = time.perf_counter() - start, time.process_time() - cpu
    await engine.dispose()
    return len(ids) * 2 / elapsed, used / (len(ids) * 2) * 1e6


async def fresh_database(driver: str, host: str, port: int) -> str:
    from evolution_py.store.db import Database  # noqa: PLC0415

    name = f"evo_bench_{uuid.uuid4().hex[:10]}"
    admin = await _raw_connect(driver, host, port, "mysql")
    async with admin.cursor() as cur:
        await cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    admin.close()
    database = Database(f"mysql+asyncmy://root@{host}:{port}/{name}?charset=utf8mb4")
    await database.migrate()
    await database.dispose()
    return name


async def drop(host: str, port: int, name: str) -> None:
    admin = await _raw_connect("asyncmy", host, port, "mysql")
    async with admin.cursor() as cur:
        await cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    admin.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--uri", default="mysql://root@127.0.0.1:3306")
    args = parser.parse_args()
    host, _, port = args.uri.split("@", 1)[1].partition(":")
    results: dict[str, dict[str, list[Rate]]] = {d: {"outbox": [], "orm": []} for d in DRIVERS}
    for _round in range(args.rounds):
        for driver in DRIVERS:
            name = await fresh_database(driver, host, int(port))
            try:
                results[driver]["outbox"].append(await outbox_rate(driver, host, int(port), name, 40))
                results[driver]["orm"].append(await orm_rate(driver, args.uri, name, 2000))
            finally:
                await drop(host, int(port), name)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for driver in DRIVERS:
        parts = []
        for part, unit in (("outbox", "rows"), ("orm", "ops")):
            rates = [r for r, _cpu in results[driver][part]]
            cpus = [c for _r, c in results[driver][part]]
            parts.append(
                f"{part} {unit}/s {statistics.median(rates):7.0f} {[round(r) for r in rates]} "
                f"cpu {statistics.median(cpus):5.0f} us/{unit[:-1]}"
            )
        print(f"{driver:9s} " + "   ".join(parts))


if __name__ == "__main__":
    asyncio.run(main())
