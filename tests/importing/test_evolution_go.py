"""Evolution Go into evolution-py: instances, tokens, webhook / RabbitMQ / NATS, settings and proxy
become our rows (read back through our routes); each paired device's whatsmeow rows, and only its,
are copied into the instance's session file. Its whatsmeow store on SQLite (Go's default,
dbdata/main.db) and on PostgreSQL (POSTGRES_AUTH_DB)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from evolution_py.channels.whatsapp_web.device_store import has_session, session_path
from tests.importing import go_data
from tests.importing.sources import postgres_source
from tests.importing.support import fingerprint, limits, run
from tests.support.databases import database_env
from tests.support.server import running_server
from tests.support.whatsmeow import FAKE_ENV

SERVER_ENV = {
    **FAKE_ENV,
    "DATABASE_CONNECTION_CLIENT_NAME": "evolution_go",
    "RABBITMQ_ENABLED": "true",
    "RABBITMQ_URI": "amqp://guest:guest@127.0.0.1:5672",
    "NATS_ENABLED": "true",
    "NATS_URI": "nats://127.0.0.1:4222",
}


async def _fill_users(uri: str) -> None:
    conn = await asyncpg.connect(uri)
    try:
        await conn.execute((go_data.FIXTURES / "evolution_go_instances.postgresql.sql").read_text())
        for table, rows in (("instances", go_data.instances()), ("labels", go_data.labels())):
            columns = list(rows[0])
            await conn.copy_records_to_table(
                table, records=[tuple(r[c] for c in columns) for r in rows], columns=columns
            )
    finally:
        await conn.close()


def _sqlite_store(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        conn.executescript((go_data.FIXTURES / "whatsmeow_store.sql").read_text())
        for table, rows in go_data.all_store_rows().items():
            conn.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(rows[0]))})", rows)
        conn.commit()
    finally:
        conn.close()
    return str(path)


async def _pg_store(uri: str) -> None:
    conn = await asyncpg.connect(uri)
    try:
        await conn.execute((go_data.FIXTURES / "whatsmeow_store.sql").read_text())
        for table, rows in go_data.all_store_rows().items():
            await conn.copy_records_to_table(table, records=rows)
    finally:
        await conn.close()


@pytest.mark.parametrize(("store", "ours"), [("sqlite", "sqlite"), ("postgresql", "postgresql"), ("sqlite", "mariadb")])
async def test_evolution_go_import(tmp_path: Path, store: str, ours: str) -> None:
    async with postgres_source(ddl=None) as users, postgres_source(ddl=None) as pg_auth:
        await _fill_users(users)
        if store == "sqlite":
            auth = _sqlite_store(tmp_path / "main.db")
        else:
            await _pg_store(pg_auth)
            auth = pg_auth
        data_dir = tmp_path / "data"
        async with database_env(ours, data_dir) as env:
            dry = await run(env, data_dir, "evolution-go", users, auth_url=auth, dry_run=True)
            assert dry == [] and not session_path(str(data_dir), go_data.VENDAS).exists()
            plan = run.last_output.splitlines()  # type: ignore[attr-defined]
            assert ["vendas", "whatsmeow", "device", "1"] in [ln.split() for ln in plan]
            assert ["vendas", "Label", "3"] in [ln.split() for ln in plan]

            reports = await run(env, data_dir, "evolution-go", users, auth_url=auth, limits=limits())
            notes = {r.name: r.notes for r in reports}
            assert "session: copied device 5511911110001:3@s.whatsapp.net (26 rows)" in notes["vendas"]
            assert notes["novo"][0].startswith("events: ") and "BOGUS" in notes["novo"][0]
            assert "session: the instance was never paired: it will need a QR" in notes["novo"]
            assert "messages: Evolution Go stores only receipts there; not carried" in run.last_output  # type: ignore[attr-defined]
            for instance_id, device in go_data.DEVICES.items():
                await _check_session(data_dir, instance_id, device, auth)
            first = await fingerprint(env, data_dir)
            assert first["Instance"][0] == 3 and first["Label"][0] == 3

            again = await run(env, data_dir, "evolution-go", users, auth_url=auth, limits=limits(), restart=True)
            assert await fingerprint(env, data_dir) == first
            assert all(c.inserted == 0 for r in again for t, c in r.tables.items())
            assert "session: already here (kept)" in again[0].notes

            async with running_server(data_dir, {**env, **SERVER_ENV}) as srv:
                await _check_routes(srv)


async def _check_session(data_dir: Path, instance_id: str, device: str, auth: str) -> None:
    path = session_path(str(data_dir), instance_id)
    assert has_session(path)
    expected = go_data.store_rows(device, 0)  # shapes only: the keys are random
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        assert conn.execute("SELECT jid FROM whatsmeow_device").fetchall() == [(device,)]
        for table, rows in expected.items():
            owner = (
                "our_jid"
                if table
                in ("whatsmeow_identity_keys", "whatsmeow_sessions", "whatsmeow_sender_keys", "whatsmeow_contacts")
                else "jid"
            )
            stored = conn.execute(f"SELECT {owner} FROM {table}").fetchall()
            assert stored == [(device,)] * len(rows), table
        assert conn.execute("SELECT version, compat FROM whatsmeow_version").fetchall() == [(15, 8)]
        assert sorted(conn.execute("SELECT lid, pn FROM whatsmeow_lid_map").fetchall()) == sorted(
            go_data.GLOBAL_ROWS["whatsmeow_lid_map"]
        )
        copied = conn.execute("SELECT noise_key, identity_key, registration_id FROM whatsmeow_device").fetchone()
    source = await _device_row(auth, device)
    assert copied == source  # byte for byte: the same noise and identity keys


async def _device_row(auth: str, device: str) -> tuple[Any, ...]:
    query = "SELECT noise_key, identity_key, registration_id FROM whatsmeow_device WHERE jid = "
    if auth.startswith("postgresql"):
        conn = await asyncpg.connect(auth)
        try:
            row = await conn.fetchrow(query + "$1", device)
        finally:
            await conn.close()
        return (bytes(row[0]), bytes(row[1]), row[2])
    with sqlite3.connect(auth) as lite:
        return tuple(lite.execute(query + "?", (device,)).fetchone())


async def _check_routes(srv: Any) -> None:
    listed = (await srv.client.get("/instance/fetchInstances", headers=srv.headers())).json()
    by_name = {i["name"]: i for i in listed}
    assert sorted(by_name) == ["novo", "suporte", "vendas"]
    vendas = by_name["vendas"]
    assert vendas["id"] == go_data.VENDAS and vendas["token"] == "tok-vendas-0123456789"
    assert vendas["ownerJid"] == "5511911110001@s.whatsapp.net" and vendas["number"] == "5511911110001"
    token = srv.headers("tok-vendas-0123456789")
    webhook = (await srv.client.get("/webhook/find/vendas", headers=token)).json()
    assert webhook["url"] == "https://hooks.example.com/vendas" and webhook["enabled"] is True
    assert webhook["events"] == ["MESSAGES_UPSERT", "SEND_MESSAGE"]
    settings = (await srv.client.get("/settings/find/vendas", headers=token)).json()
    assert (settings["alwaysOnline"], settings["rejectCall"], settings["msgCall"]) == (True, True, "busy")
    assert (settings["groupsIgnore"], settings["readStatus"]) == (True, False)
    rabbit = (await srv.client.get("/rabbitmq/find/vendas", headers=token)).json()
    assert rabbit["enabled"] is True and rabbit["events"] == ["MESSAGES_UPSERT", "SEND_MESSAGE"]
    proxy = (await srv.client.get("/proxy/find/vendas", headers=token)).json()
    assert (proxy["host"], proxy["port"], proxy["username"]) == ("p.example.com", "8080", "u")
    nats = (await srv.client.get("/nats/find/suporte", headers=srv.headers("tok-suporte-0123456789"))).json()
    assert nats["enabled"] is True and nats["events"] == []
    # The Go dialect sees the same instances, with the old tokens.
    info = await srv.client.get(f"/instance/info/{go_data.VENDAS}", headers=srv.headers())
    assert info.status_code == 200 and info.json()["data"]["token"] == "tok-vendas-0123456789"
