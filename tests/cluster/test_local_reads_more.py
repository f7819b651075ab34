"""More reads that the database answers without forwarding (issue 17), on two real nodes sharing
PostgreSQL and Redis: every sink's `/…/find` row, an instance's dead letters (`GET /events/dead/
{instanceName}`), and the Go dialect's `GET /instance/logs/{instanceId}` and `GET /instance/
{instanceId}/advanced-settings`. The node that does not own the instance answers them itself
(`x-evolution-cluster-read: local`) with exactly the owner's answer, under the same key rules: a
token of another instance gets the owner's refusal. A settings change made through the owner is
read at once on the other node. And Go's `GET /instance/all` lists the whole cluster on any node."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cluster.nodes import Cluster
from tests.support.databases import postgres_database
from tests.support.server import TEST_API_KEY, free_port

pytestmark = pytest.mark.slow

LOCAL = "x-evolution-cluster-read"
NAMES = [f"rm-{n:02d}" for n in range(8)]
QUIET = ["CALL"]  # an event no test produces: rows with it send nothing to the absent brokers


def _number(name: str) -> str:
    return "5511500" + name.removeprefix("rm-").zfill(6)


def _sink_env() -> dict[str, str]:
    dead = free_port()  # SQS, NATS and Kafka are not running here: their rows are what is read
    return {
        "RABBITMQ_ENABLED": "true",
        "RABBITMQ_URI": "amqp://guest:guest@127.0.0.1:5672/",
        "SQS_ENABLED": "true",
        "SQS_ENDPOINT": f"http://127.0.0.1:{dead}",
        "SQS_REGION": "us-east-1",
        "SQS_ACCESS_KEY_ID": "test",
        "SQS_SECRET_ACCESS_KEY": "test",
        "SQS_ACCOUNT_ID": "000000000000",
        "NATS_ENABLED": "true",
        "NATS_URI": f"nats://127.0.0.1:{dead}",
        "KAFKA_ENABLED": "true",
        "KAFKA_BROKERS": f"127.0.0.1:{dead}",
        "PUSHER_ENABLED": "true",
        "WEBHOOK_RETRY_MAX_ATTEMPTS": "1",  # the refused webhook is dead-lettered at once
    }


def _sink_rows() -> list[tuple[str, dict[str, Any]]]:
    rows: list[tuple[str, dict[str, Any]]] = [
        (kind, {kind: {"enabled": True, "events": QUIET}}) for kind in ("websocket", "rabbitmq", "sqs", "nats", "kafka")
    ]
    pusher = {"enabled": True, "appId": "1", "key": "k", "secret": "s", "cluster": "mt1", "useTLS": True}
    rows.append(("pusher", {"pusher": {**pusher, "events": QUIET}}))
    return rows


async def _same_answer(
    client: httpx.AsyncClient, owner: str, other: str, path: str, key: str, *, local: bool = True
) -> httpx.Response:
    """The non-owner's answer, checked equal to the owner's. `local=False`: not checked whether it
    was read there (a token of an instance the non-owner holds is refused by its own guard)."""
    there = await client.get(owner + path, headers={"apikey": key})
    here = await client.get(other + path, headers={"apikey": key})
    assert LOCAL not in there.headers, path  # the owner answers as a single node
    if local:
        assert here.headers.get(LOCAL) == "local", (path, here.status_code, here.headers)
    assert (here.status_code, here.content) == (there.status_code, there.content), (path, here.text, there.text)
    return here


async def test_sink_rows_dead_letters_and_go_reads_are_answered_on_a_non_owner(tmp_path: Path) -> None:
    async with postgres_database() as uri:
        cluster = Cluster(tmp_path, uri, 2)
        env = _sink_env()
        for node in cluster.nodes:
            node.env.update(env)
        try:
            await cluster.start()
            await cluster.all_live()
            base = [node.base_url for node in cluster.nodes]
            tokens: dict[str, str] = {}
            ids: dict[str, str] = {}
            refused_hook = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens: each send fails
            async with httpx.AsyncClient(timeout=15) as client:
                hook = {"url": refused_hook, "enabled": True, "events": ["SEND_MESSAGE"]}
                for name, created in (await cluster.create_evolution(client, NAMES, _number, webhook=hook)).items():
                    tokens[name] = created["hash"]
                    ids[name] = created["instance"]["instanceId"]
                owners = await cluster.spread(NAMES)
                owner_of = {n: int(node.removeprefix("node")) for node, ns in owners.items() for n in ns}

                for name in NAMES:
                    owner, other = base[owner_of[name]], base[1 - owner_of[name]]
                    for kind, body in _sink_rows():  # through the other node: forwarded to the owner
                        saved = await client.post(
                            f"{other}/{kind}/set/{name}", json=body, headers={"apikey": tokens[name]}
                        )
                        assert saved.status_code == 201, (kind, saved.text)
                    sent = await client.post(
                        f"{owner}/message/sendText/{name}",
                        json={"number": "5511999990000", "text": "to a dead webhook"},
                        headers={"apikey": tokens[name]},
                    )
                    assert sent.status_code == 201, sent.text

                for name in NAMES:  # the refused webhook deliveries are dead letters by now
                    owner = base[owner_of[name]]
                    deadline = time.monotonic() + 20
                    while True:
                        dead = await client.get(f"{owner}/events/dead/{name}", headers={"apikey": tokens[name]})
                        if dead.json()["total"] >= 1:
                            break
                        assert time.monotonic() < deadline, dead.text
                        await asyncio.sleep(0.2)

                for name in NAMES:
                    owner, other = base[owner_of[name]], base[1 - owner_of[name]]
                    # Go's settings: a change through the owner is what the other node reads next.
                    changed = await client.put(
                        f"{owner}/instance/{ids[name]}/advanced-settings",
                        json={"alwaysOnline": True, "msgCall": f"busy {name}"},
                        headers={"apikey": tokens[name]},
                    )
                    assert changed.status_code == 200, changed.text
                    settings = await client.get(
                        f"{other}/instance/{ids[name]}/advanced-settings", headers={"apikey": tokens[name]}
                    )
                    assert settings.headers.get(LOCAL) == "local"
                    assert settings.json() == changed.json()["settings"], settings.text
                    assert settings.json()["alwaysOnline"] is True

                    reads = [f"/{kind}/find/{name}" for kind, _ in _sink_rows()]
                    reads += [f"/events/dead/{name}", f"/events/dead/{name}?event=send.message&limit=5"]
                    reads += [f"/instance/{ids[name]}/advanced-settings", f"/instance/{name}/advanced-settings"]
                    for path in reads:
                        for key in (tokens[name], TEST_API_KEY):
                            answer = await _same_answer(client, owner, other, path, key)
                            assert answer.status_code == 200, (path, answer.text)
                    for kind, _body in _sink_rows():
                        row = (await client.get(f"{other}/{kind}/find/{name}", headers={"apikey": tokens[name]})).json()
                        assert row["instanceId"] == ids[name] and row["events"] == QUIET, (kind, row)
                    dead = (await client.get(f"{other}/events/dead/{name}", headers={"apikey": tokens[name]})).json()
                    assert dead["total"] >= 1 and dead["records"][0]["event"] == "send.message", dead

                    for path in (f"/instance/logs/{ids[name]}", f"/instance/logs/{name}?limit=1"):  # Go: global key
                        logs = await _same_answer(client, owner, other, path, TEST_API_KEY)
                        assert logs.status_code == 200 and logs.json(), logs.text
                        refused = await _same_answer(client, owner, other, path, tokens[name])
                        assert refused.status_code == 401, refused.text

                    # Tenants reach only their own things: another instance's token, held by either
                    # node, gets the owner's refusal on the non-owner too.
                    strangers = [[n for n in held if n != name] for held in owners.values()]
                    for foreign in (tokens[held[0]] for held in strangers if held):
                        for path in reads:
                            refused = await _same_answer(client, owner, other, path, foreign, local=False)
                            assert refused.status_code == 401, (path, refused.text)

                # Go's `GET /instance/all` lists every instance of the cluster on either node (each
                # node gathers the others' lists), in a single node's order; a token is refused.
                lists = [await client.get(url + "/instance/all", headers={"apikey": TEST_API_KEY}) for url in base]
                assert [answer.status_code for answer in lists] == [200, 200], lists[0].text
                assert lists[0].content == lists[1].content
                listed = lists[0].json()["data"]
                assert sorted(item["name"] for item in listed) == NAMES
                assert [(i["createdAt"], i["name"]) for i in listed] == sorted(
                    (i["createdAt"], i["name"]) for i in listed
                )
                assert {item["id"]: item["token"] for item in listed} == {ids[n]: tokens[n] for n in NAMES}
                assert all(item["status"] == "open" and item["connected"] for item in listed), listed
                refusals = [
                    await client.get(url + "/instance/all", headers={"apikey": tokens[NAMES[0]]}) for url in base
                ]
                assert [r.status_code for r in refusals] == [401, 401] and refusals[0].content == refusals[1].content
        finally:
            cluster.stop()
