"""The EVOLUTION channel's payloads and answers exactly as upstream 2.3.6's evolution channel gives
them: send records (media, buttons), the inbound webhook's events, `/call/offer`, sendReaction."""

from __future__ import annotations

import uuid
from typing import Any

from evolution_py.events.testing import RecordingSink
from tests.support.server import RunningServer, unique


async def _instance(server: RunningServer) -> tuple[str, str, str, RecordingSink]:
    name, number = unique(), uuid.uuid4().hex[:12]
    token = (await server.create_instance(name, number=number))["hash"]
    sink = RecordingSink()
    server.services.bus.add_sink(sink)
    return name, token, number, sink


def _without_volatile(record: dict[str, Any]) -> dict[str, Any]:
    out = dict(record)
    key = dict(out.pop("key"))
    uuid.UUID(key.pop("id"))
    assert isinstance(out.pop("messageTimestamp"), int)
    return {"key": key, **out}


async def test_media_and_buttons_records_as_upstream(server: RunningServer) -> None:
    name, token, _number, sink = await _instance(server)
    h = server.headers(token)
    url = await server.client.post(
        f"/message/sendMedia/{name}", headers=h,
        json={"number": "5511988887777", "mediatype": "image", "media": "https://example.com/a.png", "caption": "c"},
    )  # fmt: skip
    assert url.status_code == 201, url.text
    (sent,) = sink.of("send.message", name)
    assert sent == url.json()  # the event and the answer are the same record
    assert _without_volatile(url.json()) == {
        "key": {"fromMe": True, "remoteJid": "5511988887777"},
        "message": {"mediaUrl": "https://example.com/a.png"},
        "messageType": "imageMessage",
        "source": "unknown",
        "instanceId": url.json()["instanceId"],
    }
    audio = await server.client.post(
        f"/message/sendWhatsAppAudio/{name}", headers=h, json={"number": "5511988887777", "audio": "QUJD"}
    )
    assert audio.status_code == 201, audio.text
    assert audio.json()["message"] == {"mediaUrl": None} and audio.json()["messageType"] == "audioMessage"

    buttons = [{"type": "reply", "displayText": "Sim", "id": "1"}, {"type": "reply", "displayText": "Não", "id": "2"}]
    sent = await server.client.post(
        f"/message/sendButtons/{name}", headers=h,
        json={"number": "5511988887777", "title": "Confirma?", "buttons": buttons},
    )  # fmt: skip
    assert sent.status_code == 201, sent.text
    # buttons as given, no null fields added; absent description / footer left out
    assert sent.json()["message"] == {"title": "Confirma?", "buttons": buttons}
    assert sink.of("send.message", name)[-1]["message"] == {"title": "Confirma?", "buttons": buttons}


async def test_inbound_events_as_upstream(server: RunningServer) -> None:
    name, token, number, sink = await _instance(server)
    body = {
        "numberId": number,
        "key": {"remoteJid": "5511988887777@s.whatsapp.net", "fromMe": False, "id": "IN1"},
        "pushName": "Maria",
        "message": {"conversation": "oi"},
        "messageType": "conversation",
    }
    answer = await server.client.post("/webhook/evolution", json=body, headers={"apikey": token})
    assert answer.status_code == 200 and answer.json() == {"status": "success"}
    (upsert,) = sink.of("messages.upsert", name)
    assert isinstance(upsert.pop("messageTimestamp"), int)
    instance_id = upsert["instanceId"]
    assert upsert == {
        "key": {"id": "IN1", "remoteJid": "5511988887777@s.whatsapp.net", "fromMe": False},
        "pushName": "Maria",
        "message": {"conversation": "oi"},
        "messageType": "conversation",
        "source": "unknown",
        "instanceId": instance_id,
    }
    assert sink.of("contacts.upsert", name) == [
        {"remoteJid": "5511988887777@s.whatsapp.net", "pushName": "Maria", "instanceId": instance_id}
    ]
    assert sink.of("chats.upsert", name) == [{"remoteJid": "5511988887777@s.whatsapp.net", "instanceId": instance_id}]

    # no remoteJid: upstream still emits and stores the message, answers success, and writes no
    # contact or chat (its contact write fails on the missing JID)
    no_jid = {"numberId": number, "key": {"id": "IN2"}, "message": {"conversation": "sem jid"}}
    answer = await server.client.post("/webhook/evolution", json=no_jid, headers={"apikey": token})
    assert answer.status_code == 200 and answer.json() == {"status": "success"}
    last = sink.of("messages.upsert", name)[-1]
    assert last["key"] == {"id": "IN2"} and "pushName" not in last
    assert len(sink.of("contacts.upsert", name)) == 1 and len(sink.of("chats.upsert", name)) == 1
    contacts = (await server.client.post(f"/chat/findContacts/{name}", headers=server.headers(token), json={})).json()
    assert [c["pushName"] for c in contacts] == ["Maria"]  # no contact was overwritten


async def test_call_offer_and_reaction_answers_as_upstream(server: RunningServer) -> None:
    name, token, _number, _sink = await _instance(server)
    h = server.headers(token)
    offer = await server.client.post(
        f"/call/offer/{name}", headers=h, json={"number": "5511988887777", "callDuration": 10}
    )
    assert offer.status_code == 400
    assert offer.json() == {
        "status": 400,
        "error": "Bad Request",
        "response": {"message": ["Method not available on WhatsApp Business API"]},
    }
    key = {"remoteJid": "5511988887777@s.whatsapp.net", "fromMe": True, "id": "X"}
    reaction = await server.client.post(f"/message/sendReaction/{name}", headers=h, json={"key": key, "reaction": "ok"})
    assert reaction.status_code == 400
    assert reaction.json()["response"]["message"] == ["Reaction must be a single emoji or empty string"]
    emoji = await server.client.post(f"/message/sendReaction/{name}", headers=h, json={"key": key, "reaction": "👍"})
    assert emoji.status_code == 400
    assert emoji.json()["response"]["message"] == ["Method not available on Evolution Channel"]
