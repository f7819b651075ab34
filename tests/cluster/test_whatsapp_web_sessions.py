"""issue 17, Sessions: two nodes (subprocesses) on one PostgreSQL database; WhatsApp Web instances on
the fake neonize client are paired (QR) on their owners; the busiest owner is killed (-9), and the
other node resumes every one of its instances from the session store in PostgreSQL with no QR code.
Then the node comes back, takes its share again (a graceful hand-over) and resumes those too.

The fake runs inside each node, so it drives itself (`FAKE_NEONIZE_AUTOPILOT`): a client whose store
holds a device resumes it (Connected), one with an empty store shows a QR code and is paired; each
step is written to a journal this test reads."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from evolution_py.channels.whatsapp_web.pg_sessions import schema_name
from tests.cluster.nodes import LEASE_SECONDS, Cluster, read_journal, wait_for
from tests.support.databases import postgres_database
from tests.support.server import TEST_API_KEY

pytestmark = pytest.mark.slow

INSTANCES = 6
DEVICE = "5511999990000:1@s.whatsapp.net"


async def test_a_whatsapp_web_instance_moves_to_another_node_without_a_new_qr(tmp_path: Path) -> None:
    journal = tmp_path / "fake-neonize.jsonl"
    async with postgres_database() as uri:
        cluster = Cluster(tmp_path, uri, 2)
        cluster.use_fake_neonize(journal)
        try:
            await cluster.start()
            await cluster.all_live()
            names = [f"wa-{n:02d}" for n in range(INSTANCES)]
            ids: dict[str, str] = {}
            async with httpx.AsyncClient(base_url=cluster.nodes[0].base_url, timeout=30) as client:
                for name in names:
                    created = await client.post(
                        "/instance/create",
                        json={"instanceName": name, "integration": "WHATSAPP-BAILEYS"},
                        headers={"apikey": TEST_API_KEY},
                    )
                    assert created.status_code == 201, created.text
                    ids[name] = created.json()["instance"]["instanceId"]
                    connect = await client.get(f"/instance/connect/{name}", headers={"apikey": TEST_API_KEY})
                    assert connect.status_code == 200, connect.text
            await wait_for(lambda: cluster.all_open(names, [0, 1]), 20, "every instance paired and open")

            owners = await cluster.owners(1)
            paired = {line["instance"]: line for line in read_journal(journal) if line["step"] == "paired"}
            for name in names:  # each paired on its owner, into its own schema
                line = paired[ids[name]]
                assert name in owners[line["node"]], (name, line, owners)
                assert line["store"] == f"pg:{schema_name(ids[name])}" and line["device"] == DEVICE
            busiest = max(owners, key=lambda node: len(owners[node]))
            assert owners[busiest], owners
            victim = int(busiest.removeprefix("node"))
            survivor = 1 - victim
            moved = sorted(owners[busiest])
            seen = len(read_journal(journal))

            cluster.nodes[victim].kill()
            await wait_for(lambda: cluster.all_open(names, [survivor]), 3 * LEASE_SECONDS + 10, "taken over")
            assert busiest not in await cluster.owners(survivor)
            after_kill = read_journal(journal)[seen:]
            resumed = {line["instance"]: line for line in after_kill if line["step"] == "resumed"}
            for name in moved:  # the survivor found each device in PostgreSQL: no QR, the same device
                line = resumed[ids[name]]
                assert line["node"] == f"node{survivor}"
                assert line["store"] == f"pg:{schema_name(ids[name])}" and line["device"] == DEVICE
            assert [line for line in after_kill if line["step"] != "resumed"] == []  # no QR anywhere
            assert not (tmp_path / f"node{survivor}" / "sessions").exists()  # nothing in DATA_DIR

            # The node comes back: its share is handed over by the survivor (channel closed, lease
            # released) and resumed on it from the same store, again with no QR code.
            seen = len(read_journal(journal))
            await cluster.nodes[victim].start()

            async def rebalanced() -> bool:  # placement is a pure function of ids and nodes: as before
                now = await cluster.owners(survivor)
                return _sorted(now) == _sorted(owners) and await cluster.all_open(names, [0, 1])

            await wait_for(rebalanced, 30, "the node back with its share, open")
            after_join = read_journal(journal)[seen:]
            assert {line["instance"] for line in after_join if line["node"] == busiest} == {ids[n] for n in moved}
            assert all(line["step"] == "resumed" and line["device"] == DEVICE for line in after_join), after_join
        finally:
            cluster.stop()


def _sorted(owners: dict[str, list[str]]) -> dict[str, list[str]]:
    return {node: sorted(held) for node, held in owners.items()}
