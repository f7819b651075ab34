"""NATS sink through the real server and real NATS clients on upstream's subjects (the machine's
nats-server with JetStream)."""

from __future__ import annotations

import uuid
from typing import Any

import nats
import pytest
from nats.js.api import StreamConfig

from evolution_py.events.event import Event
from evolution_py.events.sink import Delivery, DeliveryError
from evolution_py.sinks.nats import NATS
from evolution_py.sinks.nats.testing import NATS_URI, body, nats_subscriber, stream_messages
from tests.conftest import ServerFactory
from tests.support.server import RunningServer


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def nats_env(**extra: str) -> dict[str, str]:
    return {"NATS_ENABLED": "true", "NATS_URI": NATS_URI, **extra}


async def send_text(server: RunningServer, name: str, text: str, key: str | None = None) -> dict[str, Any]:
    response = await server.client.post(
        f"/message/sendText/{name}", json={"number": "5511999990000", "text": text}, headers=server.headers(key)
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_per_instance_subjects_with_plain_publish(server_factory: ServerFactory) -> None:
    name = unique("nats")
    subject = f"{name}.send.message"
    async with nats_subscriber() as subscriber, server_factory(**nats_env()) as server:
        await subscriber.subscribe(subject)
        await subscriber.subscribe(f"{name}.messages.upsert")
        created = await server.create_instance(name)
        token = created["hash"]
        missing = await server.client.get(f"/nats/find/{name}", headers=server.headers(token))
        assert missing.status_code == 200 and missing.json() is None

        saved = await server.client.post(
            f"/nats/set/{name}",
            json={"nats": {"enabled": True, "events": ["SEND_MESSAGE"]}},
            headers=server.headers(token),
        )
        assert saved.status_code == 201, saved.text
        row = saved.json()
        assert set(row) == {"id", "enabled", "events", "createdAt", "updatedAt", "instanceId"}
        assert row["events"] == ["SEND_MESSAGE"]
        assert (await server.client.get(f"/nats/find/{name}", headers=server.headers())).json() == row

        sent = [await send_text(server, name, f"hello {i}") for i in range(3)]
        messages = await subscriber.take(subject, 3)
        assert [body(m)["data"]["key"]["id"] for m in messages] == [s["key"]["id"] for s in sent]
        envelope = body(messages[0])
        # Upstream's key order; no sender before login; apikey null when the instance has none.
        assert list(envelope) == ["event", "instance", "data", "server_url", "date_time", "apikey"]
        assert envelope["event"] == "send.message" and envelope["instance"] == name
        assert envelope["data"]["message"] == {"conversation": "hello 0"}
        assert not messages[0].headers  # a plain publish, as upstream's

        off = await server.client.post(
            f"/nats/set/{name}", json={"nats": {"enabled": False, "events": ["SEND_MESSAGE"]}}, headers=server.headers()
        )
        assert off.json()["events"] == [] and off.json()["enabled"] is False
        await send_text(server, name, "not delivered")
        await server.services.bus.drain()
        assert len(subscriber.got[subject]) == 3 and subscriber.got[f"{name}.messages.upsert"] == []


async def test_global_subjects_go_to_a_covering_jetstream_stream_once(server_factory: ServerFactory) -> None:
    prefix, name, stream = unique("pfx"), unique("natsg"), unique("EVO")
    env = nats_env(
        NATS_GLOBAL_ENABLED="true",
        NATS_PREFIX_KEY=prefix,
        NATS_EVENTS_SEND_MESSAGE="true",
        NATS_EVENTS_INSTANCE_CREATE="true",
    )
    admin = await nats.connect(NATS_URI)
    js = admin.jetstream()
    await js.add_stream(StreamConfig(name=stream, subjects=[f"{prefix}.>"]))
    try:
        async with server_factory(**env) as server:
            await server.create_instance(name)
            sent = await send_text(server, name, "global one")
            await server.services.bus.drain()
            stored = await stream_messages(NATS_URI, stream)
            assert [m["event"] for m in stored] == ["instance.create", "send.message"]
            assert stored[1]["data"]["key"]["id"] == sent["key"]["id"]
            assert stored[0]["data"]["instanceName"] == name

            # The same delivery sent again (a retry after a lost ack) is stored once: Nats-Msg-Id.
            sink = server.services.sinks.get(NATS)
            assert sink is not None
            event = Event(event="send.message", instance=name, instance_id="x", data={"n": 1})
            delivery = Delivery(
                sink="nats",
                target=f"{prefix}.send.message",
                event=event,
                options={"subject": f"{prefix}.send.message", "scope": "global"},
            )
            await sink.send(delivery)
            await sink.send(delivery)
            assert len(await stream_messages(NATS_URI, stream)) == 3
            message = await js.get_msg(stream, 3)
            assert message.headers and message.headers["Nats-Msg-Id"] == f"{event.id}:{prefix}.send.message"
    finally:
        await js.delete_stream(stream)
        await admin.close()


async def test_instance_create_block_subscribes_and_bad_subjects_are_refused(server_factory: ServerFactory) -> None:
    name = unique("natsc")
    async with nats_subscriber() as subscriber, server_factory(**nats_env()) as server:
        await subscriber.subscribe(f"{name}.send.message")
        await server.create_instance(name, nats={"enabled": True, "events": ["SEND_MESSAGE"]})
        sent = await send_text(server, name, "from create")
        (message,) = await subscriber.take(f"{name}.send.message", 1)
        assert body(message)["data"]["key"]["id"] == sent["key"]["id"]

        sink = server.services.sinks.get(NATS)
        assert sink is not None
        event = Event(event="send.message", instance="a b", instance_id="x", data=None)
        with pytest.raises(DeliveryError) as refused:
            await sink.send(
                Delivery(
                    sink="nats",
                    target="a b.send.message",
                    event=event,
                    options={"subject": "a b.send.message", "scope": "instance"},
                )
            )
        assert refused.value.retryable is False


async def test_routes_refuse_bad_input_and_answer_empty_when_disabled(
    server_factory: ServerFactory, server: RunningServer
) -> None:
    async with server_factory(**nats_env()) as on:
        name = unique("natsbad")
        await on.create_instance(name)
        bad = await on.client.post(
            f"/nats/set/{name}", json={"nats": {"enabled": True, "events": ["NOPE"]}}, headers=on.headers()
        )
        assert bad.status_code == 400 and "NOPE" in str(bad.json()["response"]["message"])
        assert (await on.client.post(f"/nats/set/{name}", json={}, headers=on.headers())).status_code == 400

    name = unique("natsoff")
    await server.create_instance(name)
    response = await server.client.post(
        f"/nats/set/{name}", json={"nats": {"enabled": True, "events": []}}, headers=server.headers()
    )
    assert response.status_code == 201 and response.content == b""
    found = await server.client.get(f"/nats/find/{name}", headers=server.headers())
    assert found.status_code == 200 and found.content == b""
    assert server.services.sinks.get(NATS) is None
