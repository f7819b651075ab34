"""issue 17's Done-when: three nodes on loopback ports sharing PostgreSQL, Redis and RabbitMQ, 60
EVOLUTION instances and a few WhatsApp Web ones (on the fake neonize client, paired by QR) spread
over them, `kill -9` of the busiest node holding a WhatsApp Web instance mid-stream of inbound
messages, its instances owned again within 3 lease periods with no instance ever owned twice
(fencing tokens), every accepted message at the webhook and at a RabbitMQ consumer, socket.io
clients on a surviving node seeing the moved instances' events, its WhatsApp Web instances resumed
from PostgreSQL with no QR, and the node back taking its share."""

from __future__ import annotations

import asyncio
import random
import signal
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from evolution_py.sinks.rabbitmq.testing import AMQP_URI, amqp_consumer, body
from evolution_py.sinks.socketio.testing import sio_listener
from tests.cluster.nodes import LEASE_SECONDS, Cluster, read_journal, wait_for
from tests.cluster.receiver import Receiver
from tests.support.databases import postgres_database
from tests.support.server import TEST_API_KEY

pytestmark = pytest.mark.slow

INSTANCES = 60
WA_INSTANCES = 4  # WHATSAPP-BAILEYS on the fake neonize client (tests/cluster/test_whatsapp_web_sessions.py)


async def test_three_nodes_share_fail_over_and_rebalance(tmp_path: Path) -> None:
    async with postgres_database() as uri, Receiver() as receiver, amqp_consumer() as consumer:
        cluster = Cluster(tmp_path, uri, 3)
        journal = tmp_path / "fake-neonize.jsonl"
        # RabbitMQ's global mode: every node publishes its instances' messages.upsert to one exchange,
        # and one consumer reads them all from one queue.
        tag = uuid.uuid4().hex[:8]
        exchange, queue = f"cl3_{tag}", f"cl3{tag}.messages.upsert"
        consumer.track(queues=(queue,), exchanges=(exchange,))
        await consumer.prepare(queue)
        cluster.use_fake_neonize(journal)  # the fake pairs by QR, or resumes a stored device
        for node in cluster.nodes:
            node.env.update({
                "RABBITMQ_ENABLED": "true", "RABBITMQ_URI": AMQP_URI, "RABBITMQ_GLOBAL_ENABLED": "true",
                "RABBITMQ_EVENTS_MESSAGES_UPSERT": "true", "RABBITMQ_EXCHANGE_NAME": exchange,
                "RABBITMQ_PREFIX_KEY": f"cl3{tag}",
            })  # fmt: skip
        try:
            await cluster.start()
            names = [f"cl-{n:02d}" for n in range(INSTANCES)]
            wa_names = [f"wa-{n:02d}" for n in range(WA_INSTANCES)]
            wa_ids: dict[str, str] = {}
            every = sorted(names + wa_names)
            tokens: dict[str, str] = {}
            sent: set[str] = set()
            stop = asyncio.Event()

            async def all_live() -> bool:
                return len(await cluster.owners(0)) == 3

            await wait_for(all_live, 10, "3 live nodes")
            await asyncio.sleep(LEASE_SECONDS)  # past one tick of every node: each sees the other two
            async with httpx.AsyncClient(base_url=cluster.nodes[0].base_url, timeout=30) as client:
                for name in names:
                    answer = await client.post(
                        "/instance/create",
                        json={
                            "instanceName": name,
                            "integration": "EVOLUTION",
                            "number": number_of(name),
                            "webhook": {"url": receiver.url, "enabled": True, "events": ["MESSAGES_UPSERT"]},
                            "websocket": {"enabled": True, "events": ["MESSAGES_UPSERT"]},
                        },
                        headers={"apikey": TEST_API_KEY},
                    )
                    assert answer.status_code == 201, answer.text
                    tokens[name] = answer.json()["hash"]
                for name in wa_names:
                    answer = await client.post(
                        "/instance/create",
                        json={"instanceName": name, "integration": "WHATSAPP-BAILEYS"},
                        headers={"apikey": TEST_API_KEY},
                    )
                    assert answer.status_code == 201, answer.text
                    tokens[name] = answer.json()["hash"]
                    wa_ids[name] = answer.json()["instance"]["instanceId"]
                    connect = await client.get(f"/instance/connect/{name}", headers={"apikey": TEST_API_KEY})
                    assert connect.status_code == 200, connect.text

            async def spread() -> dict[str, list[str]] | None:
                owners = await cluster.owners(1)
                owned = [n for names_ in owners.values() for n in names_]
                if len(owners) == 3 and sorted(owned) == every and all(owners.values()):
                    return owners
                return None

            owners = await wait_for(spread, 20, "the instances spread over 3 nodes, each owned once")
            await wait_for(lambda: cluster.all_open(wa_names, [1]), 20, "WhatsApp Web instances paired")
            # All created through node0, yet each one was created on its owner: one claim each, no move.
            first_claims = await cluster.sql('SELECT "instanceId", count(*) AS n FROM "ClusterClaim" GROUP BY 1')
            every_claim = await cluster.sql(
                'SELECT "instanceId", "nodeId", token, "claimedAt" FROM "ClusterClaim" ORDER BY id'
            )
            assert len(first_claims) == len(every) and all(r["n"] == 1 for r in first_claims), [
                (r["instanceId"][:4], r["nodeId"], r["token"], r["claimedAt"].strftime("%S.%f"))
                for r in every_claim
                if any(f["instanceId"] == r["instanceId"] and f["n"] > 1 for f in first_claims)
            ]
            await _every_node_answers_for_every_instance(cluster, every, tokens, [0, 1, 2])
            # the busiest node among those holding a WhatsApp Web instance, so a session always moves
            busiest = max(owners, key=lambda node: (bool(set(owners[node]) & set(wa_names)), len(owners[node])))
            victim = int(busiest.removeprefix("node"))
            moved = set(owners[busiest])
            moved_wa = sorted(moved & set(wa_names))
            seen = len(read_journal(journal))

            live = [0, 1, 2]
            stream = asyncio.create_task(_inbound_stream(cluster, names, tokens, live, sent, stop))
            await asyncio.sleep(1.0)  # mid-stream
            live.remove(victim)
            cluster.nodes[victim].kill()
            killed_at = time.monotonic()
            survivor = (victim + 1) % 3

            async def taken_over() -> dict[str, list[str]] | None:
                owners = await cluster.owners(survivor)
                owned = [n for names_ in owners.values() for n in names_]
                if busiest not in owners and sorted(owned) == every:
                    return owners
                return None

            await wait_for(taken_over, 3 * LEASE_SECONDS + 4, "the killed node's instances owned again")
            takeover = time.monotonic() - killed_at
            print(f"takeover after kill -9: {takeover:.1f} s (lease {LEASE_SECONDS} s)")
            assert takeover <= 3 * LEASE_SECONDS + 1.0, takeover

            await _every_node_answers_for_every_instance(cluster, every, tokens, [n for n in range(3) if n != victim])

            # Its WhatsApp Web instances are open on their new owners, from the device stored in their
            # PostgreSQL schema: resumed, no QR code shown anywhere.
            await wait_for(lambda: cluster.all_open(wa_names, [survivor]), 20, "WhatsApp Web instances open again")
            after_kill = read_journal(journal)[seen:]
            resumed = {line["instance"]: line for line in after_kill if line["step"] == "resumed"}
            assert moved_wa and all(wa_ids[name] in resumed for name in moved_wa), (moved_wa, after_kill)
            assert all(resumed[wa_ids[name]]["node"] != busiest for name in moved_wa)
            assert [line for line in after_kill if line["step"] != "resumed"] == []

            # Fencing: every claim has its own token, and the tokens of one instance only grow with time.
            claims = await cluster.sql('SELECT "instanceId", "nodeId", token FROM "ClusterClaim" ORDER BY id')
            per_instance: dict[str, list[int]] = {}
            for row in claims:
                per_instance.setdefault(row["instanceId"], []).append(row["token"])
            assert all(tokens == sorted(set(tokens)) for tokens in per_instance.values())
            leases = await cluster.sql('SELECT "instanceId", token FROM "ClusterLease"')
            assert {r["instanceId"]: r["token"] for r in leases} == {i: t[-1] for i, t in per_instance.items()}
            moved_ids = {
                r["id"] for r in await cluster.sql('SELECT id FROM "Instance" WHERE name = ANY($1)', list(moved))
            }
            assert all(len(per_instance[i]) >= 2 for i in moved_ids)  # taken over with a new token

            stop.set()
            await stream
            assert len(sent) > 50
            await wait_for(lambda: _all_received(receiver, sent), 20, "every accepted inbound message at the webhook")
            print(f"{len(sent)} inbound messages accepted, all delivered ({receiver.duplicates} duplicates)")
            accepted = set(sent)

            def all_consumed(got: list[Any]) -> bool:
                return accepted <= {body(m)["data"]["key"]["id"] for m in got}

            consumed = await consumer.collect(queue, all_consumed, within=30)
            ids = [body(m)["data"]["key"]["id"] for m in consumed]
            assert accepted <= set(ids), f"{len(accepted - set(ids))} of {len(accepted)} missing at RabbitMQ"
            print(f"RabbitMQ: all {len(accepted)} consumed ({len(ids) - len(set(ids))} duplicates)")

            # socket.io: a client on a node that does not own a moved instance sees its events.
            owners = await cluster.owners(survivor)
            moved_name = sorted(moved - set(wa_names))[0]  # an EVOLUTION one: inbound messages are posted to it
            owner_now = next(node for node, held in owners.items() if moved_name in held)
            elsewhere = next(n for n in range(3) if n != victim and f"node{n}" != owner_now)
            base = cluster.nodes[elsewhere].base_url
            async with (
                sio_listener(base, f"/{moved_name}", auth={"apikey": TEST_API_KEY}) as operator,
                sio_listener(base, f"/{moved_name}", auth={"apikey": tokens[moved_name]}) as tenant,
            ):
                before = set(sent)
                await _inbound_stream(cluster, [moved_name], tokens, [elsewhere], sent, asyncio.Event(), count=2)
                for listener in (operator, tenant):
                    got = await listener.wait_for(2, within=10)
                    assert {data["data"]["key"]["id"] for _event, data in got} == sent - before

            await cluster.nodes[victim].start()

            async def back() -> dict[str, list[str]] | None:
                owners = await cluster.owners(victim)
                owned = [n for names_ in owners.values() for n in names_]
                if len(owners) == 3 and all(owners.values()) and Counter(owned) == Counter(every):
                    return owners
                return None

            await wait_for(back, 20, "the node back with its share")
            # SIGTERM hands over at once: no lease left to expire, out of the live list, and owned again
            # well before a lease would have run out.
            assert await cluster.nodes[victim].signal(signal.SIGTERM) in (0, -15, 143)
            stopped_at = time.monotonic()
            held = await cluster.sql(
                'SELECT 1 FROM "ClusterLease" WHERE "nodeId" = $1 AND "expiresAt" > now() AT TIME ZONE \'UTC\'',
                busiest,
            )
            assert held == []
            assert busiest not in await cluster.owners(survivor)

            async def handed_over() -> bool:
                owners = await cluster.owners(survivor)
                return sorted(n for names_ in owners.values() for n in names_) == every

            await wait_for(handed_over, 3 * LEASE_SECONDS, "the stopped node's instances owned again")
            print(f"owned again {time.monotonic() - stopped_at:.1f} s after SIGTERM")

            for node in cluster.nodes:  # no tick ever failed: leases renewed, never merely re-claimed
                assert "cluster tick failed" not in node.log_path.read_text(), node.log_path
            await wait_for(lambda: cluster.all_open(wa_names, [survivor]), 20, "WhatsApp Web instances open at the end")
            assert all(line["step"] == "resumed" for line in read_journal(journal)[seen:])  # never a QR after pairing
        finally:
            cluster.stop()


async def _every_node_answers_for_every_instance(
    cluster: Cluster, names: list[str], tokens: dict[str, str], nodes: list[int]
) -> None:
    """v2 by name and the Go dialect by token, each instance asked of a random node: all answered."""
    rng = random.Random(7)
    started = time.monotonic()
    key = {"apikey": TEST_API_KEY}
    for index in nodes:  # the database answers the whole list on any node, without forwarding
        every = await cluster.get(index, "/instance/fetchInstances")
        assert sorted(i["name"] for i in every.json()) == names
    for name in names:
        node = cluster.nodes[rng.choice(nodes)]
        async with httpx.AsyncClient(base_url=node.base_url, timeout=15) as client:
            v2 = await client.get(f"/instance/connectionState/{name}", headers={"apikey": TEST_API_KEY})
            assert v2.status_code == 200, (name, v2.text)
            assert v2.json()["instance"]["instanceName"] == name
            go = await client.get("/instance/status", headers={"apikey": tokens[name]})
            assert go.status_code == 200, (name, go.text)
            one = await client.get("/instance/fetchInstances", params={"instanceName": name}, headers=key)
            assert one.status_code == 200 and [i["name"] for i in one.json()] == [name], one.text
        bad = await cluster.get(rng.choice(nodes), "/instance/connectionState/no-such-instance")
        assert bad.status_code == 404
    print(f"{len(names) * 4} requests to random nodes in {time.monotonic() - started:.1f} s")


def number_of(name: str) -> str:
    return "5511900" + name.removeprefix("cl-").zfill(6)


async def _all_received(receiver: Receiver, sent: set[str]) -> bool:
    return sent <= receiver.ids


async def _inbound_stream(
    cluster: Cluster,
    names: list[str],
    tokens: dict[str, str],
    live: list[int],
    sent: set[str],
    stop: asyncio.Event,
    count: int | None = None,
) -> None:
    """Inbound EVOLUTION messages to random live nodes until `stop`; one that fails (its node killed,
    its owner gone) is sent again, same id, to another node until accepted."""
    rng = random.Random(3)
    async with httpx.AsyncClient(timeout=10) as client:
        sent_here = 0
        while not stop.is_set() and (count is None or sent_here < count):
            sent_here += 1
            name = rng.choice(names)
            message_id = uuid.uuid4().hex.upper()
            body = {
                "numberId": number_of(name),
                "key": {"remoteJid": "5511888887777@s.whatsapp.net", "fromMe": False, "id": message_id},
                "pushName": "Ana",
                "message": {"conversation": f"hello {message_id}"},
            }
            for _attempt in range(100):
                node = cluster.nodes[rng.choice(live)]
                try:
                    answer = await client.post(
                        node.base_url + "/webhook/evolution", json=body, headers={"apikey": tokens[name]}
                    )
                    if answer.status_code == 200:
                        sent.add(message_id)
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise AssertionError(f"inbound message for {name} never accepted")
