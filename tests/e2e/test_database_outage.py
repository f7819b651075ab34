"""PostgreSQL or MariaDB out of reach (issue 10, item 10): routes that need it answer 503 with Retry-After in
each dialect's envelope, and the server comes back by itself when the database does, the event bus
included. The outage is a TCP proxy between the server and the shared PostgreSQL, cut and restored;
the same on MariaDB (issue 21)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from evolution_py.sinks.rabbitmq.testing import TcpProxy
from evolution_py.sinks.webhook.testing import Receiver
from tests.support.databases import mariadb_database, postgres_database
from tests.support.server import RunningServer, running_server, unique

UNAVAILABLE = {
    "status": 503,
    "error": "Service Unavailable",
    "response": {"message": ["The database is unavailable; try again shortly"]},
}


async def find_messages(srv: RunningServer, name: str) -> httpx.Response:
    return await srv.client.post(f"/chat/findMessages/{name}", json={}, headers=srv.headers())


@pytest.mark.parametrize("kind", ["postgresql", "mariadb"])
async def test_database_outage_answers_503_and_recovers(tmp_path: Path, kind: str) -> None:
    port = 5432 if kind == "postgresql" else 3306
    proxy = TcpProxy("127.0.0.1", port)
    await proxy.start()
    try:
        database = postgres_database() if kind == "postgresql" else mariadb_database()
        async with database as uri, Receiver() as rx:
            assert f":{port}/" in uri, uri
            env = {
                "DATABASE_PROVIDER": "postgresql" if kind == "postgresql" else "mysql",
                "DATABASE_CONNECTION_URI": uri.replace(f":{port}/", f":{proxy.port}/", 1),
            }
            async with running_server(tmp_path, env) as srv:
                name = unique()
                created = await srv.create_instance(name, webhook={"url": rx.url + "/hook", "events": ["SEND_MESSAGE"]})
                instance_id = created["instance"]["instanceId"]
                assert (await find_messages(srv, name)).status_code == 200

                await proxy.cut()
                started = time.monotonic()
                v2 = [
                    await find_messages(srv, name),
                    await srv.client.get("/instance/fetchInstances", headers=srv.headers()),
                    # an instance this process has not loaded: even the guard's lookup needs the database
                    await srv.client.get(f"/instance/connectionState/{unique()}", headers=srv.headers()),
                ]
                for response in v2:
                    assert (response.status_code, response.json()) == (503, UNAVAILABLE), response.text
                    assert response.headers["retry-after"] == "5"
                # What the process holds needs no database.
                state = await srv.client.get(f"/instance/connectionState/{name}", headers=srv.headers())
                assert state.status_code == 200, state.text
                # A send stores first: with nothing stored, nothing is sent and no event goes out.
                refused = await srv.client.post(
                    f"/message/sendText/{name}",
                    json={"number": "5511777776666", "text": "during the outage"},
                    headers=srv.headers(),
                )
                assert (refused.status_code, refused.json()) == (503, UNAVAILABLE), refused.text
                go = await srv.client.get(f"/instance/logs/{instance_id}", headers=srv.headers())
                assert (go.status_code, go.json()) == (503, {"error": "The database is unavailable; try again shortly"})
                assert go.headers["retry-after"] == "5"
                assert time.monotonic() - started < 5, "a refused connection answers at once"

                await proxy.restore()
                deadline = time.monotonic() + 5
                while (answer := await find_messages(srv, name)).status_code != 200:
                    assert time.monotonic() < deadline, answer.text
                    await asyncio.sleep(0.1)
                fetched = await srv.client.get("/instance/fetchInstances", headers=srv.headers())
                assert [i["name"] for i in fetched.json()] == [name]

                # The bus writes through its own connection, which the cut killed: it reconnects too.
                sent = await asyncio.wait_for(
                    srv.client.post(
                        f"/message/sendText/{name}",
                        json={"number": "5511777776666", "text": "after the outage"},
                        headers=srv.headers(),
                    ),
                    timeout=15,
                )
                assert sent.status_code == 201, sent.text
                await rx.wait_for(lambda r: len(r.events("send.message")) == 1, within=15)
                await asyncio.sleep(0.3)
                texts = [r.body["data"]["message"]["conversation"] for r in rx.events("send.message")]
                assert texts == ["after the outage"]
    finally:
        await proxy.close()
