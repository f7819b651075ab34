"""Fencing on every owner write, on a real PostgreSQL: a node that still believes it holds token N
of an instance whose lease another node has taken over (token N+1: the first node "paused") can no
longer store a message, a contact or chat row, or an event of that instance. The refused caller
gets `LeaseLost` (over HTTP: 503 in upstream's envelope), nothing of it is written, the other
instances' rows in the same writer batch commit, and the new owner's writes go through. The row
lock the check takes orders it against a claim in both directions."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import redis.asyncio as aioredis
from aiohttp import web
from sqlalchemy import text

from evolution_py.cluster.fence import CHECK, LeaseFence
from evolution_py.cluster.leases import LeaseStore
from evolution_py.config import load_settings
from evolution_py.events.event import Event
from evolution_py.events.outbox import Outbox
from evolution_py.events.sink import GLOBAL_SCOPE, Delivery
from evolution_py.store.db import Database, LeaseLost, Upsert
from evolution_py.store.messages import MessageStore, message_values
from evolution_py.store.models import new_id
from tests.support.databases import postgres_database
from tests.support.server import free_port, running_server

LEASE_LOST_ANSWER = {
    "status": 503,
    "error": "Service Unavailable",
    "response": {"message": ["This node no longer owns the instance; try again shortly"]},
}


class Shared:
    """One migrated PostgreSQL database with instances i1 and i2 (both leased by node n1, token 1)."""

    def __init__(self, uri: str, url: str) -> None:
        self.uri = uri
        self.url = url
        self.dbs: list[Database] = []

    def database(self) -> Database:
        db = Database(self.url)
        self.dbs.append(db)
        return db

    async def count(self, table: str, instance_id: str) -> int:
        conn = await asyncpg.connect(self.uri)
        try:
            return int(await conn.fetchval(f'SELECT count(*) FROM "{table}" WHERE "instanceId" = $1', instance_id))
        finally:
            await conn.close()

    async def take_over(self, instance_id: str, node_id: str = "n2") -> int:
        """What another node does once the lease expired (the first node paused): a claim, token + 1."""
        conn = await asyncpg.connect(self.uri)
        try:
            await conn.execute(
                'UPDATE "ClusterLease" SET "expiresAt" = now() - interval \'1 second\' WHERE "instanceId" = $1',
                instance_id,
            )
        finally:
            await conn.close()
        token = await LeaseStore(self.database(), node_id, "http://127.0.0.1:9", 30.0).claim(instance_id)
        assert token is not None
        return token


@pytest.fixture
async def shared(tmp_path: Path) -> AsyncIterator[Shared]:
    async with postgres_database() as uri:
        settings = load_settings(
            environ={"DATABASE_PROVIDER": "postgresql", "DATABASE_CONNECTION_URI": uri, "DATA_DIR": str(tmp_path)}
        )
        found = Shared(uri, settings.database_url)
        setup = found.database()
        await setup.migrate()
        async with setup.transaction() as s:
            for instance_id in ("i1", "i2"):
                await s.execute(
                    text(
                        'INSERT INTO "Instance" (id, name, "connectionStatus", "clientName", "createdAt", "updatedAt") '
                        "VALUES (:i, :n, 'open', 'evolution', now(), now())"
                    ),
                    {"i": instance_id, "n": f"name-{instance_id}"},
                )
        n1 = LeaseStore(setup, "n1", "http://127.0.0.1:9", 30.0)
        assert await n1.claim("i1") == 1
        assert await n1.claim("i2") == 1
        try:
            yield found
        finally:
            for db in found.dbs:
                await db.dispose()


def fenced_outbox(db: Database, node_id: str, held: dict[str, int]) -> Outbox:
    """A node's outbox writer with its fence, as cluster/node.py sets it (tokens from memory)."""

    async def token_of(instance_id: str) -> int | None:
        return held.get(instance_id)

    outbox = Outbox(db)
    outbox.fence = LeaseFence(node_id, token_of)
    outbox.start()
    return outbox


def message(instance_id: str) -> dict[str, Any]:
    record = {"key": {"id": new_id(), "remoteJid": "5511999999999@s.whatsapp.net", "fromMe": True}}
    return message_values({**record, "message": {"conversation": "oi"}, "messageType": "conversation"}, instance_id)


def delivery(instance_id: str) -> Delivery:
    event = Event(event="send.message", instance=instance_id or "-", instance_id=instance_id, data={})
    target = "http://127.0.0.1:9/hook"
    return Delivery(sink="webhook", target=target, event=event, options={"scope": GLOBAL_SCOPE})


def contact(instance_id: str) -> Upsert:
    return Upsert("Contact", instance_id, "5511999999999@s.whatsapp.net", {"pushName": "Ana"}, {}, row_id=new_id())


async def publish(outbox: Outbox, instance_id: str) -> None:
    _created, committed = outbox.stage([delivery(instance_id)])
    assert committed is not None
    await committed


async def test_a_paused_owner_writes_nothing_and_the_rest_of_its_batch_commits(shared: Shared) -> None:
    outbox = fenced_outbox(shared.database(), "n1", {"i1": 1, "i2": 1})
    batches: list[int] = []
    write = outbox._sql.write

    async def counted(*args: Any, **kwargs: Any) -> Any:
        batches.append(len(args[0]) + len(args[4] or []) + len(args[5] or []))
        return await write(*args, **kwargs)

    outbox._sql.write = counted  # type: ignore[method-assign]
    try:
        assert await shared.take_over("i1") == 2  # n1 still believes it holds token 1

        # One writer batch: every op below is queued before the writer task runs again.
        results = await asyncio.gather(
            outbox.insert_messages([message("i1")]),
            outbox.insert_messages([message("i2")]),
            outbox.upsert(contact("i1")),
            outbox.upsert(contact("i2")),
            publish(outbox, "i1"),
            publish(outbox, "i2"),
            publish(outbox, ""),  # an event of no instance: never fenced
            return_exceptions=True,
        )
        assert batches == [7], batches
        refused = [r for r in results if isinstance(r, LeaseLost)]
        assert [r.instance_id for r in refused] == ["i1", "i1", "i1"]
        assert [results[i] for i in (1, 3, 5, 6)] == [None, True, None, None]
        for table in ("Message", "Contact", "EventDelivery"):
            assert await shared.count(table, "i1") == 0, table
            assert await shared.count(table, "i2") == 1, table
        assert await shared.count("EventDelivery", "") == 1

        # Every later write of i1 from n1 is refused as well: it never learns otherwise here.
        with pytest.raises(LeaseLost):
            await outbox.insert_messages([message("i1")])
        # Outcomes of deliveries are not owner writes: an ack goes through (a duplicate is harmless).
        outbox.ack("no-such-row")
        await outbox.flush()
    finally:
        await outbox.stop()

    # The new owner (n2, token 2) writes i1's rows.
    successor = fenced_outbox(shared.database(), "n2", {"i1": 2})
    try:
        await successor.insert_messages([message("i1")])
        await publish(successor, "i1")
        assert await successor.upsert(contact("i1")) is True
    finally:
        await successor.stop()
    for table in ("Message", "Contact", "EventDelivery"):
        assert await shared.count(table, "i1") == 1, table


async def test_an_instance_not_held_at_all_is_refused_without_a_query(shared: Shared) -> None:
    outbox = fenced_outbox(shared.database(), "n1", {"i2": 1})
    checks = 0
    check = outbox._sql._check_fence

    async def counted(*args: Any) -> None:
        nonlocal checks
        checks += 1
        await check(*args)

    outbox._sql._check_fence = counted  # type: ignore[method-assign,assignment]
    try:
        with pytest.raises(LeaseLost):
            await outbox.insert_messages([message("i1")])
        await publish(outbox, "")  # no instance: no check either
        assert checks == 0
        await outbox.insert_messages([message("i2")])
        assert checks == 1
    finally:
        await outbox.stop()
    assert await shared.count("Message", "i1") == 0
    # A single node has no fence at all: no check, no query.
    plain = Outbox(shared.database())
    assert plain.fence is None and not plain.fences("i1")
    plain.start()
    try:
        await plain.insert_messages([message("i1")])
    finally:
        await plain.stop()
    assert await shared.count("Message", "i1") == 1


async def test_owner_writes_in_their_own_transaction_are_fenced_too(shared: Shared) -> None:
    """A receipt, a message delete, a chat marked read (and, in the HTTP test below, a connection
    state): written outside the outbox writer, each checked in its own transaction (check_owner)."""
    held = {"i1": 1, "i2": 1}
    lost: list[dict[str, int]] = []

    async def token_of(instance_id: str) -> int | None:
        return held.get(instance_id)

    db = shared.database()
    db.fence = LeaseFence("n1", token_of, lost.append)
    seeded = Outbox(shared.database())  # unfenced: the rows the writes below change
    seeded.start()
    rows = {i: message(i) for i in ("i1", "i2")}
    try:
        await seeded.insert_messages(list(rows.values()))
        for instance_id in ("i1", "i2"):
            await seeded.upsert(
                Upsert("Chat", instance_id, "5511999999999@s.whatsapp.net", {"unreadMessages": 3}, {}, row_id=new_id())
            )
    finally:
        await seeded.stop()

    def store(instance_id: str) -> MessageStore:
        return MessageStore(db, instance_id)

    jid = "5511999999999@s.whatsapp.net"
    assert await store("i1").save_status(key_id=rows["i1"]["keyId"], remote_jid=jid, from_me=True, status="READ")
    await shared.take_over("i1")  # n1 paused; it still believes it holds token 1
    for write in (
        lambda: store("i1").save_status(key_id=rows["i1"]["keyId"], remote_jid=jid, from_me=True, status="PLAYED"),
        lambda: store("i1").mark_deleted(rows["i1"]["keyId"]),
        lambda: store("i1").mark_chat_read(jid),
    ):
        with pytest.raises(LeaseLost):
            await write()
    assert lost and all(found == {"i1": 1} for found in lost)
    assert await shared.count("MessageUpdate", "i1") == 1  # only the receipt from before the pause
    conn = await asyncpg.connect(shared.uri)
    try:
        status = await conn.fetchval('SELECT status FROM "Message" WHERE "instanceId" = $1', "i1")
        unread = await conn.fetchval('SELECT "unreadMessages" FROM "Chat" WHERE "instanceId" = $1', "i1")
        assert (status, unread) == ("READ", 3)
        # the instance still held writes as before
        await store("i2").mark_chat_read(jid)
        assert await conn.fetchval('SELECT "unreadMessages" FROM "Chat" WHERE "instanceId" = $1', "i2") == 0
        deleted = await store("i2").mark_deleted(rows["i2"]["keyId"])
        assert deleted is not None and deleted["status"] == "DELETED"
        # a node that does not hold the instance at all is refused without a query
        held.pop("i2")
        with pytest.raises(LeaseLost):
            await store("i2").mark_chat_read(jid)
    finally:
        await conn.close()


async def test_a_write_waits_for_a_claim_in_flight_and_is_then_refused(shared: Shared) -> None:
    outbox = fenced_outbox(shared.database(), "n1", {"i1": 1, "i2": 1})
    claimer = await asyncpg.connect(shared.uri)
    try:
        claim = claimer.transaction()
        await claim.start()
        # The UPDATE a claim makes (leases.py `claim`), not committed yet: the lease row is locked.
        await claimer.execute(
            'UPDATE "ClusterLease" SET "nodeId" = \'n2\', token = token + 1 WHERE "instanceId" = \'i1\''
        )
        write = asyncio.ensure_future(outbox.insert_messages([message("i1")]))
        await asyncio.sleep(0.5)
        assert not write.done()  # the check waits for the claim's outcome
        await claim.commit()
        with pytest.raises(LeaseLost):
            await write
        await outbox.insert_messages([message("i2")])  # the writer goes on
    finally:
        await claimer.close()
        await outbox.stop()
    assert await shared.count("Message", "i1") == 0
    assert await shared.count("Message", "i2") == 1


async def test_a_claim_waits_for_a_checked_write_to_commit(shared: Shared) -> None:
    """The other direction: the check's FOR SHARE lock makes a claim of the same lease wait until
    the checked transaction committed, so a write that passed the check is never committed after
    the new owner's claim (the statements are the writer's and the claim's own)."""
    writer = await asyncpg.connect(shared.uri)
    n2 = LeaseStore(shared.database(), "n2", "http://127.0.0.1:9", 30.0)
    try:
        async with writer.transaction():
            # A lease that ends in 1.5 s, checked while still valid.
            await writer.execute(
                "UPDATE \"ClusterLease\" SET \"expiresAt\" = (now() AT TIME ZONE 'UTC') + interval '1.5 second' "
                "WHERE \"instanceId\" = 'i1'"
            )
        async with writer.transaction():
            held = await writer.fetch(CHECK, ["i1"], [1], "n1")
            assert [r[0] for r in held] == ["i1"]
            await asyncio.sleep(1.7)  # the lease expires meanwhile: the claim may take it ...
            claim = asyncio.ensure_future(n2.claim("i1"))
            await asyncio.sleep(0.5)
            assert not claim.done()  # ... only once this transaction is over
            await writer.execute(
                'INSERT INTO "Message" (id, key, "messageType", message, source, "messageTimestamp", "instanceId") '
                "VALUES ($1, '{}', 'conversation', '{}', 'unknown', 0, 'i1')",
                new_id(),
            )
        assert await claim == 2
    finally:
        await writer.close()
    assert await shared.count("Message", "i1") == 1


class Hooks:
    """A webhook receiver: (event, instance) of every post. It also stands in for the new owner
    node: a send forwarded to it is recorded as ("forwarded", <instance>, <hop header>)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.url = f"{self.base}/hook"
        self.got: list[tuple[str, str]] = []
        self.forwarded: list[tuple[str, str]] = []
        self._arrived = asyncio.Event()
        self._runner: web.AppRunner | None = None

    async def _hook(self, request: web.Request) -> web.Response:
        body: Any = await request.json()
        self.got.append((body.get("event"), body.get("instance")))
        self._arrived.set()
        return web.json_response({"ok": True})

    async def _owner(self, request: web.Request) -> web.Response:
        self.forwarded.append((request.match_info["name"], request.headers.get("x-evolution-cluster-hop", "")))
        return web.json_response({"sentBy": "n2"}, status=201)

    async def wait_for(self, wanted: set[tuple[str, str]], within: float) -> None:
        try:
            async with asyncio.timeout(within):
                while not wanted <= set(self.got):
                    self._arrived.clear()
                    await self._arrived.wait()
        except TimeoutError:
            pass  # the caller's assertion shows what arrived

    async def __aenter__(self) -> Hooks:
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        app.router.add_post("/message/sendText/{name}", self._owner)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


async def test_a_paused_node_answers_503_and_neither_stores_nor_emits(tmp_path: Path) -> None:
    """The whole path on one cluster node (its ticks 20 s apart, so only the refusal tells it of the
    loss here): a send (`POST /message/sendText`: stored, then emitted) and an inbound message
    (`POST /webhook/evolution`: emitted, then stored) of an instance another node took over are
    refused in upstream's envelope, with no message row stored and no event sent; the same two
    requests for the node's other instance, made at the same moment, are stored and emitted. The
    node then drops the instance, and a retry is forwarded to the new owner."""
    prefix = f"cluster-t-{uuid.uuid4().hex[:8]}"
    redis = aioredis.Redis.from_url("redis://127.0.0.1:6379/0")
    try:
        async with postgres_database() as uri, Hooks() as hooks:
            env = {
                "DATABASE_PROVIDER": "postgresql",
                "DATABASE_CONNECTION_URI": uri,
                "CACHE_REDIS_ENABLED": "true",
                "CACHE_REDIS_URI": "redis://127.0.0.1:6379/0",
                "CACHE_REDIS_PREFIX_KEY": prefix,
                "CLUSTER_ENABLED": "true",
                "CLUSTER_NODE_ID": "n1",
                "CLUSTER_LEASE_SECONDS": "60",
                "WEBHOOK_GLOBAL_ENABLED": "true",
                "WEBHOOK_GLOBAL_URL": hooks.url,
                "WEBHOOK_EVENTS_SEND_MESSAGE": "true",
                "WEBHOOK_EVENTS_MESSAGES_UPSERT": "true",
                "WEBHOOK_EVENTS_INSTANCE_CREATE": "true",
            }
            async with running_server(tmp_path, env) as srv:
                node = srv.services.cluster
                assert node is not None
                ids, tokens, numbers = {}, {}, {}
                for name in ("fence-a", "fence-b"):
                    numbers[name] = "55119" + str(uuid.uuid4().int)[:8]
                    created = await srv.create_instance(name, number=numbers[name])
                    ids[name], tokens[name] = created["instance"]["instanceId"], created["hash"]
                # Claimed by their first write (`instance.create`), before any tick.
                assert node.held == {ids["fence-a"]: 1, ids["fence-b"]: 1}
                srv.services.bus.resume_instances(ids.values())  # what the next tick does: send their events

                db = Database(load_settings(environ=srv.env).database_url)
                try:
                    async with db.transaction() as s:
                        await s.execute(
                            text(
                                'UPDATE "ClusterLease" SET "expiresAt" = now() - interval \'1 second\' '
                                'WHERE "instanceId" = :i'
                            ),
                            {"i": ids["fence-a"]},
                        )
                    n2 = LeaseStore(db, "n2", hooks.base, 60.0)
                    await n2.heartbeat()  # a live node, reachable at `hooks.base`
                    assert await n2.claim(ids["fence-a"]) == 2
                finally:
                    await db.dispose()
                assert node.held[ids["fence-a"]] == 1  # it still believes so
                runtime_a = srv.services.registry.require("fence-a")

                def send(name: str) -> Any:
                    body = {"number": "5511888887777", "text": "oi"}
                    return srv.client.post(f"/message/sendText/{name}", json=body, headers=srv.headers())

                def inbound(name: str) -> Any:
                    body = {
                        "numberId": numbers[name],
                        "key": {"remoteJid": "5511888887777@s.whatsapp.net", "fromMe": False, "id": new_id()},
                        "message": {"conversation": "olá"},
                    }
                    return srv.client.post("/webhook/evolution", json=body, headers=srv.headers(tokens[name]))

                answers = await asyncio.gather(send("fence-a"), inbound("fence-a"), send("fence-b"), inbound("fence-b"))
                for refused in answers[:2]:
                    assert refused.status_code == 503, refused.text
                    assert refused.json() == LEASE_LOST_ANSWER
                assert [a.status_code for a in answers[2:]] == [201, 200], [a.text for a in answers[2:]]

                expected = {("send.message", "fence-b"), ("messages.upsert", "fence-b")}
                await hooks.wait_for(expected, within=10)
                await srv.services.bus.drain()
                assert expected <= set(hooks.got)
                assert ("messages.upsert", "fence-a") not in hooks.got  # emitted first: held until the check passed
                assert ("send.message", "fence-a") not in hooks.got
                conn = await asyncpg.connect(uri)
                try:
                    stored = await conn.fetch('SELECT "instanceId" FROM "Message"')
                    planned = await conn.fetch('SELECT "instanceId", event FROM "EventDelivery"')
                finally:
                    await conn.close()
                assert [r[0] for r in stored] == [ids["fence-b"], ids["fence-b"]]
                assert (ids["fence-a"], "send.message") not in planned
                assert (ids["fence-a"], "messages.upsert") not in planned

                # The refusal told the node: it let the instance go at once, not at its next tick,
                # so the client's retry is forwarded to the new owner.
                for _ in range(100):
                    if "fence-a" not in srv.services.registry:
                        break
                    await asyncio.sleep(0.02)
                assert ids["fence-a"] not in node.held and "fence-a" not in srv.services.registry
                assert node.held == {ids["fence-b"]: 1}
                retried = await send("fence-a")
                assert retried.status_code == 201, retried.text
                assert retried.json() == {"sentBy": "n2"}
                assert hooks.forwarded == [("fence-a", "n1")]
                # A late connection state of the instance let go (its channel closing) is not stored
                # over the new owner's: the Instance row keeps what it had.
                before = await _instance_status(uri, ids["fence-a"])
                await runtime_a.update_connection("close", reason_code=440)
                assert await _instance_status(uri, ids["fence-a"]) == before
    finally:
        keys = [k async for k in redis.scan_iter(f"{prefix}:*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


async def _instance_status(uri: str, instance_id: str) -> tuple[str, int | None]:
    conn = await asyncpg.connect(uri)
    try:
        row = await conn.fetchrow(
            'SELECT "connectionStatus", "disconnectionReasonCode" FROM "Instance" WHERE id = $1', instance_id
        )
    finally:
        await conn.close()
    assert row is not None
    return row[0], row[1]
