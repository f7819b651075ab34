"""WhatsApp Web sessions in PostgreSQL (WHATSMEOW_SESSION_STORE=postgresql, the default there), at the
neonize boundary: what the client factory is given, where the fake stores the paired device (as
whatsmeow does: the tables of the schema the DSN's `search_path` names), and a second server with a
data directory of its own resuming the instance with no QR code."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import asyncpg
import msgspec
import pytest
from neonize.proto.Neonize_pb2 import Connected

from evolution_py.channels.whatsapp_web.pg_sessions import schema_name
from tests.support.databases import postgres_database
from tests.support.fake_neonize import FakeClient, store_device
from tests.support.server import running_server, unique
from tests.support.whatsmeow import FAKE_ENV, client_of, create, device_stored, eventually, open_instance, state

DEVICE = "5511999990000:1@s.whatsapp.net"


def _search_path(store: str) -> str:
    return parse_qs(urlsplit(store).query)["search_path"][0]


async def _schemas(uri: str) -> set[str]:
    conn = await asyncpg.connect(uri)
    try:
        return {
            row["nspname"] for row in await conn.fetch("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'wa_%'")
        }
    finally:
        await conn.close()


async def test_each_instance_has_its_schema_and_another_server_resumes_it_without_qr(tmp_path: Path) -> None:
    async with postgres_database() as uri:
        env = {"DATABASE_PROVIDER": "postgresql", "DATABASE_CONNECTION_URI": uri, **FAKE_ENV}
        async with running_server(tmp_path / "a", env) as srv:
            first, second = unique(), unique()
            first_id, first_client = await open_instance(srv, first)
            second_id, second_client = await open_instance(srv, second)
            dsn = srv.services.settings.whatsmeow_session_dsn
            # the factory gets the database's DSN with the instance's own schema, never a file path
            idle = "&idle_session_timeout=300000"  # WHATSMEOW_SESSION_DB_IDLE_SECONDS' default (PostgreSQL 14+)
            assert first_client.name == f"{dsn}&search_path={schema_name(first_id)}{idle}"
            assert second_client.name == f"{dsn}&search_path={schema_name(second_id)}{idle}"
            assert _search_path(first_client.name) != _search_path(second_client.name)
            assert await device_stored(srv, first_id) == DEVICE
            assert await device_stored(srv, second_id) == DEVICE  # one phone, two instances: two stores
            sessions = srv.services.registry.require(first).channel._sessions  # type: ignore[attr-defined]
            assert await sessions.has_session()
            assert not (tmp_path / "a" / "sessions").exists()

        # Another node: its own empty DATA_DIR, the same database. The paired device is found in
        # PostgreSQL, so the instance reconnects at start with no QR code.
        async with running_server(tmp_path / "b", env) as srv:
            resumed = await client_of(first_id, count=2)
            assert resumed is not first_client and resumed.name == first_client.name
            await resumed.push(Connected(status=True))
            await eventually(lambda: srv.services.registry.require(first).channel.state == "open")
            channel = srv.services.registry.require(first).channel
            assert channel.qrcode.count == 0 and channel.qrcode.code is msgspec.UNSET  # never asked for a QR
            assert await state(srv, first) == "open"
            assert channel.owner_jid == "5511999990000@s.whatsapp.net"
            assert FakeClient.of(second_id).name == second_client.name
            assert not (tmp_path / "b" / "sessions").exists()


async def test_logout_and_delete_drop_the_schema(tmp_path: Path) -> None:
    async with postgres_database() as uri:
        env = {"DATABASE_PROVIDER": "postgresql", "DATABASE_CONNECTION_URI": uri, **FAKE_ENV}
        async with running_server(tmp_path, env) as srv:
            kept, out, gone = unique(), unique(), unique()
            kept_id, _ = await open_instance(srv, kept)
            out_id, _ = await open_instance(srv, out)
            gone_id, _ = await open_instance(srv, gone)
            assert await _schemas(uri) == {schema_name(i) for i in (kept_id, out_id, gone_id)}

            logged_out = await srv.client.delete(f"/instance/logout/{out}", headers=srv.headers())
            assert logged_out.status_code == 200
            deleted = await srv.client.delete(f"/instance/delete/{gone}", headers=srv.headers())
            assert deleted.status_code == 200
            assert await _schemas(uri) == {schema_name(kept_id)}
            assert await device_stored(srv, out_id) is None
            assert await device_stored(srv, kept_id) == DEVICE

            # after a logout the next connect asks for a QR code again, in a fresh schema
            connecting = asyncio.create_task(srv.client.get(f"/instance/connect/{out}", headers=srv.headers()))
            client = await client_of(out_id, count=2)
            await client.push_qr("2@again,k1,k2,k3")
            assert (await connecting).json()["code"] == "2@again,k1,k2,k3"
            assert _search_path(client.name) == schema_name(out_id)
            assert schema_name(out_id) in await _schemas(uri)


async def test_a_session_file_moves_into_postgresql_at_the_next_start(tmp_path: Path) -> None:
    """A node upgraded to the PostgreSQL store, or an imported session (the importers write a file):
    the file's session is copied into the instance's schema, whatsmeow loads the same device from
    there, and the file is gone (one copy of the Signal state)."""
    from neonize.client import ClientFactory

    from evolution_py.importing.baileys import convert_baileys, write_session
    from evolution_py.importing.baileys.bufferjson import loads
    from tests.importing.baileys.test_session_conversion import FIXTURES, auth_state

    async with postgres_database() as uri:
        env = {"DATABASE_PROVIDER": "postgresql", "DATABASE_CONNECTION_URI": uri, **FAKE_ENV}
        async with running_server(tmp_path, env) as srv:
            name = unique()
            instance_id = await create(srv, name)
        session_file = tmp_path / "sessions" / f"{instance_id}.db"
        await asyncio.to_thread(write_session, convert_baileys(auth_state()), session_file)
        with sqlite3.connect(session_file) as conn:
            tables = [
                r[0]
                for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'whatsmeow_%'")
            ]
            in_file = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
        jid = loads((FIXTURES / "creds.json").read_text())["me"]["id"]

        async with running_server(tmp_path, env) as srv:
            client = await client_of(instance_id)
            assert _search_path(client.name) == schema_name(instance_id)
            assert not session_file.exists()
            assert await device_stored(srv, instance_id) == jid
            await client.push(Connected(status=True))
            assert await state(srv, name) == "open"
            devices = await asyncio.to_thread(ClientFactory.get_all_devices_from_db, client.name)
            assert [f"{d.JID.User}@{d.JID.Server}" for d in devices] == [jid]  # whatsmeow's own reading
            conn = await asyncpg.connect(uri)
            try:
                schema = schema_name(instance_id)
                in_pg = {t: await conn.fetchval(f'SELECT count(*) FROM "{schema}"."{t}"') for t in tables}
            finally:
                await conn.close()
            assert in_pg == in_file and in_file["whatsmeow_device"] == 1 and sum(in_file.values()) > 10


async def test_a_session_file_that_cannot_move_is_resumed_as_it_is(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Nobody is logged out by the move: a file whatsmeow's tables refuse stays the session until the
    instance pairs again (here the fake's bare device row, which misses whatsmeow's key columns)."""
    async with postgres_database() as uri:
        env = {"DATABASE_PROVIDER": "postgresql", "DATABASE_CONNECTION_URI": uri, **FAKE_ENV}
        async with running_server(tmp_path, env) as srv:
            name = unique()
            instance_id = await create(srv, name)
        session_file = tmp_path / "sessions" / f"{instance_id}.db"
        session_file.parent.mkdir()
        await asyncio.to_thread(store_device, str(session_file), "5511977776666:3@s.whatsapp.net")
        async with running_server(tmp_path, env) as srv:
            client = await client_of(instance_id)
            assert client.name == str(session_file)
            assert "was not moved into PostgreSQL (IntegrityError)" in caplog.text
            assert await device_stored(srv, instance_id) is None  # the failed copy left no device behind
            await client.push(Connected(status=True))
            assert await state(srv, name) == "open"
            out = await srv.client.delete(f"/instance/logout/{name}", headers=srv.headers())
            assert out.status_code == 200
            assert not session_file.exists()
            assert schema_name(instance_id) not in await _schemas(uri)
            connecting = asyncio.create_task(srv.client.get(f"/instance/connect/{name}", headers=srv.headers()))
            client = await client_of(instance_id, count=2)
            await client.push_qr("2@new,k1,k2,k3")
            await connecting
            assert _search_path(client.name) == schema_name(instance_id)


async def test_the_session_dsn_never_reaches_a_log(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    secret = "s3cr3t-session-pw"
    async with postgres_database() as uri:
        with_password = uri.replace("postgresql://postgres@", f"postgresql://postgres:{secret}@")
        env = {"DATABASE_PROVIDER": "postgresql", "DATABASE_CONNECTION_URI": with_password, **FAKE_ENV}
        caplog.set_level(logging.DEBUG)
        async with running_server(tmp_path, env) as srv:
            name = unique()
            instance_id, client = await open_instance(srv, name)
            assert secret in client.name  # the fake (neonize) gets it; nothing else may show it
            FakeClient.presets[instance_id] = {"connect_error": "dial refused"}
            try:
                await srv.client.post(f"/instance/restart/{name}", headers=srv.headers())
                await client_of(instance_id, count=3)
            finally:
                FakeClient.presets.pop(instance_id, None)
            await srv.client.delete(f"/instance/delete/{name}", headers=srv.headers())
    assert caplog.records, "nothing was logged at all: the check would prove nothing"
    assert secret not in caplog.text
    assert secret not in "".join(str(record.args) for record in caplog.records)
