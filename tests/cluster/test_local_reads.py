"""Reads that the database answers need no forwarding (issue 17): two nodes sharing PostgreSQL and
Redis; a database-only read (`LOCAL_READS` in cluster/routing.py) sent to the node that does not
own the instance is answered there, with the owner's answer, and the same token check: a token of
another instance is refused exactly as on the owner. Anything else is still forwarded."""

from __future__ import annotations

import signal
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cluster.nodes import Cluster
from tests.support.databases import postgres_database
from tests.support.server import TEST_API_KEY

pytestmark = pytest.mark.slow

LOCAL = "x-evolution-cluster-read"
NAMES = [f"rd-{n:02d}" for n in range(8)]


def _number(name: str) -> str:
    return "5511700" + name.removeprefix("rd-").zfill(6)


async def _ask(client: httpx.AsyncClient, base: str, read: tuple[str, str, Any], name: str, key: str) -> httpx.Response:
    method, path, body = read
    return await client.request(method, f"{base}{path}{name}", json=body, headers={"apikey": key})


READS: list[tuple[str, str, Any]] = [
    ("POST", "/chat/findMessages/", {"where": {}}),
    ("POST", "/chat/findChats/", {}),
    ("POST", "/chat/findContacts/", {}),
    ("GET", "/settings/find/", None),
    ("GET", "/webhook/find/", None),
]


async def test_database_reads_are_answered_on_a_non_owner(tmp_path: Path) -> None:
    async with postgres_database() as uri:
        cluster = Cluster(tmp_path, uri, 2)
        try:
            await cluster.start()
            await cluster.all_live()
            tokens: dict[str, str] = {}
            base = [node.base_url for node in cluster.nodes]
            async with httpx.AsyncClient(timeout=15) as client:
                hook = {"url": "http://127.0.0.1:9/hook", "enabled": False, "events": []}
                for name, created in (await cluster.create_evolution(client, NAMES, _number, webhook=hook)).items():
                    tokens[name] = created["hash"]
                owners = await cluster.spread(NAMES, at_least=2)
                owner_of = {n: int(node.removeprefix("node")) for node, ns in owners.items() for n in ns}
                for name in NAMES:  # one stored message, chat and contact each, through the owner
                    inbound = {
                        "numberId": _number(name),
                        "key": {"remoteJid": "5511888887777@s.whatsapp.net", "fromMe": False, "id": uuid.uuid4().hex},
                        "pushName": "Ana",
                        "message": {"conversation": f"hello {name}"},
                    }
                    sent = await client.post(
                        base[owner_of[name]] + "/webhook/evolution", json=inbound, headers={"apikey": tokens[name]}
                    )
                    assert sent.status_code == 200, sent.text

                for name in NAMES:
                    owner, other = owner_of[name], 1 - owner_of[name]
                    for read in READS:
                        for key in (tokens[name], TEST_API_KEY):
                            there = await _ask(client, base[owner], read, name, key)
                            here = await _ask(client, base[other], read, name, key)
                            assert there.status_code == 200, (read, there.text)
                            assert LOCAL not in there.headers  # the owner answers as a single node
                            assert here.headers.get(LOCAL) == "local", (read, here.headers)
                            assert (here.status_code, here.json()) == (there.status_code, there.json()), read
                    messages = (await _ask(client, base[other], READS[0], name, tokens[name])).json()
                    assert messages["messages"]["total"] == 1, messages

                    # Tenants reach only their own things: another instance's token, one held by
                    # either node, is refused on the non-owner exactly as on the owner.
                    for stranger in (owners[f"node{owner}"], owners[f"node{other}"]):
                        foreign = tokens[next(n for n in stranger if n != name)]
                        for read in READS:
                            there = await _ask(client, base[owner], read, name, foreign)
                            here = await _ask(client, base[other], read, name, foreign)
                            assert there.status_code == here.status_code == 401, (read, here.text)
                            assert here.json() == there.json()
                    missing = await _ask(client, base[other], READS[0], "rd-missing", tokens[name])
                    assert missing.status_code == 404, missing.text

                    # The live channel is still the owner's: connectionState goes there.
                    state = await client.get(
                        f"{base[other]}/instance/connectionState/{name}", headers={"apikey": tokens[name]}
                    )
                    assert state.status_code == 200 and LOCAL not in state.headers, state.headers

                # Proof that no forward happens: with the owner paused (its lease still valid, so a
                # forward would hang until the timeout), the other node still answers at once.
                name = owners["node0"][0]
                expected = (await _ask(client, base[1], READS[0], name, tokens[name])).json()
                paused = cluster.nodes[0].proc
                assert paused is not None
                paused.send_signal(signal.SIGSTOP)
                try:
                    started = time.monotonic()
                    answer = await _ask(client, base[1], READS[0], name, tokens[name])
                    assert answer.status_code == 200 and answer.json() == expected
                    assert time.monotonic() - started < 2.0
                finally:
                    paused.send_signal(signal.SIGCONT)
        finally:
            cluster.stop()
