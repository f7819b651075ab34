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
from evolution_py.config import WHATSMEOW_APPLICATION_NAME, _whatsmeow_dsn
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


LEAK_PROBE = """
import asyncio, sys
from neonize.aioze.client import NewAClient

async def main():
    for number in range(3):  # three clients one after the other, as reconnects make them
        client = NewAClient(sys.argv[1], uuid=f"leak-{number}")

        @client.event.qr
        async def on_qr(_client, _data):
            pass

        task = await client.connect()
        try:
            await asyncio.wait_for(asyncio.shield(task), 15)
        except Exception:
            pass
        await asyncio.wait_for(client.stop(), 70)
    print("clients done", flush=True)
    await asyncio.sleep(float(sys.argv[2]))

asyncio.run(main())
"""


async def _whatsmeow_connections(uri: str) -> int:
    conn = await asyncpg.connect(uri)
    try:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()",
                WHATSMEOW_APPLICATION_NAME,
            )
        )
    finally:
        await conn.close()


async def _leftover_connections(uri: str, idle_seconds: int, wait: float, tmp_path: Path) -> int:
    """Connections of a process whose three clients have all stopped, `wait` seconds after."""
    engine = create_async_engine(uri.replace("postgresql://", "postgresql+asyncpg://"))
    try:
        store = PostgresSessions(engine, _whatsmeow_dsn(uri), str(uuid.uuid4()), idle_seconds=idle_seconds)
        await store.prepare()
    finally:
        await engine.dispose()
    probe = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        LEAK_PROBE,
        store.target,
        str(wait + 5),
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert probe.stdout is not None
        line = await asyncio.wait_for(probe.stdout.readline(), 200)
        assert line.strip() == b"clients done", line
        await asyncio.sleep(wait)
        return await _whatsmeow_connections(uri)
    finally:
        probe.kill()
        await probe.wait()


async def test_stopped_clients_connections_end_with_the_idle_timeout(tmp_path: Path) -> None:
    """neonize never closes a stopped client's store, so its connection stays open for the life of
    the process; `idle_session_timeout` in the DSN (WHATSMEOW_SESSION_DB_IDLE_SECONDS) has the
    server end it."""
    async with postgres_database() as uri:
        assert await _leftover_connections(uri, idle_seconds=0, wait=2.5, tmp_path=tmp_path) >= 3  # the leak
        assert await _leftover_connections(uri, idle_seconds=1, wait=2.5, tmp_path=tmp_path) == 0
