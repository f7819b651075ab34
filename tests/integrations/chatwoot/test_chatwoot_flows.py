"""WhatsApp ↔ Chatwoot through the EVOLUTION channel and a fake Chatwoot, on SQLite and PostgreSQL:
each WhatsApp message reaches Chatwoot once, an agent's reply reaches WhatsApp once and is not
mirrored back, and one new contact sending twenty messages at once gets one conversation."""

from __future__ import annotations

import asyncio
from pathlib import Path

from evolution_py.events import names
from tests.integrations.chatwoot.support import chatwoot_fake, chatwoot_server, until
from tests.support.databases import database_env

PEER = "5511988887777@s.whatsapp.net"


async def test_inbound_once_and_an_agent_reply_once(tmp_path: Path, db_kind: str) -> None:
    async with (
        database_env(db_kind, tmp_path) as db_env,
        chatwoot_fake() as fake,
        chatwoot_server(tmp_path, db_env, fake) as cw,
    ):
        await cw.configure(signMsg=True, signDelimiter="\\n")
        await cw.inbound(PEER, {"conversation": "Hello *there*, _friend_"}, "IN-1", pushName="Maria")
        first = await until(lambda: fake.with_source("WAID:IN-1"))
        assert first[0]["content"] == "Hello **there**, *friend*"  # WhatsApp markup → Chatwoot markdown
        assert first[0]["message_type"] == "incoming"
        contact = fake.contact_by_identifier(PEER)
        assert len(contact) == 1 and contact[0]["phone_number"] == "+5511988887777" and contact[0]["name"] == "Maria"
        conversation = first[0]["conversation_id"]

        # the same WhatsApp id again (a redelivery): still one message in Chatwoot
        await cw.inbound(PEER, {"conversation": "Hello *there*, _friend_"}, "IN-1", pushName="Maria")
        await cw.inbound(PEER, {"conversation": "second"}, "IN-2", pushName="Maria")
        await until(lambda: fake.with_source("WAID:IN-2"))
        assert len(fake.with_source("WAID:IN-1")) == 1

        # the agent answers (bold in Chatwoot's markdown, quoting the first message)
        reply = fake.agent_reply(conversation, "Sure, **on it**", in_reply_to=first[0]["id"])
        sent = await cw.recording.wait_for(names.SEND_MESSAGE, cw.name, within=10)
        assert sent[0]["key"]["remoteJid"] == PEER
        assert sent[0]["message"]["conversation"] == "*Agent Smith:*\nSure, *on it*"
        assert sent[0]["message"]["quoted"]["id"] == "IN-1"
        # Chatwoot retries its webhook: the reply still goes out once
        fake._notify("message_created", reply)
        await asyncio.sleep(1.0)
        assert len(cw.recording.of(names.SEND_MESSAGE, cw.name)) == 1
        # ... and its own send.message is not mirrored back into Chatwoot
        outgoing = [m for m in fake.of(conversation) if m["message_type"] == "outgoing"]
        assert [m["id"] for m in outgoing] == [reply["id"]]

        # a private note never leaves
        fake.agent_reply(conversation, "internal: customer is VIP", private=True)
        await asyncio.sleep(0.5)
        assert len(cw.recording.of(names.SEND_MESSAGE, cw.name)) == 1

        # a message sent through the HTTP API is mirrored as outgoing, once, and not sent back
        api = await cw.srv.client.post(
            f"/message/sendText/{cw.name}",
            json={"number": "5511988887777", "text": "from the API"},
            headers=cw.srv.headers(),
        )
        assert api.status_code == 201, api.text
        api_id = api.json()["key"]["id"]
        mirrored = await until(lambda: fake.with_source(f"WAID:{api_id}"))
        assert mirrored[0]["message_type"] == "outgoing" and mirrored[0]["content"] == "from the API"
        assert mirrored[0]["conversation_id"] == conversation  # a bare number is the same person
        await asyncio.sleep(0.5)
        assert len(cw.recording.of(names.SEND_MESSAGE, cw.name)) == 2  # the API's own, not re-sent
        # CHATWOOT_MESSAGE_READ: the agent's answer marked the contact's last message read (the
        # EVOLUTION channel cannot mark read: the answer is still sent, nothing breaks)
        assert not fake.refused


async def test_twenty_concurrent_messages_from_one_new_contact(tmp_path: Path, db_kind: str) -> None:
    async with (
        database_env(db_kind, tmp_path) as db_env,
        chatwoot_fake() as fake,
        chatwoot_server(tmp_path, db_env, fake) as cw,
    ):
        await cw.configure()
        peer = "5521977776666@s.whatsapp.net"
        lid = "99887766554433@lid"
        sends = [
            cw.inbound(peer, {"conversation": f"m{i}"}, f"C-{i}", pushName="Joao")
            if i % 2 == 0
            # the same person reached by @lid (as WhatsApp Web reports it, with the phone number in
            # remoteJidAlt; the EVOLUTION channel carries no such field): one contact, not two
            else cw.emit(
                names.MESSAGES_UPSERT,
                {
                    "key": {"remoteJid": lid, "remoteJidAlt": peer, "fromMe": False, "id": f"C-{i}"},
                    "pushName": "Joao",
                    "message": {"conversation": f"m{i}"},
                    "messageType": "conversation",
                },
            )
            for i in range(20)
        ]
        await asyncio.gather(*sends)
        await until(lambda: all(fake.with_source(f"WAID:C-{i}") for i in range(20)), within=30)
        contacts = fake.contact_by_identifier(peer)
        assert len(contacts) == 1
        assert len(fake.conversations_of(contacts[0]["id"])) == 1
        assert all(len(fake.with_source(f"WAID:C-{i}")) == 1 for i in range(20))
        conversation = fake.conversations_of(contacts[0]["id"])[0]["id"]
        assert sorted(m["content"] for m in fake.of(conversation)) == sorted(f"m{i}" for i in range(20))
