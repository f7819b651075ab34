"""`webhook`/`webhookEvents` (create) and `webhookUrl`/`subscribe` (connect) land in the v2 Webhook
row, in v2 event keys, so the same sinks deliver them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from evolution_py.events.event import Event
from evolution_py.events.names import EVENT_KEYS, event_key
from evolution_py.events.sink import Delivery
from evolution_py.services import Services
from evolution_py.store.models import Rabbitmq, Webhook
from tests.api.go.conftest import GoServer


async def _row(go: GoServer, instance_id: str) -> dict[str, Any] | None:
    # Straight from the database, not the cache, so the test sees what a restart would load.
    async with go.srv.services.db.session() as session:
        row = (await session.execute(select(Webhook).where(Webhook.instanceId == instance_id))).scalars().first()
    if row is None:
        return None
    return {"url": row.url, "enabled": row.enabled, "events": row.events}


class WebhookRowSink:
    """Plans deliveries the way a webhook sink does: from the instance's Webhook row."""

    name = "recording-webhook"

    def __init__(self, services: Services) -> None:
        self.services = services
        self.planned: list[Event] = []

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def plan(self, event: Event) -> list[Delivery]:
        row = await self.services.subscriptions.find("webhook", event.instance_id or "")
        if not row or not row["enabled"] or event_key(event.event) not in (row["events"] or []):
            return []
        self.planned.append(event)
        return [Delivery(sink=self.name, target=row["url"], event=event)]

    async def send(self, delivery: Delivery) -> None:
        return None


async def test_create_and_connect_store_the_webhook_row(go: GoServer) -> None:
    inst = await go.create(
        webhook="https://seu-servidor.com/webhook", webhookEvents=["messages.upsert", "connection.update"]
    )
    assert await _row(go, inst["id"]) == {
        "url": "https://seu-servidor.com/webhook",
        "enabled": True,
        "events": ["MESSAGES_UPSERT", "CONNECTION_UPDATE"],
    }
    h = {"apikey": inst["token"]}

    # Evolution Go's categories map onto v2 keys.
    connect = await go.client.post(
        "/instance/connect",
        json={"webhookUrl": "https://outro.example/hook", "subscribe": ["MESSAGE", "GROUP", "QRCODE"]},
        headers=h,
    )
    assert connect.status_code == 200, connect.text
    assert connect.json()["data"] == {
        "jid": "",
        "webhookUrl": "https://outro.example/hook",
        "eventString": "messages.upsert,groups.upsert,groups.update,group-participants.update,qrcode.updated",
    }
    row = await _row(go, inst["id"])
    assert row == {
        "url": "https://outro.example/hook",
        "enabled": True,
        "events": ["MESSAGES_UPSERT", "GROUPS_UPSERT", "GROUP_UPDATE", "GROUP_PARTICIPANTS_UPDATE", "QRCODE_UPDATED"],
    }

    # What the body leaves out is kept; an unknown event changes nothing.
    await go.client.post("/instance/connect", json={}, headers=h)
    assert await _row(go, inst["id"]) == row
    bad = await go.client.post("/instance/connect", json={"subscribe": ["MESSAGE", "GROUP_UPDATES"]}, headers=h)
    assert bad.status_code == 400 and "GROUP_UPDATES" in bad.json()["error"]
    wrong_type = await go.client.post("/instance/connect", json={"subscribe": "MESSAGE"}, headers=h)
    assert (wrong_type.status_code, wrong_type.json()) == (400, {"error": "subscribe must be an array of event names"})
    bad_url = await go.client.post("/instance/connect", json={"webhookUrl": "not a url"}, headers=h)
    assert (bad_url.status_code, bad_url.json()) == (400, {"error": "webhookUrl must be an http:// or https:// URL"})
    assert await _row(go, inst["id"]) == row

    everything = await go.client.post("/instance/connect", json={"subscribe": ["ALL"]}, headers=h)
    assert (await _row(go, inst["id"]))["events"] == list(EVENT_KEYS)  # type: ignore[index]
    assert everything.json()["data"]["eventString"].startswith("application.startup,qrcode.updated,")

    # An empty URL switches the webhook off (the events stay for when a URL comes back).
    off = await go.client.post("/instance/connect", json={"webhookUrl": ""}, headers=h)
    assert off.json()["data"]["webhookUrl"] == ""
    assert (await _row(go, inst["id"]))["enabled"] is False  # type: ignore[index]

    info = (await go.client.get(f"/instance/info/{inst['id']}", headers=go.admin)).json()["data"]
    assert info["webhook"] == "" and info["events"].startswith("application.startup,")


async def test_connect_defaults_and_transport_flags(go: GoServer) -> None:
    inst = await go.create()
    assert await _row(go, inst["id"]) is None  # nothing asked, nothing stored
    h = {"apikey": inst["token"]}
    connect = await go.client.post(
        "/instance/connect",
        json={"webhookUrl": "https://h.example/x", "rabbitmqEnable": "enabled", "websocketEnable": "disabled"},
        headers=h,
    )
    assert connect.json()["data"]["eventString"] == "messages.upsert"  # Go's default: MESSAGE
    async with go.srv.services.db.session() as session:
        rabbit = (await session.execute(select(Rabbitmq).where(Rabbitmq.instanceId == inst["id"]))).scalars().one()
    assert (rabbit.enabled, rabbit.events) == (True, ["MESSAGES_UPSERT"])
    websocket = await go.srv.services.subscriptions.find("websocket", inst["id"])
    assert websocket is not None and websocket["enabled"] is False


async def test_subscribed_events_reach_the_bus_sinks(go: GoServer) -> None:
    sink = WebhookRowSink(go.srv.services)
    go.srv.services.bus.add_sink(sink)
    inst = await go.create()
    h = {"apikey": inst["token"]}
    await go.client.post(
        "/instance/connect", json={"webhookUrl": "https://h.example/x", "subscribe": ["CONNECTION"]}, headers=h
    )
    await go.channel(inst["name"]).scan()
    await go.srv.services.bus.drain()
    planned = [e.event for e in sink.planned if e.instance_id == inst["id"]]
    # connection.update (connecting, open) yes; qrcode.updated was not subscribed.
    assert planned == ["connection.update", "connection.update"]


async def test_a_v2_webhook_shows_in_the_go_dialect_and_back(go: GoServer) -> None:
    name = "v2-hooked"
    created = await go.srv.create_instance(
        name,
        webhook={"url": "https://v2.example/hook", "events": ["MESSAGES_UPSERT", "QRCODE_UPDATED"], "byEvents": True},
    )
    instance_id = created["instance"]["instanceId"]
    info = (await go.client.get(f"/instance/info/{name}", headers=go.admin)).json()["data"]
    assert (info["id"], info["webhook"], info["events"]) == (
        instance_id,
        "https://v2.example/hook",
        "messages.upsert,qrcode.updated",
    )
    # The v2 token works on Go token routes; a Go connect keeps v2-only fields of the row.
    connect = await go.client.post(
        "/instance/connect", json={"subscribe": ["CALL"]}, headers={"apikey": created["hash"]}
    )
    assert connect.json()["data"]["eventString"] == "call"
    row = await go.srv.services.subscriptions.find("webhook", instance_id)
    assert row is not None
    assert (row["url"], row["events"], row["webhookByEvents"]) == ("https://v2.example/hook", ["CALL"], True)
