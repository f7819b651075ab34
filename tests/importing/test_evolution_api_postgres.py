"""Evolution API 2.3.6 on PostgreSQL (its real schema), 100k messages, into our PostgreSQL: every row
readable through our routes, bounded memory, a second run changes nothing, an interrupted run resumes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from evolution_py.importing.progress import Interrupted
from evolution_py.store.db import Database
from tests.importing import upstream_data as data
from tests.importing.sources import fill_postgres, postgres_source
from tests.importing.support import (
    FakeConverter,
    RssSampler,
    database_url,
    fingerprint,
    fingerprint_or_none,
    limits,
    run,
)
from tests.support.databases import database_env
from tests.support.server import running_server
from tests.support.whatsmeow import FAKE_ENV

# The old server's own settings that the checked routes need: its client name (instances of another
# are not loaded), and the switches that open the RabbitMQ and Typebot routes.
SERVER_ENV = {
    "DATABASE_CONNECTION_CLIENT_NAME": "evolution_exchange",
    "RABBITMQ_ENABLED": "true",
    "RABBITMQ_URI": "amqp://guest:guest@127.0.0.1:5672",
    "TYPEBOT_ENABLED": "true",
}
SPECS = [
    data.Spec("alpha", messages=60_000, chats=200, contacts=300),
    data.Spec("beta", messages=30_000, chats=100, contacts=150),
    data.Spec("gamma", messages=10_000, chats=50, contacts=40),
]


async def test_evolution_api_postgres_import(tmp_path: Path) -> None:
    async with postgres_source() as source, database_env("postgresql", tmp_path) as env:
        t0 = time.monotonic()
        await fill_postgres(source, SPECS)
        print(f"fill: {time.monotonic() - t0:.1f} s")
        converter = FakeConverter()

        # Interrupted after 40 batches (as a kill would), then resumed from the checkpoint. Memory: the
        # resident size, sampled through both runs, grows by little more than two pages of 2000 rows;
        # the 100k rows as Python objects would take some 200 MB.
        # Warm-up, so the samples below see the import's data, not modules loading: a dry run (nothing
        # written) and our schema's migration.
        assert await run(env, tmp_path, "evolution-api", source, dry_run=True) == []
        plan = [ln.split() for ln in run.last_output.splitlines()]  # type: ignore[attr-defined]
        assert ["alpha", "Message", "60000"] in plan and ["beta", "Chat", "101"] in plan
        assert (await fingerprint_or_none(env, tmp_path)) is None
        db = Database(database_url(env, tmp_path))
        await db.migrate()
        await db.dispose()
        interrupted = RssSampler()
        with pytest.raises(Interrupted):
            async with interrupted:
                await run(env, tmp_path, "evolution-api", source, limits=limits(stop_after=40), converter=converter)
        print(f"interrupted: {time.monotonic() - t0:.1f} s")
        partial = await fingerprint(env, tmp_path)
        assert 0 < partial["Message"][0] < 100_000

        started = time.monotonic()
        async with RssSampler() as resumed:
            reports = await run(
                env, tmp_path, "evolution-api", source, limits=limits(), converter=converter, client_name="evolution"
            )
        elapsed = time.monotonic() - started
        assert interrupted.grown < 40 and resumed.grown < 40, (interrupted.grown, resumed.grown)
        print(f"resumed import: {elapsed:.1f} s, RSS grew by {interrupted.grown:.1f} / {resumed.grown:.1f} MB")

        first = await fingerprint(env, tmp_path)
        assert first["Message"][0] == 100_000
        assert first["Instance"][0] == 3 and first["Contact"][0] == 490
        assert first["Chat"][0] == 350  # upstream's duplicate chat rows collapse into one per JID
        assert first["ChatwootMirror"][0] == 1000  # the Chatwoot ledger, from the messages' Chatwoot ids
        assert first["MessageUpdate"][0] == 150 and first["Label"][0] == 3 and first["Template"][0] == 1
        by_name = {r.name: r for r in reports}
        beta_chats = by_name["beta"].count("Chat")  # beta's chats moved in the resumed run
        assert (beta_chats.read, beta_chats.inserted, beta_chats.present) == (101, 100, 1)  # the duplicate, reported
        assert any("converted for 5511900000001:7@s.whatsapp.net" in n for n in by_name["alpha"].notes)
        assert any("sender keys: 1 not converted" in n for n in by_name["alpha"].notes)
        assert any("no Baileys credentials" in n for n in by_name["beta"].notes)
        assert any("DATABASE_CONNECTION_CLIENT_NAME=evolution_exchange" in n for n in by_name["beta"].notes)
        assert converter.seen[0] == {"creds": data.CREDS_TEXT}
        assert "Session: Baileys credentials" in run.last_output  # type: ignore[attr-defined]

        # Again: nothing changes (the checkpoint says done), and again from scratch: still nothing.
        await run(env, tmp_path, "evolution-api", source, limits=limits(), converter=converter)
        assert await fingerprint(env, tmp_path) == first
        again = await run(
            env,
            tmp_path,
            "evolution-api",
            source,
            limits=limits(),
            converter=converter,
            restart=True,
            instances={"gamma"},
        )
        assert await fingerprint(env, tmp_path) == first
        assert [r.name for r in again] == ["gamma"]
        assert all(c.inserted == 0 for c in again[0].tables.values())
        assert again[0].count("Message").present == 10_000

        print(f"reruns: {time.monotonic() - t0:.1f} s")
        await _check_routes(env, tmp_path)
        print(f"routes: {time.monotonic() - t0:.1f} s")


async def _check_routes(env: dict[str, str], data_dir: Path) -> None:
    async with running_server(data_dir, {**env, **FAKE_ENV, **SERVER_ENV}) as srv:
        listed = (await srv.client.get("/instance/fetchInstances", headers=srv.headers())).json()
        assert sorted(i["name"] for i in listed) == ["alpha", "beta", "gamma"]
        alpha = next(i for i in listed if i["name"] == "alpha")
        assert alpha["id"] == data.instance_id("alpha") and alpha["token"] == "token-alpha-0123456789"
        assert alpha["ownerJid"] == "5511900000000@s.whatsapp.net" and alpha["profileName"] == "Profile alpha"
        assert alpha["_count"] == {"Message": 60_000, "Contact": 300, "Chat": 200}
        for spec in SPECS:
            token = srv.headers(f"token-{spec.name}-0123456789")  # the old tokens keep working
            settings = (await srv.client.get(f"/settings/find/{spec.name}", headers=token)).json()
            assert settings["groupsIgnore"] is True and settings["msgCall"] == f"busy {spec.name}"
            webhook = (await srv.client.get(f"/webhook/find/{spec.name}", headers=token)).json()
            assert webhook["url"] == f"https://hooks.example.com/{spec.name}"
            assert webhook["events"] == ["MESSAGES_UPSERT", "CONNECTION_UPDATE"]
            assert webhook["headers"] == {"authorization": f"Bearer {spec.name}"}
            found = (await srv.client.post(f"/chat/findMessages/{spec.name}", headers=token, json={})).json()
            assert found["messages"]["total"] == spec.messages
            one = await srv.client.post(
                f"/chat/findMessages/{spec.name}",
                headers=token,
                json={"where": {"key": {"id": "3EB0" + "0" * 15 + "5"}}},
            )
            assert [r["message"]["conversation"][:22] for r in one.json()["messages"]["records"]] == [
                f"message number 5 of {spec.name}"[:22]
            ]
            chats = (await srv.client.post(f"/chat/findChats/{spec.name}", headers=token, json={})).json()
            assert len(chats) == spec.chats
            contacts = (await srv.client.post(f"/chat/findContacts/{spec.name}", headers=token, json={})).json()
            assert len(contacts) == spec.contacts
        rabbit = await srv.client.get("/rabbitmq/find/beta", headers=srv.headers("token-beta-0123456789"))
        assert rabbit.json()["enabled"] is True and rabbit.json()["events"] == ["MESSAGES_UPSERT"]
        proxy = (await srv.client.get("/proxy/find/alpha", headers=srv.headers("token-alpha-0123456789"))).json()
        assert proxy["host"] == "proxy.example.com" and proxy["port"] == "3128"
        typebot = await srv.client.get("/typebot/find/beta", headers=srv.headers("token-beta-0123456789"))
        assert [b["typebot"] for b in typebot.json()] == ["sales-bot"]
