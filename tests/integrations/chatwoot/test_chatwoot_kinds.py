"""Groups, media, quotes, edits, deletes, read receipts, the bot contact's commands and notices,
ignoreJids, mergeBrazilContacts and reopenConversation / conversationPending."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

from evolution_py.events import names
from tests.integrations.chatwoot.support import chatwoot_fake, chatwoot_server, until
from tests.support.databases import database_env

PEER = "5511944443333@s.whatsapp.net"
GROUP = "120363000000000001@g.us"
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"0" * 64).decode()


async def test_group_media_quote_edit_delete_read(tmp_path: Path, db_kind: str) -> None:
    async with (
        database_env(db_kind, tmp_path) as db_env,
        chatwoot_fake() as fake,
        chatwoot_server(tmp_path, db_env, fake) as cw,
    ):
        await cw.configure()
        # a group message: the group is the contact, the sender's number and name lead the text
        # (as WhatsApp Web reports it: the EVOLUTION channel carries no participant)
        await cw.emit(
            names.MESSAGES_UPSERT,
            {
                "key": {"remoteJid": GROUP, "participant": PEER, "fromMe": False, "id": "G-1"},
                "pushName": "Rita",
                "message": {"conversation": "hi all"},
                "messageType": "conversation",
            },
        )
        group_msg = (await until(lambda: fake.with_source("WAID:G-1")))[0]
        assert group_msg["content"] == "**+5511944443333 - Rita:**\n\nhi all"
        group_contact = fake.contact_by_identifier(GROUP)
        assert len(group_contact) == 1 and group_contact[0]["phone_number"] is None
        assert group_contact[0]["name"].endswith("(GROUP)")

        # media: an image with a caption becomes an attachment
        await cw.inbound(
            PEER,
            {"imageMessage": {"caption": "look", "mimetype": "image/png"}, "base64": PNG},
            "M-1",
            pushName="Rita",
        )
        media = (await until(lambda: fake.with_source("WAID:M-1")))[0]
        assert media["content"] == "look"
        assert media["attachments"][0]["file_type"] == "image" and media["attachments"][0]["size"] == 72

        # a quoted reply points at the Chatwoot message it answers
        await cw.inbound(
            PEER,
            {"extendedTextMessage": {"text": "about that", "contextInfo": {"stanzaId": "M-1"}}},
            "Q-1",
            pushName="Rita",
        )
        quoted = (await until(lambda: fake.with_source("WAID:Q-1")))[0]
        assert quoted["content_attributes"] == {"in_reply_to": media["id"]}

        # an edit (as WhatsApp Web reports it) appears once, as a reply to the original
        edit = {
            "key": {"id": "Q-1", "remoteJid": PEER, "fromMe": False},
            "type": "MESSAGE_EDIT",
            "editedMessage": {"conversation": "about this"},
        }
        await cw.emit(names.MESSAGES_EDITED, edit)
        await cw.emit(names.MESSAGES_EDITED, edit)
        edited = await until(
            lambda: [m for m in fake.of(quoted["conversation_id"]) if "about this" in str(m["content"])]
        )
        assert edited[0]["content"] == "\n\n`Edited Message:`\n\nabout this"
        assert edited[0]["content_attributes"] == {"in_reply_to": quoted["id"]}

        # a delete (CHATWOOT_MESSAGE_DELETE=true) removes the Chatwoot message
        await cw.emit(names.MESSAGES_DELETE, {"id": "M-1", "remoteJid": PEER, "fromMe": False})
        await until(lambda: fake.messages[media["id"]]["deleted"])

        # read on the phone: Chatwoot's public API marks the conversation seen
        await cw.emit(names.MESSAGES_UPDATE, {"keyId": "Q-1", "remoteJid": PEER, "fromMe": False, "status": "READ"})
        seen = await until(lambda: fake.seen)
        inbox = next(iter(fake.inboxes.values()))
        assert seen[0]["inbox"] == inbox["inbox_identifier"] and seen[0]["id"] == str(quoted["conversation_id"])

        # the agent answers with a file: it goes out as a document through the messaging service,
        # and CHATWOOT_MESSAGE_READ marks the contact's last message read on WhatsApp
        conversation = quoted["conversation_id"]
        await cw.inbound(PEER, {"conversation": "still there?"}, "Q-2", pushName="Rita")
        await until(lambda: fake.with_source("WAID:Q-2"))
        fake.agent_reply(conversation, "the contract", attachment_url=f"{fake.url}/files/contract.pdf")
        sent = (await cw.recording.wait_for(names.SEND_MESSAGE, cw.name))[0]
        assert sent["messageType"] == "documentMessage"
        assert sent["message"]["mediaUrl"] == f"{fake.url}/files/contract.pdf"
        # the EVOLUTION channel's record of a media send is only `{mediaUrl}`, as upstream's (issue 11)
        assert sent["message"] == {"mediaUrl": f"{fake.url}/files/contract.pdf"}
        read = await until(lambda: cw.channel_did("read"))
        assert read[0].readMessages[0].id == "Q-2"  # Q-1 was read on the phone already

        # the agent deletes its message in Chatwoot: it is deleted on WhatsApp
        agent_msg = [m for m in fake.of(conversation) if m["message_type"] == "outgoing"][-1]
        fake.agent_delete(agent_msg["id"])
        deleted = await until(lambda: cw.channel_did("delete"))
        assert deleted[0].id == sent["key"]["id"] and deleted[0].remoteJid == PEER
        await asyncio.sleep(0.3)
        assert len(cw.recording.of(names.SEND_MESSAGE, cw.name)) == 1
        assert not fake.refused


async def test_bot_commands_and_notices(tmp_path: Path) -> None:
    async with (
        database_env("sqlite", tmp_path) as db_env,
        chatwoot_fake() as fake,
        chatwoot_server(tmp_path, db_env, fake, env={"LANGUAGE": "pt-BR"}) as cw,
    ):
        await cw.configure(organization="ACME", logo="https://acme.example/logo.png", nameInbox="ACME Inbox")
        bot = fake.contact_by_identifier("123456")[0]
        assert bot["name"] == "ACME" and bot["thumbnail"] == "https://acme.example/logo.png"
        conversation = fake.conversations_of(bot["id"])[0]["id"]
        await until(lambda: any("já está conectada" in str(m["content"]) for m in fake.of(conversation)))

        fake.agent_reply(conversation, "/status")
        await until(
            lambda: any("Status da instância ACME Inbox: *open*" in str(m["content"]) for m in fake.of(conversation))
        )
        fake.agent_reply(conversation, "clearcache")
        await until(lambda: any("cache removido" in str(m["content"]) for m in fake.of(conversation)))

        # connection and QR notices land in the bot conversation, once each
        await cw.emit(names.CONNECTION_UPDATE, {"instance": cw.name, "state": "open", "statusReason": 200})
        await until(lambda: any("Conectado com sucesso" in str(m["content"]) for m in fake.of(conversation)))
        await cw.emit(
            names.QRCODE_UPDATED,
            {
                "qrcode": {
                    "instance": cw.name,
                    "code": "2@x",
                    "base64": f"data:image/png;base64,{PNG}",
                    "pairingCode": None,
                }
            },
        )
        qr = await until(lambda: [m for m in fake.of(conversation) if "QRCode gerado" in str(m["content"])])
        assert qr[0]["attachments"][0]["file_type"] == "image"

        fake.agent_reply(conversation, "disconnect")
        await until(lambda: any("desconectada do WhatsApp" in str(m["content"]) for m in fake.of(conversation)))
        await cw.recording.wait_for(names.LOGOUT_INSTANCE, cw.name)
        # none of the bot conversation's messages went to WhatsApp
        assert not cw.recording.of(names.SEND_MESSAGE, cw.name)


async def test_ignore_jids_merge_brazil_and_reopen(tmp_path: Path) -> None:
    async with (
        database_env("sqlite", tmp_path) as db_env,
        chatwoot_fake() as fake,
        chatwoot_server(tmp_path, db_env, fake) as cw,
    ):
        await cw.configure(
            ignoreJids=["@g.us", "5511000000000@s.whatsapp.net"],
            mergeBrazilContacts=True,
            reopenConversation=True,
            conversationPending=True,
        )
        await cw.inbound(GROUP, {"conversation": "ignored"}, "I-1", key={"participant": PEER})
        await cw.inbound("5511000000000@s.whatsapp.net", {"conversation": "ignored"}, "I-2")

        # a Brazilian number known to Chatwoot without the ninth digit: the same person, one contact
        inbox_id = next(iter(fake.inboxes))
        fake.contacts[9000] = {
            "id": 9000,
            "name": "Old",
            "phone_number": "+551187654321",
            "identifier": None,
            "contact_inboxes": [{"source_id": "s-old", "inbox": {"id": inbox_id}}],
        }
        fake.contacts[9001] = {
            "id": 9001,
            "name": "New",
            "phone_number": "+5511987654321",
            "identifier": None,
            "contact_inboxes": [{"source_id": "s-new", "inbox": {"id": inbox_id}}],
        }
        await cw.inbound("5511987654321@s.whatsapp.net", {"conversation": "oi"}, "B-1", pushName="Pedro")
        first = (await until(lambda: fake.with_source("WAID:B-1")))[0]
        assert fake.merges == [(9001, 9000)]
        conv = fake.conversations[first["conversation_id"]]
        assert conv["contact_id"] == 9001 and conv["status"] == "pending"  # conversationPending

        # resolved, then a new message: reopenConversation reopens the same conversation (pending)
        fake.resolve(conv["id"])
        fake.agent_reply(conv["id"], "bye")  # (an agent message does not reopen it)
        await cw.recording.wait_for(names.SEND_MESSAGE, cw.name)
        fake_status = fake.conversations[conv["id"]]
        fake_status["status"] = "resolved"
        await cw.inbound("5511987654321@s.whatsapp.net", {"conversation": "again"}, "B-2", pushName="Pedro")
        await until(lambda: fake.with_source("WAID:B-2"))
        assert fake.with_source("WAID:B-2")[0]["conversation_id"] == conv["id"]
        await asyncio.sleep(0.3)
        assert not fake.with_source("WAID:I-1") and not fake.with_source("WAID:I-2")

        # a contact Chatwoot knew only by its number gets the person's WhatsApp name
        fake.contacts[9100] = {
            "id": 9100,
            "name": "+14155550100",
            "phone_number": "+14155550100",
            "identifier": None,
            "contact_inboxes": [],
        }
        await cw.inbound("14155550100@s.whatsapp.net", {"conversation": "hello"}, "N-1", pushName="Lee")
        await until(lambda: fake.with_source("WAID:N-1"))
        assert fake.contacts[9100]["name"] == "Lee"
