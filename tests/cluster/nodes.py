"""Three (or N) evolution-py node subprocesses sharing one fresh PostgreSQL database and a Redis
prefix of their own: what the cluster tests start, inspect and kill."""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx

from tests.support.process import SRC, ServerProcess
from tests.support.server import TEST_API_KEY, free_port
from tests.support.whatsmeow import FAKE_ENV

LEASE_SECONDS = 2.0
T = TypeVar("T")


async def wait_for(check: Callable[[], Awaitable[T | None]], within: float, what: str) -> T:
    """Poll `check` until it answers something true; its last answer is in the failure."""
    deadline = time.monotonic() + within
    last: T | None = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(0.2)
    raise AssertionError(f"{what} not within {within}s; last: {last}")


def read_journal(path: Path) -> list[dict[str, Any]]:
    """The steps the fake neonize client's autopilot wrote (tests/support/fake_neonize.py)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]


class Cluster:
    def __init__(self, tmp: Path, database_uri: str, count: int) -> None:
        self.database_uri = database_uri
        self.prefix = f"cluster-t-{uuid.uuid4().hex[:8]}"
        self.nodes: list[ServerProcess] = []
        for index in range(count):
            port = free_port()
            data = tmp / f"node{index}"
            data.mkdir()
            env = {
                "DATABASE_PROVIDER": "postgresql",
                "DATABASE_CONNECTION_URI": database_uri,
                "CACHE_REDIS_ENABLED": "true",
                "CACHE_REDIS_URI": "redis://127.0.0.1:6379/0",
                "CACHE_REDIS_PREFIX_KEY": self.prefix,
                "CLUSTER_ENABLED": "true",
                "CLUSTER_NODE_ID": f"node{index}",
                "CLUSTER_ADVERTISE_URL": f"http://127.0.0.1:{port}",
                "CLUSTER_LEASE_SECONDS": str(LEASE_SECONDS),
                "WEBSOCKET_ENABLED": "true",
            }
            self.nodes.append(ServerProcess(data, env, port=port))

    def use_fake_neonize(self, journal: Path) -> None:
        """WhatsApp Web instances on the fake client inside each node, driving itself: it pairs by QR,
        or resumes a stored device, and notes each step in `journal`."""
        for node in self.nodes:
            node.env.update(FAKE_ENV)
            node.env["FAKE_NEONIZE_AUTOPILOT"] = str(journal)
            node.env["PYTHONPATH"] = os.pathsep.join([str(SRC), str(SRC.parent)])  # the fake lives in tests/

    async def start(self) -> None:
        await self.nodes[0].start()  # the first one migrates the fresh database alone
        await asyncio.gather(*(node.start() for node in self.nodes[1:]))

    def stop(self) -> None:
        for node in self.nodes:
            if node.proc is not None and node.proc.poll() is None:
                node.kill()

    async def get(self, node: int, path: str) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.nodes[node].base_url, timeout=10) as client:
            return await client.get(path, headers={"apikey": TEST_API_KEY})

    async def owners(self, via: int) -> dict[str, list[str]]:
        """Node id → instances, as `GET /cluster/nodes` on node `via` answers."""
        answer = await self.get(via, "/cluster/nodes")
        assert answer.status_code == 200, answer.text
        return {node["id"]: node["instances"] for node in answer.json()["nodes"]}

    async def sql(self, query: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.database_uri)
        try:
            return list(await conn.fetch(query, *args))
        finally:
            await conn.close()

    async def all_live(self) -> None:
        """Until every node is in the live list, then one lease more: each node has seen the others."""
        deadline = time.monotonic() + 10
        while len(await self.owners(0)) < len(self.nodes):
            assert time.monotonic() < deadline, f"{len(self.nodes)} live nodes"
            await asyncio.sleep(0.2)
        await asyncio.sleep(LEASE_SECONDS)

    async def create_evolution(
        self, client: httpx.AsyncClient, names: list[str], number: Callable[[str], str], **blocks: Any
    ) -> dict[str, dict[str, Any]]:
        """Create each EVOLUTION instance through node 0 with the global key (`blocks`: `webhook`,
        `websocket`, ... as `/instance/create` takes them); returns each one's answer."""
        created: dict[str, dict[str, Any]] = {}
        for name in names:
            answer = await client.post(
                self.nodes[0].base_url + "/instance/create",
                json={"instanceName": name, "integration": "EVOLUTION", "number": number(name), **blocks},
                headers={"apikey": TEST_API_KEY},
            )
            assert answer.status_code == 201, answer.text
            created[name] = answer.json()
        return created

    async def spread(self, names: list[str], *, at_least: int = 1) -> dict[str, list[str]]:
        """Until `names` are each owned once and every node owns at least `at_least` of them."""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            owners = await self.owners(1)
            owned = sorted(n for held in owners.values() for n in held)
            if len(owners) == len(self.nodes) and owned == sorted(names):
                if all(len(held) >= at_least for held in owners.values()):
                    return owners
            await asyncio.sleep(0.2)
        raise AssertionError(f"instances not spread over {len(self.nodes)} nodes: {await self.owners(1)}")

    async def all_open(self, names: list[str], via: list[int]) -> bool:
        """Every instance answers `open` through every listed node (forwarded to its owner as needed)."""
        async with httpx.AsyncClient(timeout=10) as client:
            for index in via:
                for name in names:
                    try:
                        answer = await client.get(
                            f"{self.nodes[index].base_url}/instance/connectionState/{name}",
                            headers={"apikey": TEST_API_KEY},
                        )
                    except httpx.TransportError:
                        return False
                    if answer.status_code != 200 or answer.json()["instance"].get("state") != "open":
                        return False
        return True
