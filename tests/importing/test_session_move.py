"""`evolution-py import` with WHATSMEOW_SESSION_STORE=postgresql: each session written for an instance
moves straight into the instance's own schema (not left in the importing machine's DATA_DIR), where
whatsmeow itself loads the same device; a second run keeps the live copy and drops the stale file."""

from __future__ import annotations

import asyncio
from pathlib import Path

from neonize.client import ClientFactory

from evolution_py.channels.whatsapp_web.device_store import session_path
from evolution_py.channels.whatsapp_web.pg_sessions import schema_name, session_dsn
from evolution_py.config import _whatsmeow_dsn
from tests.importing import go_data
from tests.importing.sources import postgres_source
from tests.importing.support import limits, run
from tests.importing.test_evolution_go import _device_row, _fill_users, _sqlite_store
from tests.support.databases import database_env
from tests.support.fake_neonize import stored_device


async def test_imported_sessions_move_into_each_instance_schema(tmp_path: Path) -> None:
    async with postgres_source(ddl=None) as users:
        await _fill_users(users)
        auth = _sqlite_store(tmp_path / "main.db")
        data_dir = tmp_path / "data"
        async with database_env("postgresql", data_dir) as env:
            dsn = _whatsmeow_dsn(env["DATABASE_CONNECTION_URI"])
            reports = await run(env, data_dir, "evolution-go", users, auth_url=auth, limits=limits(), session_dsn=dsn)
            notes = {r.id: r.notes for r in reports}
            for instance_id, device in go_data.DEVICES.items():
                schema = schema_name(instance_id)
                assert any(
                    n.startswith(f"session: moved into PostgreSQL (schema {schema}, ") for n in notes[instance_id]
                ), notes[instance_id]
                assert not session_path(str(data_dir), instance_id).exists()
                store = session_dsn(dsn, schema)
                assert await asyncio.to_thread(stored_device, store) == device
                loaded = await asyncio.to_thread(ClientFactory.get_all_devices_from_db, store)
                assert [f"{d.JID.User}@{d.JID.Server}" for d in loaded] == [device]
            # the device's keys arrived byte for byte (read back from PostgreSQL as whatsmeow stores them)
            vendas_device = go_data.DEVICES[go_data.VENDAS]
            assert await _pg_device_row(env["DATABASE_CONNECTION_URI"], go_data.VENDAS) == await _device_row(
                auth, vendas_device
            )

            again = await run(
                env, data_dir, "evolution-go", users, auth_url=auth, limits=limits(), restart=True, session_dsn=dsn
            )
            vendas = next(r for r in again if r.id == go_data.VENDAS)
            assert f"session: already in PostgreSQL for {vendas_device} (kept)" in vendas.notes
            assert not session_path(str(data_dir), go_data.VENDAS).exists()


async def _pg_device_row(uri: str, instance_id: str) -> tuple[object, ...]:
    import asyncpg

    conn = await asyncpg.connect(uri)
    try:
        row = await conn.fetchrow(
            f'SELECT noise_key, identity_key, registration_id FROM "{schema_name(instance_id)}".whatsmeow_device'
        )
    finally:
        await conn.close()
    return (bytes(row[0]), bytes(row[1]), row[2])
