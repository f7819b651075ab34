"""Inbound WhatsApp events on a real server (fake neonize client): emitted payloads, stored rows
answered by the /chat/find* routes, and the instance settings that change what happens."""

from __future__ import annotations

from neonize.proto import Neonize_pb2 as N
from neonize.proto.waE2E import WAWebProtobufsE2E_pb2 as E
from neonize.utils.jid import build_jid

from tests.support.server import unique
from tests.support.whatsmeow import FAKE_ENV, eventually, open_instance, record

MARIA = build_jid("5511988887777")
GROUP = build_jid("120363025555555555", "g.us")


def text_event(text: str, msg_id: str, *, chat=MARIA, sender=MARIA, group: bool = False, from_me: bool = False):
    source = N.MessageSource(Chat=chat, Sender=sender, IsFromMe=from_me, IsGroup=group)
    info = N.MessageInfo(MessageSource=source, ID=msg_id, Pushname="Maria", Timestamp=1717000000, Type="text")
    return N.Message(Info=info, Message=E.Message(conversation=text))


async def test_message_upsert_store_and_receipts(server_factory) -> None:
    async with server_factory(**FAKE_ENV) as srv:
        sink = record(srv)
        name = unique()
        instance_id, client = await open_instance(srv, name)
        await client.push(text_event("Oi, tudo bem?", "3EB0AAAAAAAAAAAAAAAAAA"))
        assert sink.of("messages.upsert", name) == [
            {
                "key": {"remoteJid": "5511988887777@s.whatsapp.net", "fromMe": False, "id": "3EB0AAAAAAAAAAAAAAAAAA"},
                "pushName": "Maria",
                "status": "DELIVERY_ACK",
                "message": {"conversation": "Oi, tudo bem?"},
                "messageType": "conversation",
                "messageTimestamp": 1717000000,
                "instanceId": instance_id,
                "source": "web",
            }
        ]
        assert sink.of("contacts.upsert", name) == [
            {"remoteJid": "5511988887777@s.whatsapp.net", "pushName": "Maria",
             "profilePicUrl": "https://pps.whatsapp.net/v/t61/fake.jpg", "instanceId": instance_id}
        ]  # fmt: skip
        # a new one-to-one chat is chats.update, never chats.upsert (upstream 2.3.6)
        assert sink.of("chats.upsert", name) == []
        assert sink.of("chats.update", name) == [
            [{"remoteJid": "5511988887777@s.whatsapp.net", "instanceId": instance_id}]
        ]
        # the same id again (a redelivery) is not a second message
        await client.push(text_event("Oi, tudo bem?", "3EB0AAAAAAAAAAAAAAAAAA"))
        assert len(sink.of("messages.upsert", name)) == 1
        # a second message from a known contact gives contacts.update and chats.update
        await client.push(text_event("tudo?", "3EB0BBBBBBBBBBBBBBBBBB"))
        assert sink.of("contacts.update", name)[-1]["pushName"] == "Maria"
        assert sink.of("chats.update", name)[-1] == [
            {"remoteJid": "5511988887777@s.whatsapp.net", "instanceId": instance_id}
        ]

        found = await srv.client.post(
            f"/chat/findMessages/{name}",
            headers=srv.headers(),
            json={"where": {"key": {"id": "3EB0AAAAAAAAAAAAAAAAAA"}}},
        )
        records = found.json()["messages"]["records"]
        assert len(records) == 1 and records[0]["message"] == {"conversation": "Oi, tudo bem?"}
        contacts = (await srv.client.post(f"/chat/findContacts/{name}", headers=srv.headers(), json={})).json()
        assert [c["remoteJid"] for c in contacts] == ["5511988887777@s.whatsapp.net"]
        chats = (await srv.client.post(f"/chat/findChats/{name}", headers=srv.headers(), json={})).json()
        assert chats[0]["remoteJid"] == "5511988887777@s.whatsapp.net" and chats[0]["unreadCount"] == 2

        # receipts of a stored message → messages.update with the row id; unknown ids are skipped
        source = N.MessageSource(Chat=MARIA, Sender=MARIA, IsFromMe=False, IsGroup=False)
        await client.push(
            N.Receipt(MessageSource=source, MessageIDs=["3EB0AAAAAAAAAAAAAAAAAA", "UNKNOWN"], Timestamp=1,
                      Type=N.Receipt.READ)
        )  # fmt: skip
        (update,) = sink.of("messages.update", name)
        message_id = update.pop("messageId")
        assert isinstance(message_id, str) and message_id
        assert update == {
            "keyId": "3EB0AAAAAAAAAAAAAAAAAA",
            "remoteJid": "5511988887777@s.whatsapp.net",
            "fromMe": True,
            "status": "READ",
            "instanceId": instance_id,
        }
        statuses = await srv.client.post(
            f"/chat/findStatusMessage/{name}", headers=srv.headers(), json={"where": {"id": "3EB0AAAAAAAAAAAAAAAAAA"}}
        )
        assert [row["status"] for row in statuses.json()] == ["READ"]


async def test_revoke_edit_presence_and_group_events(server_factory) -> None:
    async with server_factory(**FAKE_ENV) as srv:
        sink = record(srv)
        name = unique()
        _instance_id, client = await open_instance(srv, name)
        await client.push(text_event("apagar", "3EB0CCCCCCCCCCCCCCCCCC"))
        from neonize.proto.waCommon.WACommon_pb2 import MessageKey

        target = MessageKey(remoteJID="5511988887777@s.whatsapp.net", ID="3EB0CCCCCCCCCCCCCCCCCC")
        revoke = E.ProtocolMessage(key=target, type=0)
        event = text_event("", "3EB0DDDDDDDDDDDDDDDDDD")
        event.Message.Clear()
        event.Message.protocolMessage.CopyFrom(revoke)
        await client.push(event)
        assert sink.of("messages.delete", name) == [
            {"remoteJid": "5511988887777@s.whatsapp.net", "fromMe": False, "id": "3EB0CCCCCCCCCCCCCCCCCC"}
        ]
        assert len(sink.of("messages.upsert", name)) == 1  # the protocol message itself is not a message

        edit = text_event("", "3EB0EEEEEEEEEEEEEEEEED")
        edit.Message.Clear()
        edit.Message.protocolMessage.CopyFrom(
            E.ProtocolMessage(key=target, type=14, editedMessage=E.Message(conversation="corrigido"), timestampMS=5)
        )
        await client.push(edit)
        assert sink.of("messages.edited", name) == [
            {"key": {"remoteJid": "5511988887777@s.whatsapp.net", "id": "3EB0CCCCCCCCCCCCCCCCCC"}, "type": 0},
            {
                "key": {"remoteJid": "5511988887777@s.whatsapp.net", "id": "3EB0CCCCCCCCCCCCCCCCCC"},
                "type": 14,
                "editedMessage": {"conversation": "corrigido"},
                "timestampMs": {"low": 5, "high": 0, "unsigned": False},
            },
        ]
        plumbing = text_event("", "3EB0EEEEEEEEEEEEEEEEEF")
        plumbing.Message.Clear()
        plumbing.Message.protocolMessage.CopyFrom(E.ProtocolMessage(type=5))
        await client.push(plumbing)
        assert len(sink.of("messages.edited", name)) == 2

        await client.push(N.Presence(From=MARIA, Unavailable=False, LastSeen=0))
        assert sink.of("presence.update", name)[-1] == {
            "id": "5511988887777@s.whatsapp.net",
            "presences": {"5511988887777@s.whatsapp.net": {"lastKnownPresence": "available"}},
        }
        await client.push(N.GroupInfoEvent(JID=GROUP, Timestamp=1, Leave=[MARIA]))
        assert sink.of("group-participants.update", name)[-1]["action"] == "remove"

        await client.push(N.Picture(JID=MARIA, Timestamp=1, Remove=False))
        assert sink.of("contacts.update", name)[-1] == [
            {"remoteJid": "5511988887777@s.whatsapp.net", "profilePicUrl": "https://pps.whatsapp.net/v/t61/fake.jpg",
             "instanceId": _instance_id}
        ]  # fmt: skip
        contacts = (await srv.client.post(f"/chat/findContacts/{name}", headers=srv.headers(), json={})).json()
        assert contacts[0]["profilePicUrl"] == "https://pps.whatsapp.net/v/t61/fake.jpg"
        # a removed picture is removed from the contact too, and the next message does not fetch it
        await client.push(N.Picture(JID=MARIA, Timestamp=2, Remove=True))
        assert sink.of("contacts.update", name)[-1] == [
            {"remoteJid": "5511988887777@s.whatsapp.net", "profilePicUrl": None, "instanceId": _instance_id}
        ]
        contacts = (await srv.client.post(f"/chat/findContacts/{name}", headers=srv.headers(), json={})).json()
        assert contacts[0]["profilePicUrl"] is None
        await client.push(text_event("ainda aqui", "3EB0EEEEEEEEEEEEEEEEE1"))
        assert sink.of("contacts.update", name)[-1]["profilePicUrl"] is None


async def test_settings_groups_ignore_read_messages_reject_call(server_factory) -> None:
    async with server_factory(**FAKE_ENV) as srv:
        sink = record(srv)
        name = unique()
        _instance_id, client = await open_instance(srv, name)
        saved = await srv.client.post(
            f"/settings/set/{name}",
            headers=srv.headers(),
            json={"rejectCall": True, "msgCall": "Não atendo ligações", "groupsIgnore": True, "alwaysOnline": False,
                  "readMessages": True, "readStatus": False, "syncFullHistory": False},
        )  # fmt: skip
        assert saved.status_code == 201, saved.text
        await client.push(text_event("no grupo", "3EB0EEEEEEEEEEEEEEEEEE", chat=GROUP, group=True))
        assert sink.of("messages.upsert", name) == []
        await client.push(text_event("direto", "3EB0FFFFFFFFFFFFFFFFFF"))
        assert len(sink.of("messages.upsert", name)) == 1
        await eventually(lambda: client.calls_of("mark_read"))
        ((args, kwargs),) = client.calls_of("mark_read")
        assert args == ("3EB0FFFFFFFFFFFFFFFFFF",) and kwargs["chat"].User == "5511988887777"

        meta = N.BasicCallMeta(timestamp=1717000000, callCreator=MARIA, callID="CALL1")
        getattr(meta, "from").CopyFrom(MARIA)
        await client.push(N.CallOffer(basicCallMeta=meta))
        assert sink.of("call", name)[-1]["status"] == "offer"
        ((reject_args, _),) = client.calls_of("reject_call")
        assert reject_args[0].User == "5511988887777" and reject_args[1] == "CALL1"
        (_sent_args, _sent_kwargs), *_ = client.calls_of("send_message")
        assert _sent_args[0].User == "5511988887777" and _sent_args[1].conversation == "Não atendo ligações"
        # upstream feeds the answer back as messages.upsert (fromMe), and it is stored
        answer = sink.of("messages.upsert", name)[-1]
        assert answer["key"]["fromMe"] is True and answer["message"]["conversation"] == "Não atendo ligações"


async def test_webhook_base64_puts_media_in_the_payload(server_factory) -> None:
    async with server_factory(**FAKE_ENV) as srv:
        sink = record(srv)
        name = unique()
        hook = {"url": "http://127.0.0.1:9/hook", "base64": True, "events": ["MESSAGES_UPSERT"]}
        body = {"instanceName": name, "integration": "WHATSAPP-BAILEYS", "webhook": hook}
        created = await srv.client.post("/instance/create", headers=srv.headers(), json=body)
        assert created.status_code == 201, created.text
        # reuse the pairing helper on an existing instance: connect + QR + pair
        import asyncio

        from tests.support.whatsmeow import client_of

        instance_id = created.json()["instance"]["instanceId"]
        connecting = asyncio.create_task(srv.client.get(f"/instance/connect/{name}", headers=srv.headers()))
        client = await client_of(instance_id)
        await client.push_qr("2@x")
        await connecting
        await client.pair()
        await eventually(lambda: srv.services.registry.require(name).channel.state == "open")

        source = N.MessageSource(Chat=MARIA, Sender=MARIA, IsFromMe=False, IsGroup=False)
        info = N.MessageInfo(MessageSource=source, ID="3EB0ABABABABABABABABAB", Pushname="Maria", Timestamp=1,
                             Type="media")  # fmt: skip
        image = E.ImageMessage(URL="https://mmg.whatsapp.net/x", mimetype="image/jpeg", fileLength=11)
        await client.push(N.Message(Info=info, Message=E.Message(imageMessage=image)))
        upsert = sink.of("messages.upsert", name)[-1]
        assert upsert["message"]["base64"] == "bWVkaWEtYnl0ZXM="  # the fake's download: b"media-bytes"
        assert upsert["message"]["imageMessage"]["fileLength"] == {"low": 11, "high": 0, "unsigned": True}


async def test_full_history_sync_is_requested_and_stored(server_factory) -> None:
    import asyncio

    from neonize.proto.waCommon.WACommon_pb2 import MessageKey
    from neonize.proto.waHistorySync import WAWebProtobufsHistorySync_pb2 as H
    from neonize.proto.waWeb import WAWebProtobufsWeb_pb2 as W

    from tests.support.whatsmeow import client_of

    async with server_factory(**FAKE_ENV) as srv:
        sink = record(srv)
        name = unique()
        created = await srv.create_instance(name, integration="WHATSAPP-BAILEYS", syncFullHistory=True)
        instance_id = created["instance"]["instanceId"]
        connecting = asyncio.create_task(srv.client.get(f"/instance/connect/{name}", headers=srv.headers()))
        client = await client_of(instance_id)
        assert client.device_props.requireFullSync is True
        await client.push_qr("2@h")
        await connecting
        await client.pair()
        old = W.WebMessageInfo(
            key=MessageKey(remoteJID="5511988887777@s.whatsapp.net", fromMe=False, ID="HIST1"),
            message=E.Message(conversation="de ontem"),
            messageTimestamp=1716900000,
            pushName="Maria",
        )
        conversation = H.Conversation(ID="5511988887777@s.whatsapp.net", name="Maria",
                                      messages=[H.HistorySyncMsg(message=old)])  # fmt: skip
        names_ = [H.Pushname(ID="5511977776666@s.whatsapp.net", pushname="Bia")]
        data = H.HistorySync(syncType=H.HistorySync.FULL, conversations=[conversation], pushnames=names_)
        await client.push(N.HistorySync(Data=data))
        assert sink.of("contacts.upsert", name)[-1] == [
            {"remoteJid": "5511977776666@s.whatsapp.net", "pushName": "Bia", "profilePicUrl": None,
             "instanceId": instance_id}
        ]  # fmt: skip
        assert sink.of("chats.set", name) == [
            [{"remoteJid": "5511988887777@s.whatsapp.net", "instanceId": instance_id, "name": "Maria"}]
        ]
        (messages,) = sink.of("messages.set", name)
        assert messages == [
            {
                "key": {"remoteJid": "5511988887777@s.whatsapp.net", "fromMe": False, "id": "HIST1"},
                "pushName": "Maria",
                "status": "DELIVERY_ACK",
                "message": {"conversation": "de ontem"},
                "messageType": "conversation",
                "messageTimestamp": 1716900000,
                "instanceId": instance_id,
                "source": "unknown",
            }
        ]
        found = await srv.client.post(
            f"/chat/findMessages/{name}", headers=srv.headers(), json={"where": {"key": {"id": "HIST1"}}}
        )
        assert found.json()["messages"]["total"] == 1


async def test_events_are_handled_in_arrival_order(server_factory) -> None:
    async with server_factory(**FAKE_ENV) as srv:
        sink = record(srv)
        name = unique()
        _instance_id, client = await open_instance(srv, name)
        source = N.MessageSource(Chat=MARIA, Sender=MARIA, IsFromMe=False, IsGroup=False)
        receipts = [
            N.Receipt(MessageSource=source, MessageIDs=[f"3EB0ORDER{i:013d}"], Timestamp=1, Type=N.Receipt.READ)
            for i in range(5)
        ]
        messages = [text_event(f"m{i}", f"3EB0ORDER{i:013d}") for i in range(5)]
        # each message immediately followed by its receipt, as WhatsApp may deliver them
        await client.push(*[event for pair in zip(messages, receipts, strict=True) for event in pair])
        assert [m["key"]["id"] for m in sink.of("messages.upsert", name)] == [f"3EB0ORDER{i:013d}" for i in range(5)]
        assert [u["keyId"] for u in sink.of("messages.update", name)] == [f"3EB0ORDER{i:013d}" for i in range(5)]
