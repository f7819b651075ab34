"""DATABASE_PROVIDER=psql_bouncer through a real PgBouncer in transaction mode (issue 21).

Two server connections serve every client transaction, so a statement one transaction left
prepared would be met by the next client on the same server connection; with the provider's
settings none is left. Migrations, the API's reads and writes, and the outbox (its writer,
claims and acks) all run through the bouncer; no listener or session lock is needed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from evolution_py.sinks.webhook.testing import Receiver
from tests.support import pgbouncer
from tests.support.databases import postgres_database
from tests.support.server import running_server, unique

pytestmark = pytest.mark.skipif(not pgbouncer.available(), reason="pgbouncer is not installed (.ci/run installs it)")


async def test_everything_works_through_pgbouncer_in_transaction_mode(tmp_path: Path) -> None:
    async with postgres_database() as uri, pgbouncer.pgbouncer(pool_size=2) as port, Receiver() as rx:
        database = uri.rsplit("/", 1)[1]
        env = {
            "DATABASE_PROVIDER": "psql_bouncer",
            "DATABASE_CONNECTION_URI": f"postgresql://postgres@127.0.0.1:{port}/{database}?schema=public",
        }
        async with running_server(tmp_path, env) as srv:
            name = unique()
            await srv.create_instance(name, webhook={"url": rx.url + "/hook", "events": ["SEND_MESSAGE"]})

            async def send(index: int) -> str:
                response = await srv.client.post(
                    f"/message/sendText/{name}",
                    json={"number": "5511777776666", "text": f"via bouncer {index} 😀"},
                    headers=srv.headers(),
                )
                assert response.status_code == 201, response.text
                return str(response.json()["key"]["id"])

            async def read() -> None:
                response = await srv.client.post(f"/chat/findMessages/{name}", json={}, headers=srv.headers())
                assert response.status_code == 200, response.text

            results = await asyncio.gather(*(send(i) for i in range(40)), *(read() for _ in range(40)))
            sent = {r for r in results if isinstance(r, str)}
            await rx.wait_for(lambda r: {e.body["data"]["key"]["id"] for e in r.events("send.message")} >= sent, 20)
            found = await srv.client.post(f"/chat/findMessages/{name}", json={}, headers=srv.headers())
            assert found.json()["messages"]["total"] == 40
            texts = {m["message"]["conversation"] for m in found.json()["messages"]["records"]}
            assert "via bouncer 0 😀" in texts
            fetched = await srv.client.get("/instance/fetchInstances", headers=srv.headers())
            assert [i["name"] for i in fetched.json()] == [name]
