"""SQS sink through the real server against moto's SQS server, read with boto3 as a consumer would."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from evolution_py.events.event import Event
from evolution_py.events.sink import Delivery, DeliveryError
from evolution_py.sinks.moto_server import moto_server
from evolution_py.sinks.sqs import SQS
from evolution_py.sinks.sqs.testing import SqsConsumer, body, sqs_env
from tests.conftest import ServerFactory
from tests.support.server import RunningServer


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
async def moto_port() -> AsyncIterator[int]:
    async with moto_server() as port:
        yield port


async def send_text(server: RunningServer, name: str, text: str) -> dict[str, Any]:
    response = await server.client.post(
        f"/message/sendText/{name}", json={"number": "5511999990000", "text": text}, headers=server.headers()
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_per_instance_fifo_queues(server_factory: ServerFactory, moto_port: int) -> None:
    name = unique("sqs")
    consumer = SqsConsumer(moto_port)
    async with server_factory(**sqs_env(moto_port)) as server:
        created = await server.create_instance(name)
        assert (await server.client.get(f"/sqs/find/{name}", headers=server.headers())).json() is None
        saved = await server.client.post(
            f"/sqs/set/{name}",
            json={"sqs": {"enabled": True, "events": ["SEND_MESSAGE", "SEND_MESSAGE_UPDATE"]}},
            headers=server.headers(created["hash"]),
        )
        assert saved.status_code == 201, saved.text
        assert saved.json()["events"] == ["SEND_MESSAGE", "SEND_MESSAGE_UPDATE"]
        assert (await server.client.get(f"/sqs/find/{name}", headers=server.headers())).json() == saved.json()
        # Created by the route, as upstream: FIFO, no content-based deduplication per instance.
        ours = [q for q in consumer.queue_names() if q.startswith(name)]
        assert ours == [f"{name}_send_message.fifo", f"{name}_send_message_update.fifo"]
        attributes = consumer.attributes(f"{name}_send_message.fifo")
        assert attributes["FifoQueue"] == "true" and attributes.get("ContentBasedDeduplication") == "false"

        sent = [await send_text(server, name, f"hello {i}") for i in range(3)]
        messages = await consumer.take(f"{name}_send_message.fifo", 3)
        assert [body(m)["data"]["key"]["id"] for m in messages] == [s["key"]["id"] for s in sent]
        envelope = body(messages[0])
        assert list(envelope) == [
            "event", "instance", "dataType", "data", "server", "server_url", "date_time", "apikey",
        ]  # fmt: skip
        assert envelope["dataType"] == "json" and envelope["server"] == "evolution"
        assert envelope["event"] == "send.message" and envelope["instance"] == name
        assert messages[0]["Attributes"]["MessageGroupId"] == "evolution"

        # The same delivery retried (a lost answer) is one message: the event id is the dedup id.
        sink = server.services.sinks.get(SQS)
        assert sink is not None
        event = Event(event="send.message", instance=name, instance_id="x", data={"n": 1})
        delivery = Delivery(
            sink="sqs",
            target=f"{name}_send_message.fifo",
            event=event,
            options={"queue": f"{name}_send_message.fifo", "group": "evolution", "scope": "instance"},
        )
        await sink.send(delivery)
        await sink.send(delivery)
        again = await consumer.take(f"{name}_send_message.fifo", 2, within=4)
        assert len(again) == 1 and again[0]["Attributes"]["MessageDeduplicationId"] == event.id


async def test_create_block_queue_made_at_first_send_and_oversized_payload_dead_lettered(
    server_factory: ServerFactory, moto_port: int
) -> None:
    name = unique("sqsc")
    consumer = SqsConsumer(moto_port)
    async with server_factory(**sqs_env(moto_port, SQS_MAX_PAYLOAD_SIZE="2000")) as server:
        await server.create_instance(name, sqs={"enabled": True, "events": ["SEND_MESSAGE"]})
        sent = await send_text(server, name, "from create")
        (message,) = await consumer.take(f"{name}_send_message.fifo", 1)
        assert body(message)["data"]["key"]["id"] == sent["key"]["id"]

        await send_text(server, name, "x" * 3000)
        await server.services.bus.drain()
        dead = await server.client.get(f"/events/dead/{name}", headers=server.headers())
        assert dead.json()["total"] == 1
        assert "SQS_MAX_PAYLOAD_SIZE" in str(dead.json()["records"])


async def test_oversized_body_goes_to_s3_when_s3_is_on(server_factory: ServerFactory, moto_port: int) -> None:
    import httpx

    from evolution_py.media_store.testing import s3_env

    name, bucket = unique("sqss3"), f"media-{uuid.uuid4().hex[:10]}"
    consumer = SqsConsumer(moto_port)
    env = {**sqs_env(moto_port, SQS_MAX_PAYLOAD_SIZE="2000"), **s3_env(moto_port, bucket)}
    async with server_factory(**env) as server:
        await server.create_instance(name, sqs={"enabled": True, "events": ["SEND_MESSAGE"]})
        sent = await send_text(server, name, "y" * 3000)
        (message,) = await consumer.take(f"{name}_send_message.fifo", 1)
        envelope = body(message)
        assert envelope["dataType"] == "s3" and list(envelope["data"]) == ["fileUrl"]
        assert f"/{bucket}/evolution-api/messages/{name}_send_message_" in envelope["data"]["fileUrl"]
        async with httpx.AsyncClient() as http:
            stored = (await http.get(envelope["data"]["fileUrl"])).json()
        assert stored["dataType"] == "json" and stored["data"]["key"]["id"] == sent["key"]["id"]


async def test_global_mode_queues_groups_and_single_queue(server_factory: ServerFactory, moto_port: int) -> None:
    prefix, name = unique("glob"), unique("sqsg")
    consumer = SqsConsumer(moto_port)
    env = sqs_env(
        moto_port,
        SQS_GLOBAL_ENABLED="true",
        SQS_GLOBAL_PREFIX_NAME=prefix,
        SQS_GLOBAL_SEND_MESSAGE="true",
        SQS_GLOBAL_GROUP_PARTICIPANTS_UPDATE="true",
        SERVER_NAME="srv1",
    )
    async with server_factory(**env) as server:
        created = await server.create_instance(name)
        # Global mode: per-instance rows are not taken (upstream answers nothing).
        refused = await server.client.post(
            f"/sqs/set/{name}", json={"sqs": {"enabled": True, "events": []}}, headers=server.headers(created["hash"])
        )
        assert refused.status_code == 201 and refused.content == b""
        sent = await send_text(server, name, "global")
        (message,) = await consumer.take(f"{prefix}_send_message.fifo", 1)
        assert body(message)["data"]["key"]["id"] == sent["key"]["id"] and body(message)["server"] == "srv1"
        assert message["Attributes"]["MessageGroupId"] == f"srv1-send_message-{name}"
        names = [q for q in consumer.queue_names() if q.startswith(prefix)]
        assert names == [f"{prefix}_group_participants_update.fifo", f"{prefix}_send_message.fifo"]
        assert consumer.attributes(names[0])["ContentBasedDeduplication"] == "true"

    single = unique("one")
    env |= {"SQS_GLOBAL_PREFIX_NAME": single, "SQS_GLOBAL_FORCE_SINGLE_QUEUE": "true"}
    async with server_factory(**env) as server:
        sent = await send_text(server, name, "single")
        (message,) = await consumer.take(f"{single}_singlequeue.fifo", 1)
        assert body(message)["event"] == "send.message"
        assert message["Attributes"]["MessageGroupId"] == f"srv1-singlequeue-{name}"


async def test_bad_queue_name_is_refused_and_routes_answer_empty_when_disabled(
    server_factory: ServerFactory, moto_port: int, server: RunningServer
) -> None:
    async with server_factory(**sqs_env(moto_port)) as on:
        sink = on.services.sinks.get(SQS)
        assert sink is not None
        event = Event(event="send.message", instance="a.b", instance_id="x", data=None)
        with pytest.raises(DeliveryError) as refused:
            await sink.send(
                Delivery(sink="sqs", target="q", event=event, options={"queue": "a.b_send_message.fifo", "group": "g"})
            )
        assert refused.value.retryable is False

    name = unique("sqsoff")
    await server.create_instance(name)
    response = await server.client.post(
        f"/sqs/set/{name}", json={"sqs": {"enabled": True, "events": []}}, headers=server.headers()
    )
    assert response.status_code == 201 and response.content == b""
    found = await server.client.get(f"/sqs/find/{name}", headers=server.headers())
    assert found.status_code == 200 and found.content == b""
    assert server.services.sinks.get(SQS) is None
