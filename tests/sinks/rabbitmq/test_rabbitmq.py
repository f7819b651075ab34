"""RabbitMQ sink through the real server and a real AMQP consumer on upstream's queue names."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
import pytest

from evolution_py.events.event import Event
from evolution_py.events.sink import Delivery, Sink
from evolution_py.sinks.rabbitmq import RABBITMQ
from evolution_py.sinks.rabbitmq.testing import AMQP_URI, amqp_consumer, body
from evolution_py.sinks.socketio import WEBSOCKET
from tests.conftest import ServerFactory
from tests.support.server import RunningServer


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def rabbit_env(**extra: str) -> dict[str, str]:
    return {"RABBITMQ_ENABLED": "true", "RABBITMQ_URI": AMQP_URI, **extra}


async def send_text(server: RunningServer, name: str, text: str, key: str | None = None) -> dict[str, Any]:
    response = await server.client.post(
        f"/message/sendText/{name}", json={"number": "5511999990000", "text": text}, headers=server.headers(key)
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_per_instance_exchange_and_quorum_queues(server_factory: ServerFactory) -> None:
    name = unique("rmq")
    async with amqp_consumer() as consumer, server_factory(**rabbit_env()) as server:
        consumer.track(queues=(f"{name}.send.message", f"{name}.messages.upsert"), exchanges=(name,))
        await consumer.prepare(f"{name}.send.message")
        created = await server.create_instance(name, number=f"55{uuid.uuid4().int % 10**11:011d}")
        token = created["hash"]

        missing = await server.client.get(f"/rabbitmq/find/{name}", headers=server.headers(token))
        assert missing.status_code == 200 and missing.json() is None

        saved = await server.client.post(
            f"/rabbitmq/set/{name}",
            json={"rabbitmq": {"enabled": True, "events": ["SEND_MESSAGE"]}},
            headers=server.headers(token),
        )
        assert saved.status_code == 201, saved.text
        row = saved.json()
        assert set(row) == {"id", "enabled", "events", "createdAt", "updatedAt", "instanceId"}
        assert row["enabled"] is True and row["events"] == ["SEND_MESSAGE"]
        assert row["instanceId"] == created["instance"]["instanceId"]
        found = await server.client.get(f"/rabbitmq/find/{name}", headers=server.headers())
        assert found.json() == row

        sent = [await send_text(server, name, f"hello {i}") for i in range(3)]
        messages = await consumer.take(f"{name}.send.message", 3)
        assert [body(m)["data"]["key"]["id"] for m in messages] == [s["key"]["id"] for s in sent]
        first = messages[0]
        assert first.routing_key == "send.message" and first.exchange == name
        assert first.content_type == "application/json"
        assert first.delivery_mode == 2  # persistent
        assert first.message_id and len({m.message_id for m in messages}) == 3
        envelope = body(first)
        assert list(envelope) == ["event", "instance", "data", "date_time", "server_url", "apikey"]
        assert envelope["event"] == "send.message" and envelope["instance"] == name
        assert envelope["data"]["message"] == {"conversation": "hello 0"}
        assert envelope["server_url"] == server.base_url and envelope["apikey"] is None

        # Not subscribed: messages.upsert never made a queue.
        assert not await consumer.exists(f"{name}.messages.upsert")

        # Disabling stores [] and stops publishing.
        off = await server.client.post(
            f"/rabbitmq/set/{name}",
            json={"rabbitmq": {"enabled": False, "events": ["SEND_MESSAGE"]}},
            headers=server.headers(),
        )
        assert off.status_code == 201 and off.json()["events"] == [] and off.json()["enabled"] is False
        await send_text(server, name, "not delivered")
        await server.services.bus.drain()
        assert await consumer.count(f"{name}.send.message") == 0


async def test_global_mode_uses_prefix_and_declares_queues_at_start(server_factory: ServerFactory) -> None:
    exchange, prefix, name = unique("evo_ex"), unique("pfx"), unique("rmqg")
    env = rabbit_env(
        RABBITMQ_GLOBAL_ENABLED="true",
        RABBITMQ_EXCHANGE_NAME=exchange,
        RABBITMQ_PREFIX_KEY=prefix,
        RABBITMQ_EVENTS_SEND_MESSAGE="true",
        RABBITMQ_EVENTS_INSTANCE_CREATE="true",
        RABBITMQ_EVENTS_GROUP_PARTICIPANTS_UPDATE="true",
    )
    async with amqp_consumer() as consumer:
        consumer.track(
            queues=tuple(f"{prefix}.{e}" for e in ("send.message", "instance.create", "group-participants.update")),
            exchanges=(exchange,),
        )
        async with server_factory(**env) as server:
            sink = server.services.sinks.get(RABBITMQ)
            assert sink is not None
            assert await sink.connection.wait_ready(10)
            # Declared at start with the names events go to (upstream: group.participants.update).
            assert await consumer.exists(f"{prefix}.group-participants.update")
            assert await consumer.exists(f"{prefix}.send.message")
            assert not await consumer.exists(f"{prefix}.group.participants.update")

            await server.create_instance(name)
            sent = await send_text(server, name, "global one")
            created = await consumer.take(f"{prefix}.instance.create", 1)
            assert body(created[0])["data"]["instanceName"] == name
            assert created[0].routing_key == "instance.create" and created[0].exchange == exchange
            (message,) = await consumer.take(f"{prefix}.send.message", 1)
            assert body(message)["data"]["key"]["id"] == sent["key"]["id"]
            # Not switched on globally, and no per-instance row: nothing for messages.upsert.
            assert not await consumer.exists(f"{prefix}.messages.upsert")


async def test_instance_create_block_subscribes(server_factory: ServerFactory) -> None:
    name = unique("rmqc")
    async with amqp_consumer() as consumer, server_factory(**rabbit_env()) as server:
        consumer.track(queues=(f"{name}.send.message",), exchanges=(name,))
        await consumer.prepare(f"{name}.send.message")
        await server.create_instance(name, rabbitmq={"enabled": True, "events": ["SEND_MESSAGE"]})
        sent = await send_text(server, name, "from create")
        (message,) = await consumer.take(f"{name}.send.message", 1)
        assert body(message)["data"]["key"]["id"] == sent["key"]["id"]


async def test_routes_refuse_bad_input_and_other_tokens(server_factory: ServerFactory) -> None:
    async with server_factory(**rabbit_env()) as server:
        a, b = unique("rmqa"), unique("rmqb")
        await server.create_instance(a)
        token_b = (await server.create_instance(b))["hash"]

        async def post(body: Any, name: str = a, key: str | None = None) -> Any:
            return await server.client.post(f"/rabbitmq/set/{name}", json=body, headers=server.headers(key))

        no_wrapper = await post({})
        assert no_wrapper.status_code == 400
        assert no_wrapper.json()["response"]["message"] == [['instance requires property "rabbitmq"']]
        no_enabled = await post({"rabbitmq": {"events": []}})
        assert no_enabled.json()["response"]["message"] == [['rabbitmq requires property "enabled"']]
        bad_event = await post({"rabbitmq": {"enabled": True, "events": ["NOPE"]}})
        assert bad_event.status_code == 400 and "NOPE" in str(bad_event.json()["response"]["message"])
        wrong_type = await post({"rabbitmq": {"enabled": "yes", "events": []}})
        assert wrong_type.status_code == 400
        assert wrong_type.json()["response"]["message"] == [["rabbitmq.enabled is not of a type(s) boolean"]]
        assert (await server.client.get(f"/rabbitmq/find/{a}", headers=server.headers())).json() is None

        other = await post({"rabbitmq": {"enabled": True, "events": []}}, key=token_b)
        assert other.status_code == 401
        # Guards first, as upstream: a bad body with a wrong key is a 401, not a 400.
        assert (await post({}, key="wrong")).status_code == 401
        unknown = await post({"rabbitmq": {"enabled": True, "events": []}}, name="no-such-instance")
        assert unknown.status_code == 404

        everything = await post({"rabbitmq": {"enabled": True, "events": []}})
        assert everything.status_code == 201 and len(everything.json()["events"]) == 31


async def test_routes_answer_empty_when_disabled(server: RunningServer) -> None:
    name = unique("rmqoff")
    await server.create_instance(name)
    response = await server.client.post(
        f"/rabbitmq/set/{name}", json={"rabbitmq": {"enabled": True, "events": []}}, headers=server.headers()
    )
    assert response.status_code == 201 and response.content == b""
    found = await server.client.get(f"/rabbitmq/find/{name}", headers=server.headers())
    assert found.status_code == 200 and found.content == b""
    assert server.services.sinks.get(RABBITMQ) is None


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
async def test_a_conflicting_queue_fails_only_its_own_deliveries(
    server_factory: ServerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    name = unique("rmqconf")
    number = f"55{uuid.uuid4().int % 10**11:011d}"
    async with amqp_consumer() as consumer, server_factory(**rabbit_env()) as server:
        consumer.track(queues=(f"{name}.send.message", f"{name}.messages.upsert"), exchanges=(name,))
        # Someone declared this name as a classic queue: RabbitMQ refuses our quorum declaration.
        await consumer.channel.declare_queue(f"{name}.send.message", durable=True)
        await consumer.prepare(f"{name}.messages.upsert")
        created = await server.create_instance(
            name, number=number, rabbitmq={"enabled": True, "events": ["SEND_MESSAGE", "MESSAGES_UPSERT"]}
        )
        await send_text(server, name, "refused by the broker")
        await server.services.bus.drain()
        assert any("PRECONDITION_FAILED" in record.getMessage() for record in caplog.records)
        # The sink reopens its channel: other queues of the same instance keep working.
        inbound = await server.client.post(
            "/webhook/evolution",
            json={
                "numberId": number,
                "key": {"remoteJid": "5511922220000@s.whatsapp.net"},
                "message": {"conversation": "hi"},
            },
            headers=server.headers(created["hash"]),
        )
        assert inbound.status_code == 200
        (message,) = await consumer.take(f"{name}.messages.upsert", 1)
        assert body(message)["data"]["message"] == {"conversation": "hi"}


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
async def test_planned_deliveries_survive_json_round_trip(server_factory: ServerFactory) -> None:
    """The durable bus stores deliveries as JSON between `plan` and `send`: both sinks' must survive it."""
    env = rabbit_env(WEBSOCKET_ENABLED="true", WEBSOCKET_GLOBAL_EVENTS="true", RABBITMQ_GLOBAL_ENABLED="false")
    name = unique("rmqjson")
    async with amqp_consumer() as consumer, server_factory(**env) as server:
        consumer.track(queues=(f"{name}.instance.create",), exchanges=(name,))
        created = await server.create_instance(
            name, rabbitmq={"enabled": True, "events": []}, websocket={"enabled": True, "events": []}
        )
        event = Event(event="remove.instance", instance=name, instance_id=created["instance"]["instanceId"], data=None)
        sinks = server.services.sinks
        planned: list[tuple[Sink | None, int]] = [(sinks.get(RABBITMQ), 1), (sinks.get(WEBSOCKET), 2)]
        for sink, expected in planned:
            assert sink is not None
            deliveries = await sink.plan(event)
            assert len(deliveries) == expected
            stored = msgspec.json.decode(msgspec.json.encode(deliveries), type=list[Delivery])
            assert stored == deliveries
