"""The channels' inbound webhooks on two real nodes (issue 17: any node answers any route): a load
balancer may hand `POST /webhook/evolution` (with the global key) or Meta's `POST /webhook/meta` (no
key at all, a signed body) to the node that does not hold the instance the body names. That node
hands the request, unchanged, to the owner, which stores the message; a Meta batch naming instances
on both nodes is taken by both. Before, the node answered success and dropped the message."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from evolution_py.cluster.placement import owner_of
from tests.cluster.nodes import Cluster
from tests.support import meta_webhooks as meta
from tests.support.databases import postgres_database
from tests.support.server import TEST_API_KEY

pytestmark = pytest.mark.slow

SECRET = "app-secret-0123456789"
NODES = ["node0", "node1"]


def _names(prefix: str, per_node: int) -> dict[str, list[str]]:
    """Instance names the placement puts on each node (it hashes the name over the node ids)."""
    chosen: dict[str, list[str]] = {node: [] for node in NODES}
    for n in itertools.count():
        name = f"{prefix}-{n:02d}"
        node = owner_of(name, NODES)
        assert node is not None
        if len(chosen[node]) < per_node:
            chosen[node].append(name)
        if all(len(names) == per_node for names in chosen.values()):
            return chosen
    raise AssertionError("unreachable")


def _every(placed: dict[str, list[str]]) -> list[str]:
    return [name for names in placed.values() for name in names]


def _meta_body(*numbers: str) -> dict[str, Any]:
    """One delivery whose entries carry a text message for each phone-number id."""
    entries = []
    for number in numbers:
        value = meta.messages_value(number, meta.text(f"wamid.{uuid.uuid4().hex}", f"hello {number}"))
        entries.append({"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]})
    return {"object": "whatsapp_business_account", "entry": entries}


async def _stored(client: httpx.AsyncClient, base: str, name: str) -> int:
    found = await client.post(f"{base}/chat/findMessages/{name}", json={"where": {}}, headers={"apikey": TEST_API_KEY})
    assert found.status_code == 200, found.text
    return int(found.json()["messages"]["total"])


async def _until_stored(client: httpx.AsyncClient, base: str, name: str, count: int) -> None:
    deadline = time.monotonic() + 10
    while (stored := await _stored(client, base, name)) < count:
        assert time.monotonic() < deadline, f"{name}: {stored} of {count} messages stored"
        await asyncio.sleep(0.1)
    assert stored == count, f"{name}: {stored} messages stored, {count} expected"


async def test_inbound_webhooks_reach_the_owner_from_any_node(tmp_path: Path) -> None:
    evolution = _names("in-evo", 2)
    business = _names("in-biz", 2)
    numbers = {name: f"1065403522{i:05d}" for i, name in enumerate(_every(business))}
    async with postgres_database() as uri:
        cluster = Cluster(tmp_path, uri, 2)
        for process in cluster.nodes:
            process.env["WA_BUSINESS_APP_SECRET"] = SECRET
        try:
            await cluster.start()
            await cluster.all_live()
            base = {node: cluster.nodes[i].base_url for i, node in enumerate(NODES)}
            async with httpx.AsyncClient(timeout=15) as client:
                for name in _every(evolution):
                    body = {"instanceName": name, "integration": "EVOLUTION", "number": f"55117{name[-2:]}0000"}
                    created = await client.post(
                        base["node0"] + "/instance/create", json=body, headers={"apikey": TEST_API_KEY}
                    )
                    assert created.status_code == 201, created.text
                for name in _every(business):
                    body = {
                        "instanceName": name,
                        "integration": "WHATSAPP-BUSINESS",
                        "token": "EAAG-test-access-token",
                        "number": numbers[name],
                    }
                    created = await client.post(
                        base["node0"] + "/instance/create", json=body, headers={"apikey": TEST_API_KEY}
                    )
                    assert created.status_code == 201, created.text
                deadline = time.monotonic() + 20
                while True:
                    owners = await cluster.owners(1)
                    expected = {node: sorted(evolution[node] + business[node]) for node in NODES}
                    if {node: sorted(names) for node, names in owners.items()} == expected:
                        break
                    assert time.monotonic() < deadline, owners
                    await asyncio.sleep(0.2)

                # EVOLUTION, with the global key, through the node that does not hold the instance.
                for node, other in (("node0", "node1"), ("node1", "node0")):
                    for name in evolution[node]:
                        inbound = {
                            "numberId": f"55117{name[-2:]}0000",
                            "key": {"remoteJid": "5511888887777@s.whatsapp.net", "fromMe": False},
                            "message": {"conversation": f"hello {name}"},
                        }
                        sent = await client.post(
                            base[other] + "/webhook/evolution", json=inbound, headers={"apikey": TEST_API_KEY}
                        )
                        assert (sent.status_code, sent.json()) == (200, {"status": "success"}), sent.text
                        await _until_stored(client, base[node], name, 1)

                # Meta: signed, no key, through the other node; a wrong signature is the owner's 401.
                for node, other in (("node0", "node1"), ("node1", "node0")):
                    for name in business[node]:
                        raw, headers = meta.signed(_meta_body(numbers[name]), SECRET)
                        sent = await client.post(base[other] + "/webhook/meta", content=raw, headers=headers)
                        assert (sent.status_code, sent.json()) == (200, {"status": "success"}), sent.text
                        await _until_stored(client, base[node], name, 1)
                        raw, headers = meta.signed(_meta_body(numbers[name]), "another-secret")
                        refused = await client.post(base[other] + "/webhook/meta", content=raw, headers=headers)
                        assert refused.status_code == 401, refused.text

                # One batch naming an instance on each node (and a number nobody has): both take theirs.
                first, second = business["node0"][1], business["node1"][1]
                raw, headers = meta.signed(_meta_body(numbers[first], numbers[second], "999000999"), SECRET)
                sent = await client.post(base["node0"] + "/webhook/meta", content=raw, headers=headers)
                assert (sent.status_code, sent.json()) == (200, {"status": "success"}), sent.text
                await _until_stored(client, base["node0"], first, 2)
                await _until_stored(client, base["node1"], second, 2)
                # A batch for the other node's instances only is handed over whole.
                pair = business["node1"]
                raw, headers = meta.signed(_meta_body(*(numbers[n] for n in pair)), SECRET)
                sent = await client.post(base["node0"] + "/webhook/meta", content=raw, headers=headers)
                assert (sent.status_code, sent.json()) == (200, {"status": "success"}), sent.text
                await _until_stored(client, base["node1"], pair[0], 2)
                await _until_stored(client, base["node1"], pair[1], 3)
        finally:
            cluster.stop()
