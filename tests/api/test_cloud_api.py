"""The WHATSAPP-BUSINESS channel end to end: a real server, real httpx clients, a fake Graph API that
checks every request as Meta documents it, and a real webhook receiver for the events; on SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from evolution_py.channels.cloud_api.testing import RATE_LIMITED, SERVER_ERROR, WINDOW_CLOSED, FakeGraph
from evolution_py.events import names
from evolution_py.events.testing import RecordingSink
from evolution_py.integrations.base import IntegrationContext
from evolution_py.integrations.registry import install_integrations
from evolution_py.services import Services
from evolution_py.sinks.webhook.testing import Receiver
from tests.conftest import ServerFactory
from tests.integrations.test_integration_seam import EchoBot
from tests.support import meta_webhooks as meta
from tests.support.databases import database_env
from tests.support.server import RunningServer, running_server, unique

META_TOKEN = "EAAG-test-access-token"
EVENTS = ["MESSAGES_UPSERT", "MESSAGES_UPDATE", "SEND_MESSAGE", "CONTACTS_UPSERT", "CHATS_UPSERT"]
NOT_AVAILABLE = {
    "status": 400,
    "error": "Bad Request",
    "response": {"message": ["Method not available on WhatsApp Business API"]},
}


@dataclass
class Cloud:
    server: RunningServer
    graph: FakeGraph
    receiver: Receiver
    name: str
    key: str  # the instance's own token (our apikey), not Meta's

    @property
    def headers(self) -> dict[str, str]:
        return self.server.headers(self.key)

    async def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return await self.server.client.post(f"{path}/{self.name}", json=body, headers=self.headers, **kwargs)

    async def webhook(self, value: dict[str, Any]) -> None:
        body = meta.delivery(self.graph.phone_number_id, value)
        response = await self.server.client.post("/webhook/meta", json=body)
        assert response.status_code == 200, response.text
        assert response.json() == {"status": "success"}


@pytest.fixture
async def cloud_env() -> AsyncIterator[tuple[FakeGraph, dict[str, str]]]:
    async with FakeGraph(token=META_TOKEN, version="v20.0") as graph:
        yield (
            graph,
            {
                "WA_BUSINESS_URL": graph.url,
                "WA_BUSINESS_VERSION": "v20.0",
                "WA_BUSINESS_RETRIES": "2",
                "WA_BUSINESS_RETRY_BASE_SECONDS": "0.01",
            },
        )


async def _cloud(server: RunningServer, graph: FakeGraph, receiver: Receiver) -> Cloud:
    name = unique("meta")
    created = await server.create_instance(
        name,
        integration="WHATSAPP-BUSINESS",
        token=META_TOKEN,
        number=graph.phone_number_id,
        businessId=graph.business_id,
    )
    hook = {"enabled": True, "url": receiver.url + "/hook", "events": EVENTS}
    response = await server.client.post(f"/webhook/set/{name}", json={"webhook": hook}, headers=server.headers())
    assert response.status_code == 201, response.text
    return Cloud(server, graph, receiver, name, created["hash"])


@pytest.fixture
async def cloud(server_factory: ServerFactory, cloud_env: tuple[FakeGraph, dict[str, str]]) -> AsyncIterator[Cloud]:
    graph, env = cloud_env
    async with Receiver() as receiver, server_factory(**env) as server:
        yield await _cloud(server, graph, receiver)


# --- create and lifecycle ---------------------------------------------------------------------


async def test_create_answers_the_meta_webhook_and_stays_open(cloud: Cloud) -> None:
    server = cloud.server
    h = server.headers()
    for body, message in (
        ({"number": "1"}, "token is required"),
        ({"token": "t"}, "number is required"),
    ):
        refused = await server.client.post(
            "/instance/create", json={"instanceName": unique(), "integration": "WHATSAPP-BUSINESS", **body}, headers=h
        )
        assert refused.status_code == 400 and refused.json()["response"]["message"] == [message]

    name = unique()
    created = await server.create_instance(name, integration="WHATSAPP-BUSINESS", token="tok", number="123")
    assert created["instance"]["webhookWaBusiness"] == f"{server.base_url}/webhook/meta"
    assert created["instance"]["accessTokenWaBusiness"] == "evolution"
    assert created["instance"]["status"] == "open" and created["instance"]["integration"] == "WHATSAPP-BUSINESS"

    state = await server.client.get(f"/instance/connectionState/{name}", headers=h)
    assert state.json() == {"instance": {"instanceName": name, "state": "open"}}
    connect = await server.client.get(f"/instance/connect/{name}", headers=h)
    assert connect.status_code == 200 and connect.json()["instance"]["state"] == "open"
    restart = await server.client.post(f"/instance/restart/{name}", headers=h)
    assert restart.status_code == 200
    logout = await server.client.delete(f"/instance/logout/{name}", headers=h)
    assert logout.status_code == 200
    closed = await server.client.get(f"/instance/connectionState/{name}", headers=h)
    assert closed.json()["instance"]["state"] == "close"
    again = await server.client.get(f"/instance/connect/{name}", headers=h)
    assert again.status_code == 200
    reopened = await server.client.get(f"/instance/connectionState/{name}", headers=h)
    assert reopened.json()["instance"]["state"] == "open"


# --- outbound ---------------------------------------------------------------------------------


async def test_every_send_reaches_meta_as_documented_is_stored_and_emitted(cloud: Cloud) -> None:
    to = "5511988887777"
    text = await cloud.post(
        "/message/sendText",
        {"number": to, "text": "see https://example.com", "linkPreview": True, "quoted": {"key": {"id": "wamid.Q"}}},
    )
    assert text.status_code == 201, text.text
    record = text.json()
    assert record["key"] == {"fromMe": True, "id": record["key"]["id"], "remoteJid": f"{to}@s.whatsapp.net"}
    assert record["key"]["id"].startswith("wamid.")
    assert record["message"] == {"conversation": "see https://example.com", "contextInfo": {"stanzaId": "wamid.Q"}}
    assert record["messageType"] == "conversation" and record["status"] == "PENDING"

    png = base64.b64encode(b"\x89PNG-bytes").decode()
    sends = [
        ("/message/sendMedia", {"number": to, "mediatype": "image", "media": "https://cdn.example.com/a.jpg"}),
        ("/message/sendMedia", {"number": to, "mediatype": "image", "media": png, "caption": "look"}),
        ("/message/sendMedia", {"number": to, "mediatype": "document", "media": png, "fileName": "r.pdf"}),
        ("/message/sendWhatsAppAudio", {"number": to, "audio": "https://cdn.example.com/a.ogg"}),
        ("/message/sendSticker", {"number": to, "sticker": base64.b64encode(b"RIFFwebp").decode()}),
        ("/message/sendLocation", {"number": to, "latitude": -23.5, "longitude": -46.6, "name": "SP", "address": "x"}),
        ("/message/sendContact", {"number": to, "contact": [{"fullName": "Ana", "phoneNumber": "5511999990000"}]}),
        ("/message/sendReaction", {"key": {"id": "wamid.R", "remoteJid": to, "fromMe": False}, "reaction": "👍"}),
        (
            "/message/sendList",
            {
                "number": to,
                "title": "Menu",
                "description": "Pick one",
                "footerText": "f",
                "buttonText": "Open",
                "sections": [{"title": "S", "rows": [{"title": "A", "rowId": "a", "description": "d" * 100}]}],
            },
        ),
        (
            "/message/sendButtons",
            {"number": to, "title": "Sure?", "buttons": [{"type": "reply", "displayText": "Yes", "id": "y"}]},
        ),
        (
            "/message/sendTemplate",
            {
                "number": to,
                "name": "order_update",
                "language": "pt_BR",
                "components": [{"type": "body", "parameters": [{"type": "text", "text": "42"}]}],
            },
        ),
    ]
    records = [record]
    for path, body in sends:
        response = await cloud.post(path, body)
        assert response.status_code == 201, (path, response.text)
        records.append(response.json())
    upload = await cloud.server.client.post(
        f"/message/sendMedia/{cloud.name}",
        headers=cloud.headers,
        data={"number": to, "mediatype": "video", "caption": "clip"},
        files={"file": ("clip.mp4", b"\x00\x00mp4", "video/mp4")},
    )
    assert upload.status_code == 201, upload.text
    records.append(upload.json())
    assert cloud.graph.problems == []

    sent = cloud.graph.sent()
    assert [body["type"] for body in sent] == [
        "text",
        "image",
        "image",
        "document",
        "audio",
        "sticker",
        "location",
        "contacts",
        "reaction",
        "interactive",
        "interactive",
        "template",
        "video",
    ]
    assert sent[0]["text"] == {"body": "see https://example.com", "preview_url": True}
    assert sent[0]["context"] == {"message_id": "wamid.Q"} and sent[0]["to"] == to
    assert sent[1]["image"] == {"link": "https://cdn.example.com/a.jpg"}
    assert set(sent[2]["image"]) == {"id", "caption"} and sent[2]["image"]["caption"] == "look"
    assert cloud.graph.media[sent[2]["image"]["id"]] == ("image/png", b"\x89PNG-bytes")
    assert sent[3]["document"]["filename"] == "r.pdf" and cloud.graph.media[sent[3]["document"]["id"]][0] == (
        "application/pdf"
    )
    assert cloud.graph.media[sent[5]["sticker"]["id"]][0] == "image/webp"
    assert sent[7]["contacts"][0]["name"]["formatted_name"] == "Ana"
    assert sent[8]["reaction"] == {"message_id": "wamid.R", "emoji": "👍"}
    assert sent[9]["interactive"]["type"] == "list"
    assert len(sent[9]["interactive"]["action"]["sections"][0]["rows"][0]["description"]) == 72
    assert sent[10]["interactive"]["action"]["buttons"] == [{"type": "reply", "reply": {"title": "Yes", "id": "y"}}]
    assert sent[11]["template"] == {
        "name": "order_update",
        "language": {"code": "pt_BR"},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": "42"}]}],
    }
    assert cloud.graph.media[sent[12]["video"]["id"]] == ("video/mp4", b"\x00\x00mp4")
    uploads = [c for c in cloud.graph.calls if c.path.endswith("/media")]
    assert all(c.headers["Authorization"] == f"Bearer {META_TOKEN}" for c in cloud.graph.calls)
    assert {c.form["messaging_product"] for c in uploads} == {"whatsapp"}

    assert [r["messageType"] for r in records[1:5]] == ["imageMessage"] * 2 + ["documentMessage", "audioMessage"]
    assert records[7]["message"]["contactMessage"]["displayName"] == "Ana"
    assert records[11]["message"] == {"conversation": "▶️order_update◀️"}

    await cloud.receiver.wait_for(lambda r: len(r.events("send.message")) == len(records))
    emitted = {event.body["data"]["key"]["id"] for event in cloud.receiver.events("send.message")}
    assert emitted == {r["key"]["id"] for r in records}
    stored = await cloud.post("/chat/findMessages", {})
    assert stored.json()["messages"]["total"] == len(records)


async def test_what_meta_cannot_do_answers_not_available(cloud: Cloud) -> None:
    cases: list[tuple[str, dict[str, Any]]] = [
        ("/message/sendPoll", {"number": "1", "name": "q", "selectableCount": 1, "values": ["a", "b"]}),
        ("/message/sendStatus", {"type": "text", "content": "hi", "allContacts": True}),
        ("/message/sendPtv", {"number": "1", "video": "https://x/v.mp4"}),
        ("/chat/whatsappNumbers", {"numbers": ["5511988887777"]}),
        ("/group/create", {"subject": "g", "participants": ["5511988887777"]}),
    ]
    for path, body in cases:
        response = await cloud.post(path, body)
        assert response.status_code == 400, path
        # each router keeps its own envelope (whatsappNumbers answers the raw object): the text is the same
        if path.startswith("/message/"):
            assert response.json() == NOT_AVAILABLE, path
        assert "Method not available on WhatsApp Business API" in response.text, path
    assert cloud.graph.calls == []


async def test_read_receipts(cloud: Cloud) -> None:
    keys = [
        {"id": "wamid.IN1", "remoteJid": "5511988887777@s.whatsapp.net", "fromMe": False},
        {"id": "wamid.OUT", "remoteJid": "5511988887777@s.whatsapp.net", "fromMe": True},
    ]
    response = await cloud.post("/chat/markMessageAsRead", {"readMessages": keys})
    assert response.status_code == 201, response.text
    assert response.json() == {"message": "Read messages", "read": "success"}
    assert cloud.graph.sent() == [{"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.IN1"}]


async def test_rate_limits_and_5xx_are_retried_other_errors_answer_meta_s_body(cloud: Cloud) -> None:
    body = {"number": "5511988887777", "text": "hi"}
    cloud.graph.fail_next("/messages", 429, RATE_LIMITED, times=2, retry_after="0")
    ok = await cloud.post("/message/sendText", body)
    assert ok.status_code == 201, ok.text
    assert len([c for c in cloud.graph.calls if c.path.endswith("/messages")]) == 3

    cloud.graph.fail_next("/messages", 503, SERVER_ERROR, times=1)
    assert (await cloud.post("/message/sendText", body)).status_code == 201
    cloud.graph.fail_next("/messages", 400, RATE_LIMITED, times=1)  # Meta's throughput code on a 400
    assert (await cloud.post("/message/sendText", body)).status_code == 201

    cloud.graph.fail_next("/messages", 500, SERVER_ERROR, times=3)
    gave_up = await cloud.post("/message/sendText", body)
    assert gave_up.status_code == 400 and gave_up.json()["details"]["whatsapp_code"] == 1

    cloud.graph.fail_next("/messages", 400, WINDOW_CLOSED)
    before = len(cloud.graph.calls)
    refused = await cloud.post("/message/sendText", body)
    assert refused.status_code == 400
    answer = refused.json()
    assert answer["status"] == 400 and answer["error"] == "Bad Request"
    assert answer["message"] == WINDOW_CLOSED["message"]
    details = answer["details"]
    assert details["whatsapp_code"] == 131047 and details["error_type"] == "OAuthException"
    assert details["fbtrace_id"] == WINDOW_CLOSED["fbtrace_id"] and details["type"] == "whatsapp_api_error"
    assert len(cloud.graph.calls) == before + 1  # not retried
    stored = await cloud.post("/chat/findMessages", {})
    assert stored.json()["messages"]["total"] == 3  # refused sends are not stored


async def test_a_wrong_access_token_answers_meta_s_auth_error(
    server_factory: ServerFactory, cloud_env: tuple[FakeGraph, dict[str, str]]
) -> None:
    graph, env = cloud_env
    async with server_factory(**env) as server:
        name = unique()
        created = await server.create_instance(
            name, integration="WHATSAPP-BUSINESS", token="not-the-token", number=graph.phone_number_id
        )
        response = await server.client.post(
            f"/message/sendText/{name}", json={"number": "1555", "text": "x"}, headers=server.headers(created["hash"])
        )
        assert response.status_code == 400
        assert response.json()["details"]["whatsapp_code"] == 190


# --- inbound ----------------------------------------------------------------------------------


async def test_webhook_verification(cloud: Cloud) -> None:
    client = cloud.server.client
    ok = await client.get(
        "/webhook/meta",
        params={"hub.mode": "subscribe", "hub.verify_token": "evolution", "hub.challenge": "1158201444"},
    )
    assert ok.status_code == 200 and ok.text == "1158201444"
    bad = await client.get("/webhook/meta", params={"hub.verify_token": "nope", "hub.challenge": "1"})
    assert bad.status_code == 200 and bad.text == "Error, wrong validation token"


async def test_inbound_messages_of_every_type_once_each(cloud: Cloud) -> None:
    graph = cloud.graph
    graph.add_media("1001", "image/jpeg", b"jpeg-bytes")
    graph.add_media("1002", "audio/ogg", b"ogg-bytes")
    graph.add_media("1003", "application/pdf", b"%PDF")
    graph.add_media("1004", "image/webp", b"webp")
    pid = graph.phone_number_id
    examples = [
        meta.text("wamid.T1"),
        meta.image("wamid.I1", "1001"),
        meta.voice("wamid.A1", "1002"),
        meta.document("wamid.D1", "1003"),
        meta.sticker("wamid.S1", "1004"),
        meta.location("wamid.L1"),
        meta.contacts("wamid.C1"),
        meta.button_reply("wamid.B1", "wamid.T1"),
        meta.list_reply("wamid.LR1"),
        meta.template_button("wamid.TB1"),
        meta.reaction("wamid.R1", "wamid.T1"),
    ]
    for example in examples:
        await cloud.webhook(meta.messages_value(pid, example))
    await cloud.webhook(meta.messages_value(pid, meta.text("wamid.T1")))  # Meta delivers again
    await cloud.webhook(meta.messages_value(pid, meta.unsupported("wamid.U1")))
    await cloud.webhook(meta.messages_value(pid, meta.text("wamid.LAST")))
    # once the last one is here, every earlier event is too (one instance's events keep their order)
    last = "wamid.LAST"
    await cloud.receiver.wait_for(
        lambda r: any(e.body["data"]["key"]["id"] == last for e in r.events("messages.upsert"))
    )

    upserts = {e.body["data"]["key"]["id"]: e.body["data"] for e in cloud.receiver.events("messages.upsert")}
    assert len(cloud.receiver.events("messages.upsert")) == len(examples) + 1
    jid = f"{meta.CUSTOMER}@s.whatsapp.net"
    text = upserts["wamid.T1"]
    assert text["key"] == {"id": "wamid.T1", "remoteJid": jid, "fromMe": False}
    assert text["pushName"] == "Kerry Fisher" and text["messageTimestamp"] == 1603059201
    assert text["message"] == {"conversation": "Hello this is an answer"} and text["messageType"] == "conversation"
    assert text["source"] == "unknown"
    image = upserts["wamid.I1"]
    assert image["messageType"] == "imageMessage" and image["message"]["imageMessage"]["caption"] == "CAPTION"
    assert base64.b64decode(image["message"]["base64"]) == b"jpeg-bytes"
    audio = upserts["wamid.A1"]["message"]
    assert audio["audioMessage"]["ptt"] is True and base64.b64decode(audio["base64"]) == b"ogg-bytes"
    assert upserts["wamid.D1"]["message"]["documentMessage"]["filename"] == "report.pdf"
    assert base64.b64decode(upserts["wamid.S1"]["message"]["base64"]) == b"webp"
    assert upserts["wamid.L1"]["message"]["locationMessage"]["degreesLatitude"] == 37.483872
    contact = upserts["wamid.C1"]["message"]["contactMessage"]
    assert contact["displayName"] == "Ana Souza" and "waid=19405551234" in contact["vcard"]
    assert upserts["wamid.B1"]["message"] == {"conversation": "Yes", "contextInfo": {"stanzaId": "wamid.T1"}}
    assert upserts["wamid.B1"]["messageType"] == "interactiveMessage"
    assert upserts["wamid.LR1"]["message"] == {"conversation": "Blue"}
    assert upserts["wamid.TB1"]["messageType"] == "buttonMessage"
    assert upserts["wamid.R1"]["message"]["reactionMessage"] == {"key": {"id": "wamid.T1"}, "text": "\U0001f600"}

    stored = await cloud.post("/chat/findMessages", {"where": {"key": {"id": "wamid.I1"}}})
    assert base64.b64decode(stored.json()["messages"]["records"][0]["message"]["base64"]) == b"jpeg-bytes"
    again = await cloud.post("/chat/getBase64FromMediaMessage", {"message": {"key": {"id": "wamid.D1"}}})
    assert again.status_code == 201, again.text
    assert base64.b64decode(again.json()["base64"]) == b"%PDF"
    chats = (await cloud.post("/chat/findChats", {})).json()
    assert [c["remoteJid"] for c in chats] == [jid]
    contacts = (await cloud.post("/chat/findContacts", {})).json()
    assert contacts[0]["pushName"] == "Kerry Fisher"
    assert cloud.graph.problems == []

    # a media id is a Graph API path: anything but an id never reaches Meta with the instance's token
    await cloud.webhook(meta.messages_value(pid, meta.image("wamid.EVIL", "me/accounts")))
    await cloud.webhook(meta.messages_value(pid, meta.text("wamid.LAST2")))
    await cloud.receiver.wait_for(
        lambda r: any(e.body["data"]["key"]["id"] == "wamid.LAST2" for e in r.events("messages.upsert"))
    )
    evil = next(
        e.body["data"] for e in cloud.receiver.events("messages.upsert") if e.body["data"]["key"]["id"] == "wamid.EVIL"
    )
    assert "base64" not in evil["message"] and not any("accounts" in c.path for c in cloud.graph.calls)

    other = await cloud.server.client.post(
        "/webhook/meta", json=meta.delivery("999", meta.messages_value("999", meta.text("wamid.X")))
    )
    assert other.status_code == 200 and other.json() == {"status": "success"}
    assert "wamid.X" not in {e.body["data"]["key"]["id"] for e in cloud.receiver.events("messages.upsert")}


async def test_read_messages_setting_sends_read_receipts(cloud: Cloud) -> None:
    settings = {
        "rejectCall": False,
        "msgCall": "",
        "groupsIgnore": False,
        "alwaysOnline": False,
        "readMessages": True,
        "readStatus": False,
        "syncFullHistory": False,
    }
    saved = await cloud.post("/settings/set", settings)
    assert saved.status_code == 201, saved.text
    pid = cloud.graph.phone_number_id
    await cloud.webhook(meta.messages_value(pid, meta.text("wamid.READ-ME")))
    assert cloud.graph.sent() == [{"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.READ-ME"}]


async def test_signed_deliveries(server_factory: ServerFactory, cloud_env: tuple[FakeGraph, dict[str, str]]) -> None:
    graph, env = cloud_env
    secret = "app-secret-0123456789"
    async with Receiver() as receiver, server_factory(**env, WA_BUSINESS_APP_SECRET=secret) as server:
        cloud = await _cloud(server, graph, receiver)
        body = meta.delivery(graph.phone_number_id, meta.messages_value(graph.phone_number_id, meta.text("wamid.S")))
        unsigned = await server.client.post("/webhook/meta", json=body)
        assert unsigned.status_code == 401
        raw, headers = meta.signed(body, "another-secret")
        assert (await server.client.post("/webhook/meta", content=raw, headers=headers)).status_code == 401
        raw, headers = meta.signed(body, secret)
        accepted = await server.client.post("/webhook/meta", content=raw, headers=headers)
        assert accepted.status_code == 200 and accepted.json() == {"status": "success"}
        await receiver.wait_for(lambda r: len(r.events("messages.upsert")) == 1)
        assert receiver.events("messages.upsert")[0].body["instance"] == cloud.name


async def test_statuses_become_message_updates_with_errors_kept(cloud: Cloud) -> None:
    to = meta.CUSTOMER
    hook = f"{cloud.receiver.url}/send-status"
    body = {"number": to, "name": "order_update", "language": "en_US", "webhookUrl": hook}
    sent = await cloud.post("/message/sendTemplate", body)
    assert sent.status_code == 201, sent.text
    wamid = sent.json()["key"]["id"]
    pid = cloud.graph.phone_number_id
    for state in ("sent", "delivered", "delivered", "read", "failed", "read"):
        await cloud.webhook(meta.status(pid, wamid, state))
    await cloud.webhook(meta.status(pid, "wamid.never-sent", "read"))
    # a later message's status: once it is here, every earlier event is too (one instance's events keep order)
    later = (await cloud.post("/message/sendText", {"number": to, "text": "x"})).json()["key"]["id"]
    await cloud.webhook(meta.status(pid, later, "sent"))
    await cloud.receiver.wait_for(lambda r: any(e.body["data"]["keyId"] == later for e in r.events("messages.update")))
    updates = [e.body["data"] for e in cloud.receiver.events("messages.update") if e.body["data"]["keyId"] == wamid]
    assert [u["status"] for u in updates] == ["SENT", "DELIVERED", "READ", "FAILED"]
    assert updates[0]["remoteJid"] == f"{to}@s.whatsapp.net" and updates[0]["fromMe"] is True
    assert "messageId" in updates[0] and "errors" not in updates[0]
    assert updates[3]["errors"][0]["code"] == 131047
    found = await cloud.post("/chat/findMessages", {"where": {"key": {"id": wamid}}})
    record = found.json()["messages"]["records"][0]
    assert record["status"] == "FAILED" and record["webhookUrl"] == hook
    assert [u["status"] for u in record["MessageUpdate"]] == ["SENT", "DELIVERED", "READ", "FAILED"]
    told = [r.body["status"] for r in cloud.receiver.requests if r.path == "/send-status"]
    assert told == ["SENT", "DELIVERED", "READ", "FAILED"]  # upstream tells the send's webhookUrl too
    logs = await cloud.server.client.get(f"/instance/logs/{cloud.name}", headers=cloud.server.headers())
    assert "Message not delivered" in logs.text


# --- templates and business -------------------------------------------------------------------


async def test_templates_create_find_edit_delete_and_status_forwarding(cloud: Cloud) -> None:
    components = [{"type": "BODY", "text": "Order {{1}} shipped"}]
    hook = f"{cloud.receiver.url}/template-status"
    created = await cloud.post(
        "/template/create",
        {
            "name": "order_update",
            "category": "UTILITY",
            "language": "en_US",
            "components": components,
            "webhookUrl": hook,
        },
    )
    assert created.status_code == 201, created.text
    row = created.json()
    assert set(row) == {"id", "templateId", "name", "template", "webhookUrl", "createdAt", "updatedAt", "instanceId"}
    assert row["name"] == "order_update" and row["webhookUrl"] == hook
    assert row["template"] == {"id": row["templateId"], "status": "PENDING", "category": "UTILITY"}
    create_call = next(c for c in cloud.graph.calls if c.method == "POST" and c.path.endswith("/message_templates"))
    assert create_call.path == f"/{cloud.graph.business_id}/message_templates"
    assert create_call.json == {
        "name": "order_update",
        "category": "UTILITY",
        "language": "en_US",
        "components": components,
    }

    found = await cloud.server.client.get(f"/template/find/{cloud.name}", headers=cloud.headers)
    assert found.status_code == 200 and [t["name"] for t in found.json()] == ["order_update"]

    edited = await cloud.post("/template/edit", {"templateId": row["templateId"], "components": components[:1]})
    assert edited.status_code == 200 and edited.json()["success"] is True

    status = await cloud.server.client.post("/webhook/meta", json=meta.template_status(row["templateId"]))
    assert status.status_code == 200 and status.content == b""
    await cloud.receiver.wait_for(lambda r: any(x.path == "/template-status" for x in r.requests))
    forwarded = next(x for x in cloud.receiver.requests if x.path == "/template-status").body
    assert forwarded["event"] == "APPROVED" and forwarded["message_template_id"] == int(row["templateId"])

    invalid = await cloud.post(
        "/template/create", {"name": "x", "category": "SPAM", "language": "en", "components": []}
    )
    assert invalid.status_code == 400 and invalid.json()["details"]["context"] == "template_creation"
    cloud.graph.fail_next(
        "/message_templates",
        400,
        {
            "message": "Invalid parameter",
            "type": "OAuthException",
            "code": 100,
            "error_subcode": 2388023,
            "error_user_title": "Language is being deleted",
            "error_user_msg": "New content can't be added while the existing en_US content is being deleted.",
            "fbtrace_id": "Z",
        },
    )
    refused = await cloud.post(
        "/template/create", {"name": "y", "category": "UTILITY", "language": "en_US", "components": components}
    )
    assert refused.status_code == 400
    assert refused.json()["message"] == "Language is being deleted"
    assert refused.json()["details"]["error_subcode"] == 2388023 and refused.json()["details"]["whatsapp_code"] == 100

    traversal = await cloud.post("/template/edit", {"templateId": "../me/accounts", "category": "MARKETING"})
    assert traversal.status_code == 400 and traversal.json()["details"]["context"] == "template_edit"
    assert not any("accounts" in c.path for c in cloud.graph.calls)

    deleted = await cloud.server.client.request(
        "DELETE", f"/template/delete/{cloud.name}", json={"name": "order_update"}, headers=cloud.headers
    )
    assert deleted.status_code == 200 and deleted.json() == {"success": True}
    delete_call = next(c for c in cloud.graph.calls if c.method == "DELETE")
    assert delete_call.query == {"name": "order_update"}
    assert (await cloud.server.client.get(f"/template/find/{cloud.name}", headers=cloud.headers)).json() == []
    assert cloud.graph.problems == []


async def test_templates_need_a_business_id_and_other_channels_answer_meta_errors(cloud: Cloud) -> None:
    server = cloud.server
    name = unique()
    created = await server.create_instance(name, integration="WHATSAPP-BUSINESS", token=META_TOKEN, number="1")
    response = await server.client.get(f"/template/find/{name}", headers=server.headers(created["hash"]))
    assert response.status_code == 400 and response.json()["details"]["context"] == "template_find"
    assert "businessId" in response.json()["message"][0]
    evolution = unique()
    await server.create_instance(evolution)
    other = await server.client.get(f"/template/find/{evolution}", headers=server.headers())
    assert other.status_code == 400 and other.json()["message"] == ["Method not available on Evolution Channel"]


async def test_catalog_and_collections(cloud: Cloud) -> None:
    catalog = await cloud.post("/business/getCatalog", {"limit": 5})
    assert catalog.status_code == 200, catalog.text
    assert catalog.json() == {
        "wuid": "15550100999@s.whatsapp.net",
        "numberExists": True,
        "isBusiness": True,
        "catalogLength": 1,
        "catalog": cloud.graph.products,
    }
    collections = await cloud.post("/business/getCollections", {"limit": 50})
    assert collections.json()["collections"] == cloud.graph.product_sets
    sets_call = next(c for c in cloud.graph.calls if c.path.endswith("/product_sets"))
    assert sets_call.query == {"limit": "20"}
    other = await cloud.post("/business/getCatalog", {"number": "5511988887777"})
    assert other.status_code == 400 and other.json()["details"]["context"] == "business_catalog"


# --- chatbots and Chatwoot: nothing specific to this channel ----------------------------------


async def test_an_integration_answers_a_meta_message_through_meta(
    tmp_path: Path, db_kind: str, cloud_env: tuple[FakeGraph, dict[str, str]]
) -> None:
    graph, env = cloud_env
    bots: list[EchoBot] = []
    recording = RecordingSink()

    def configure(services: Services) -> None:
        context = IntegrationContext(
            settings=services.settings,
            messaging=services.messaging,
            registry=services.registry,
            outbound=services.outbound,
        )

        def build(ctx: IntegrationContext) -> EchoBot:
            bots.append(EchoBot(ctx))
            return bots[-1]

        services.integrations += install_integrations(context, services.bus, [build])
        services.bus.add_sink(recording)

    async with (
        database_env(db_kind, tmp_path) as db_env,
        running_server(tmp_path, {**db_env, **env}, configure=configure) as server,
    ):
        name = unique("meta")
        await server.create_instance(
            name, integration="WHATSAPP-BUSINESS", token=META_TOKEN, number=graph.phone_number_id
        )
        value = meta.messages_value(graph.phone_number_id, meta.text("wamid.BOT1", "hello bot"))
        response = await server.client.post("/webhook/meta", json=meta.delivery(graph.phone_number_id, value))
        assert response.status_code == 200
        for _ in range(500):
            if any(e.event == names.SEND_MESSAGE for e in recording.events):
                break
            await asyncio.sleep(0.02)
        sent = [e for e in recording.events if e.event == names.SEND_MESSAGE]
        assert len(sent) == 1 and sent[0].instance == name
        assert graph.sent() == [
            {
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": meta.CUSTOMER,
                "type": "text",
                "text": {"body": "echo: hello bot", "preview_url": False},
            }
        ]
        assert sent[0].data["key"]["id"].startswith("wamid.") and bots[0].handled == ["hello bot"]
