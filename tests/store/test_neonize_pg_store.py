"""The real neonize Go store (whatsmeow's sqlstore over lib/pq) on PostgreSQL, one schema per instance.

No network is needed: `Neonize()` opens and upgrades the store before it dials WhatsApp, and the dial
then fails at once on this machine (where it could connect, the client is stopped after a few
seconds; the tables are there either way). Run in a fresh interpreter so the Go runtime, its client
map and neonize's process-wide event loop are this test's own."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy.ext.asyncio import create_async_engine

from evolution_py.channels.whatsapp_web.pg_sessions import PostgresSessions
from evolution_py.config import _whatsmeow_dsn
from tests.support.databases import postgres_database

SRC = Path(__file__).resolve().parents[2] / "src"

PROBE = """
import asyncio, sys
from neonize.aioze.client import NewAClient

async def main():
    for number, dsn in enumerate(sys.argv[1:]):
        client = NewAClient(dsn, uuid=f"probe-{number}")

        @client.event.qr
        async def on_qr(_client, _data):
            pass

        task = await client.connect()
        try:
            await asyncio.wait_for(asyncio.shield(task), 15)
        except asyncio.TimeoutError:
            print("still connected")
        except Exception as exc:
            print("ended:", str(exc)[:200])
        await asyncio.wait_for(client.stop(), 70)

asyncio.run(main())
"""


async def test_whatsmeow_creates_its_tables_in_each_instance_schema(tmp_path: Path) -> None:
    async with postgres_database() as uri:
        engine = create_async_engine(uri.replace("postgresql://", "postgresql+asyncpg://"))
        try:
            ids = [str(uuid.uuid4()), str(uuid.uuid4())]
            stores = [PostgresSessions(engine, _whatsmeow_dsn(uri), instance_id) for instance_id in ids]
            for store in stores:
                await store.prepare()
            env = {**os.environ, "PYTHONPATH": str(SRC)}
            done = await asyncio.to_thread(
                subprocess.run,
                [sys.executable, "-c", PROBE, *(store.target for store in stores)],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=200,
                check=False,
            )
            assert done.returncode == 0, done.stderr[-3000:]
            # The store opened: what follows it is the dial (no host here), never a database error.
            assert "failed to upgrade database" not in done.stdout, done.stdout
            assert "pq:" not in done.stdout, done.stdout

            conn = await asyncpg.connect(uri)
            try:
                rows = await conn.fetch(
                    "SELECT table_schema, count(*) AS n FROM information_schema.tables"
                    " WHERE table_name LIKE 'whatsmeow%' GROUP BY table_schema"
                )
                tables = {row["table_schema"]: row["n"] for row in rows}
                # whatsmeow's 16 tables plus its version table, in each instance's schema, nowhere else
                assert tables == {store.schema: 17 for store in stores}, tables
                for store in stores:
                    version = await conn.fetchval(f'SELECT version FROM "{store.schema}".whatsmeow_version')
                    assert version >= 15
            finally:
                await conn.close()
            for store in stores:  # a store that was opened but never paired holds no device
                assert await store.paired_device() is None
                assert not await store.has_session()
            await stores[0].remove()
            conn = await asyncpg.connect(uri)
            try:
                left = {
                    r["nspname"] for r in await conn.fetch("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'wa_%'")
                }
            finally:
                await conn.close()
            assert left == {stores[1].schema}
        finally:
            await engine.dispose()
