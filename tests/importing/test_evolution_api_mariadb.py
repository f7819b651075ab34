"""Evolution API 2.3.6 on MariaDB (its MySQL schema) into our SQLite and MariaDB: the same rows readable, reruns
change nothing, an interrupted run resumes and ends identical to an uninterrupted one."""

from __future__ import annotations

from pathlib import Path

import pytest

from evolution_py.importing.progress import Interrupted
from tests.importing import upstream_data as data
from tests.importing.sources import fill_mariadb, mariadb_source
from tests.importing.support import FakeConverter, fingerprint, limits, run
from tests.support.databases import database_env
from tests.support.server import running_server
from tests.support.whatsmeow import FAKE_ENV

SPECS = [data.Spec("mya", messages=3000, chats=30, contacts=20), data.Spec("myb", messages=1200, chats=10, contacts=5)]


async def test_evolution_api_mariadb_import(tmp_path: Path) -> None:
    async with mariadb_source() as source:
        await fill_mariadb(source, SPECS)
        straight_dir, resumed_dir = tmp_path / "straight", tmp_path / "resumed"
        # Straight into SQLite; interrupted and resumed into MariaDB (our MySQL path: INSERT IGNORE).
        async with database_env("sqlite", straight_dir) as straight, database_env("mariadb", resumed_dir) as resumed:
            await run(
                straight, straight_dir, "evolution-api", source, limits=limits(batch=500), converter=FakeConverter()
            )
            with pytest.raises(Interrupted):
                await run(
                    resumed,
                    resumed_dir,
                    "evolution-api",
                    source,
                    limits=limits(stop_after=20, batch=500),
                    converter=FakeConverter(),
                )
            await run(
                resumed, resumed_dir, "evolution-api", source, limits=limits(batch=500), converter=FakeConverter()
            )
            expected = await fingerprint(straight, straight_dir)
            assert await fingerprint(resumed, resumed_dir) == expected
            assert expected["Message"][0] == 4200 and expected["Chat"][0] == 40 and expected["Contact"][0] == 25

            await run(resumed, resumed_dir, "evolution-api", source, limits=limits(), restart=True)
            assert await fingerprint(resumed, resumed_dir) == expected

            env = {**resumed, **FAKE_ENV, "DATABASE_CONNECTION_CLIENT_NAME": "evolution_exchange"}
            async with running_server(resumed_dir, env) as srv:
                token = srv.headers("token-mya-0123456789")
                found = (await srv.client.post("/chat/findMessages/mya", headers=token, json={})).json()
                assert found["messages"]["total"] == 3000
                record = found["messages"]["records"][0]
                assert record["key"]["remoteJid"].endswith("@s.whatsapp.net") and record["source"] == "android"
                settings = (await srv.client.get("/settings/find/mya", headers=token)).json()
                assert settings["rejectCall"] is True and settings["alwaysOnline"] is True
                webhook = await srv.client.get("/webhook/find/myb", headers=srv.headers("token-myb-0123456789"))
                assert webhook.json()["webhookByEvents"] is True and webhook.json()["enabled"] is True
