"""Leases and fencing on a real PostgreSQL: a claim only takes a free or expired lease and raises the
token; an owner that paused past its lease cannot renew, release or pass the fencing check once
another node claimed it. Sink-row changes reach another node's cache over Redis pub/sub."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from sqlalchemy import text

from evolution_py.cluster.broadcast import SubscriptionBroadcast
from evolution_py.cluster.leases import LeaseStore
from evolution_py.config import load_settings
from evolution_py.events.subscriptions import Subscriptions
from evolution_py.store.db import Database
from tests.support.databases import postgres_database


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with postgres_database() as uri:
        settings = load_settings(
            environ={"DATABASE_PROVIDER": "postgresql", "DATABASE_CONNECTION_URI": uri, "DATA_DIR": str(tmp_path)}
        )
        database = Database(settings.database_url)
        await database.migrate()
        async with database.transaction() as s:
            await s.execute(
                text(
                    'INSERT INTO "Instance" (id, name, "connectionStatus", "clientName", "createdAt", "updatedAt") '
                    "VALUES ('i1', 'one', 'close', 'evolution', now(), now())"
                )
            )
        try:
            yield database
        finally:
            await database.dispose()


async def test_claim_renew_and_fencing(db: Database) -> None:
    a = LeaseStore(db, "a", "http://a", lease_seconds=1.0)
    b = LeaseStore(db, "b", "http://b", lease_seconds=1.0)
    assert await a.claim("i1") == 1
    assert await b.claim("i1") is None  # held and unexpired
    assert await a.renew({"i1": 1}) == {"i1"}
    assert await a.still_owner("i1", 1)

    await asyncio.sleep(1.2)  # a "pauses" past its lease
    assert not await a.still_owner("i1", 1)  # expired: no owner write passes the check
    assert await b.claim("i1") == 2
    assert await a.renew({"i1": 1}) == set()  # the stale owner learns it lost the lease
    await a.release("i1", 1)  # and cannot give away what is no longer its own
    assert await b.still_owner("i1", 2)
    assert await b.renew({"i1": 2}) == {"i1"}

    await b.release("i1", 2)  # a hand-over: free at once, the token kept
    assert await a.claim("i1") == 3
    claims = await _claims(db)
    assert claims == [("a", 1), ("b", 2), ("a", 3)]


async def test_heartbeats_and_leaving(db: Database) -> None:
    a = LeaseStore(db, "a", "http://a", lease_seconds=1.0)
    b = LeaseStore(db, "b", "http://b", lease_seconds=1.0)
    await a.heartbeat()
    await b.heartbeat()
    assert [n.id for n in await a.live_nodes()] == ["a", "b"]
    await b.leave()
    assert [n.id for n in await a.live_nodes()] == ["a"]
    await asyncio.sleep(1.1)
    assert await a.live_nodes() == []  # a missed heartbeat drops a node from the live list


async def _claims(db: Database) -> list[tuple[str, int]]:
    async with db.session() as s:
        rows = await s.execute(text('SELECT "nodeId", token FROM "ClusterClaim" ORDER BY id'))
        return [(r[0], int(r[1])) for r in rows]


async def test_sink_row_changes_reach_the_other_nodes(db: Database) -> None:
    channel = f"cluster-t-{uuid.uuid4().hex[:8]}:cluster:sink-rows"
    redis_a = aioredis.Redis.from_url("redis://127.0.0.1:6379/0")
    redis_b = aioredis.Redis.from_url("redis://127.0.0.1:6379/0")
    subs_a, subs_b = Subscriptions(db), Subscriptions(db)
    node_a = SubscriptionBroadcast(redis_a, channel, "a", subs_a)
    node_b = SubscriptionBroadcast(redis_b, channel, "b", subs_b)
    node_a.start()
    node_b.start()
    try:
        await asyncio.wait_for(asyncio.gather(node_a.ready.wait(), node_b.ready.wait()), 5)
        assert await subs_b.find("webhook", "i1") is None  # cached on b: "no row"
        await subs_a.save("webhook", "i1", {"url": "http://example.test/hook", "enabled": True, "events": []})
        for _ in range(50):
            found = await subs_b.find("webhook", "i1")
            if found is not None:
                break
            await asyncio.sleep(0.05)
        assert found is not None and found["url"] == "http://example.test/hook"
    finally:
        await node_a.stop()
        await node_b.stop()
        await redis_a.aclose()
        await redis_b.aclose()
