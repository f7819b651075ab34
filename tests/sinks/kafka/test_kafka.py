"""Kafka sink through the real server against a Kafka-protocol broker (Tansu, from PyPI), read with
aiokafka as a consumer would."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from evolution_py.events.event import Event
from evolution_py.events.sink import Delivery, DeliveryError
from evolution_py.sinks.kafka import KAFKA
from evolution_py.sinks.kafka.testing import kafka_broker, read_topic, value
from evolution_py.sinks.rabbitmq.testing import TcpProxy
from tests.conftest import ServerFactory
from tests.support.server import RunningServer


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def kafka_env(port: int, **extra: str) -> dict[str, str]:
    # Tansu's memory engine answers InitProducerId with an error: the idempotent producer is off here.
    return {"KAFKA_ENABLED": "true", "KAFKA_BROKERS": f"127.0.0.1:{port}", "KAFKA_IDEMPOTENT": "false", **extra}


@pytest.fixture(scope="module")
async def broker() -> AsyncIterator[int]:
    async with kafka_broker() as port:
        yield port


async def send_text(server: RunningServer, name: str, text: str) -> dict[str, Any]:
    response = await server.client.post(
        f"/message/sendText/{name}", json={"number": "5511999990000", "text": text}, headers=server.headers()
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_per_instance_and_global_topics_keys_headers(server_factory: ServerFactory, broker: int) -> None:
    name, prefix = unique("kfk"), unique("evo")
    env = kafka_env(
        broker,
        KAFKA_TOPIC_PREFIX=prefix,
        KAFKA_GLOBAL_ENABLED="true",
        KAFKA_EVENTS_SEND_MESSAGE="true",
        KAFKA_AUTO_CREATE_TOPICS="true",
    )
    async with server_factory(**env) as server:
        sink = server.services.sinks.get(KAFKA)
        assert sink is not None and await sink.producer.wait_ready(20)
        created = await server.create_instance(name)
        assert (await server.client.get(f"/kafka/find/{name}", headers=server.headers())).json() is None
        saved = await server.client.post(
            f"/kafka/set/{name}",
            json={"kafka": {"enabled": True, "events": ["SEND_MESSAGE"]}},
            headers=server.headers(created["hash"]),
        )
        assert saved.status_code == 201 and saved.json()["events"] == ["SEND_MESSAGE"]
        assert (await server.client.get(f"/kafka/find/{name}", headers=server.headers())).json() == saved.json()

        sent = [await send_text(server, name, f"hello {i}") for i in range(3)]
        records = await read_topic(broker, f"{prefix}.{name}.send.message", 3)
        # Order is not promised (docs/events.md): a first record that waits for its topic to be made is
        # retried after newer ones.
        assert sorted(value(r)["data"]["key"]["id"] for r in records) == sorted(s["key"]["id"] for s in sent)
        first = records[0]
        assert first.key == name.encode()
        headers = dict(first.headers)
        assert headers["event"] == b"send.message" and headers["instance"] == name.encode()
        assert set(headers) >= {"origin", "timestamp"}
        body = value(first)
        assert list(body) == ["event", "instance", "data", "server_url", "date_time", "apikey", "timestamp"]
        assert isinstance(body["timestamp"], int)

        global_records = await read_topic(broker, f"{prefix}.global.send.message", 3)
        assert global_records[0].key == f"{name}-send.message".encode()

        bad = Event(event="send.message", instance="a b", instance_id="x", data=None)
        with pytest.raises(DeliveryError) as refused:
            await sink.send(Delivery(sink="kafka", target="t", event=bad, options={"topic": "p.a b.x", "key": "k"}))
        assert refused.value.retryable is False


async def test_create_block_and_routes_when_disabled(
    server_factory: ServerFactory, broker: int, server: RunningServer
) -> None:
    name, prefix = unique("kfkc"), unique("evo")
    async with server_factory(**kafka_env(broker, KAFKA_TOPIC_PREFIX=prefix)) as on:
        await on.create_instance(name, kafka={"enabled": True, "events": ["SEND_MESSAGE"]})
        sent = await send_text(on, name, "from create")
        (record,) = await read_topic(broker, f"{prefix}.{name}.send.message", 1)
        assert value(record)["data"]["key"]["id"] == sent["key"]["id"]

    off = unique("kfkoff")
    await server.create_instance(off)
    response = await server.client.post(
        f"/kafka/set/{off}", json={"kafka": {"enabled": True, "events": []}}, headers=server.headers()
    )
    assert response.status_code == 201 and response.content == b""
    found = await server.client.get(f"/kafka/find/{off}", headers=server.headers())
    assert found.status_code == 200 and found.content == b""


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
async def test_outage_mid_stream_loses_nothing(server_factory: ServerFactory) -> None:
    name, prefix = unique("kfkout"), unique("evo")
    proxy_port_holder = TcpProxy("127.0.0.1", 1)  # its port is the one the broker advertises
    async with kafka_broker(advertised_port=proxy_port_holder.port) as port:
        proxy = TcpProxy("127.0.0.1", port)
        proxy.port = proxy_port_holder.port
        await proxy.start()
        try:
            env = kafka_env(proxy.port, KAFKA_TOPIC_PREFIX=prefix, KAFKA_REQUEST_TIMEOUT="5000")
            async with server_factory(**env) as server:
                sink = server.services.sinks.get(KAFKA)
                assert sink is not None and await sink.producer.wait_ready(20)
                await server.create_instance(name, kafka={"enabled": True, "events": ["SEND_MESSAGE"]})
                accepted: list[str] = []
                loop = asyncio.get_running_loop()
                cut_at: float | None = None
                during = 0
                for index in range(120):
                    if index == 30:
                        await proxy.cut()
                        cut_at = loop.time()
                    elif cut_at is not None and loop.time() - cut_at > 2.0:
                        await proxy.restore()
                        cut_at = None
                    accepted.append((await send_text(server, name, f"event {index}"))["key"]["id"])
                    during += cut_at is not None
                    await asyncio.sleep(0.01)
                if cut_at is not None:
                    await proxy.restore()
                assert during >= 20
                topic = f"{prefix}.{name}.send.message"
                records = await read_topic(port, topic, len(accepted), within=90)
                seen = {value(r)["data"]["key"]["id"] for r in records}
                missing = set(accepted) - seen
                assert not missing, f"{len(missing)} of {len(accepted)} accepted events never arrived"
                dead = await server.client.get(f"/events/dead/{name}", headers=server.headers())
                assert dead.json()["total"] == 0
        finally:
            await proxy.close()
