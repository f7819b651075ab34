"""Inbound WhatsApp events shaped exactly as upstream 2.3.6 (with the Baileys 7 it pins) sends them:
field names, nesting, absent vs null, and which events are (not) sent. Real server, fake neonize
client with real neonize protobufs, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from neonize.proto import Neonize_pb2 as N
from neonize.proto.waCommon.WACommon_pb2 import MessageKey
from neonize.proto.waE2E import WAWebProtobufsE2E_pb2 as E
from neonize.utils.jid import build_jid

from tests.support.server import unique
from tests.support.whatsmeow import FAKE_ENV, open_instance, record

MARIA = build_jid("5511988887777")
JOAO = build_jid("5511977776666")
JOAO_LID = build_jid("211111111111111", "lid")
GROUP = build_jid("120363025555555555", "g.us")
MARIA_JID = "5511988887777@s.whatsapp.net"
GROUP_JID = "120363025555555555@g.us"
PICTURE = "https://pps.whatsapp.net/v/t61/fake.jpg"


def text_event(
    text: str, msg_id: str, *, chat=MARIA, sender=MARIA, group=False, from_me=False, push="Maria", ts=1717000000
):
    source = N.MessageSource(Chat=chat, Sender=sender, IsFromMe=from_me, IsGroup=group)
    info = N.MessageInfo(MessageSource=source, ID=msg_id, Pushname=push, Timestamp=ts, Type="text")
    return N.Message(Info=info, Message=E.Message(conversation=text))


async def test_group_participants_update_has_participant_objects(server_factory) -> None:
    async with server_factory(**FAKE_ENV) as srv:
        sink = record(srv)
        name = unique()
        _instance_id, client = await open_instance(srv, name)
        client.answers["get_pn_from_lid"] = JOAO
        client.answers["get_lid_from_pn"] = lambda *_a: N.JID()  # whatsmeow knows no LID of Maria
        await client.push(N.GroupInfoEvent(JID=GROUP, Sender=MARIA, Timestamp=1, Join=[JOAO_LID], Promote=[MARIA]))
        assert sink.of("group-participants.update", name) == [
            {
                "id": GROUP_JID,
                "author": MARIA_JID,
                "participants": [
                    {"id": "211111111111111@lid", "phoneNumber": "5511977776666@s.whatsapp.net", "admin": None}
                ],
                "action": "add",
            },
            {"id": GROUP_JID, "author": MARIA_JID, "participants": [{"id": MARIA_JID, "admin": None}],
             "action": "promote"},
        ]  # fmt: skip
        # a PN participant whose LID whatsmeow knows gets `lid`; no author when WhatsApp sent none
        client.answers["get_lid_from_pn"] = JOAO_LID
        await client.push(N.GroupInfoEvent(JID=GROUP, Timestamp=2, Leave=[JOAO]))
        assert sink.of("group-participants.update", name)[-1] == {
            "id": GROUP_JID,
            "participants": [{"id": "5511977776666@s.whatsapp.net", "lid": "211111111111111@lid", "admin": None}],
            "action": "remove",
        }


async def test_chat_events_as_upstream(server_factory) -> None:
    async with server_factory(**FAKE_ENV) as srv:
        sink = record(srv)
        name = unique()
        instance_id, client = await open_instance(srv, name)
        await client.push(text_event("oi", "3EB0000000000000000001"))
        # a new one-to-one chat: chats.update only, after the message and the contact
        assert sink.names(name)[-3:] == ["messages.upsert", "contacts.upsert", "chats.update"]
        assert sink.of("chats.update", name) == [[{"remoteJid": MARIA_JID, "instanceId": instance_id}]]
        assert sink.of("chats.upsert", name) == []

        # the push name changed on a known chat: chats.upsert [{id, name}] before the message
        await client.push(text_event("sou eu", "3EB0000000000000000002", push="Maria Silva"))
        ((renamed,),) = sink.of("chats.upsert", name)
        assert set(renamed) == {"id", "name"} and renamed["name"] == "Maria Silva"
        assert isinstance(renamed["id"], str) and renamed["id"]
        assert sink.names(name)[-4:] == ["chats.upsert", "messages.upsert", "contacts.update", "chats.update"]
        # the same name again: no rename
        await client.push(text_event("de novo", "3EB0000000000000000003", push="Maria Silva", ts=1717000009))
        assert len(sink.of("chats.upsert", name)) == 1

        # a receipt of a stored message in an existing chat: messages.update, then chats.upsert
        source = N.MessageSource(Chat=MARIA, Sender=MARIA, IsFromMe=False, IsGroup=False)
        await client.push(N.Receipt(MessageSource=source, MessageIDs=["3EB0000000000000000001"], Timestamp=1,
                                    Type=N.Receipt.DELIVERED))  # fmt: skip
        assert sink.names(name)[-2:] == ["messages.update", "chats.upsert"]
        assert sink.of("chats.upsert", name)[-1] == [
            {"remoteJid": MARIA_JID, "instanceId": instance_id, "unreadMessages": 0}
        ]
        chats = (await srv.client.post(f"/chat/findChats/{name}", headers=srv.headers(), json={})).json()
        assert chats[0]["unreadCount"] == 0 and chats[0]["windowActive"] is True

        # a bare number in where.remoteJid is made a JID first (upstream's createJid)
        by_number = {"where": {"remoteJid": "5511988887777"}}
        chats = (await srv.client.post(f"/chat/findChats/{name}", headers=srv.headers(), json=by_number)).json()
        assert [c["remoteJid"] for c in chats] == [MARIA_JID]
        assert chats[0]["lastMessage"]["pushName"] == "Maria Silva"
        contacts = (await srv.client.post(f"/chat/findContacts/{name}", headers=srv.headers(), json=by_number)).json()
        assert [(c["remoteJid"], c["isSaved"], c["type"]) for c in contacts] == [(MARIA_JID, True, "contact")]


async def test_group_and_status_receipts_are_stored_only(server_factory) -> None:
    async with server_factory(**FAKE_ENV) as srv:
        sink = record(srv)
        name = unique()
        _instance_id, client = await open_instance(srv, name)
        own = build_jid("5511999990000")
        await client.push(
            text_event("para o grupo", "3EB0000000000000000011", chat=GROUP, sender=own, group=True, from_me=True)
        )
        members = [build_jid(f"55119000000{i:02d}") for i in range(20)]
        receipts = [
            N.Receipt(MessageSource=N.MessageSource(Chat=GROUP, Sender=member, IsGroup=True),
                      MessageIDs=["3EB0000000000000000011"], Timestamp=1, Type=kind)
            for member in members for kind in (N.Receipt.DELIVERED, N.Receipt.READ)
        ]  # fmt: skip
        await client.push(*receipts)
        status = N.MessageSource(Chat=build_jid("status", "broadcast"), Sender=MARIA, IsGroup=False)
        await client.push(N.Receipt(MessageSource=status, MessageIDs=["3EB0000000000000000011"], Timestamp=1,
                                    Type=N.Receipt.READ))  # fmt: skip
        assert sink.of("messages.update", name) == []
        assert sink.names(name).count("chats.upsert") == 0
        # ... but stored: findStatusMessage answers every member's receipt
        found = await srv.client.post(
            f"/chat/findStatusMessage/{name}",
            headers=srv.headers(),
            json={"where": {"id": "3EB0000000000000000011"}, "offset": 100},
        )
        assert len(found.json()) == 41


async def test_revoke_sends_messages_edited_and_messages_delete(server_factory) -> None:
    async with server_factory(**FAKE_ENV) as srv:
        sink = record(srv)
        name = unique()
        _instance_id, client = await open_instance(srv, name)
        await client.push(text_event("apagar", "3EB0000000000000000021", chat=GROUP, sender=MARIA, group=True))
        revoke = text_event("", "3EB0000000000000000022", chat=GROUP, sender=MARIA, group=True)
        revoke.Message.Clear()
        target = MessageKey(remoteJID=GROUP_JID, fromMe=True, ID="3EB0000000000000000021", participant=MARIA_JID)
        revoke.Message.protocolMessage.CopyFrom(E.ProtocolMessage(key=target, type=0))
        await client.push(revoke)
        assert sink.names(name)[-2:] == ["messages.edited", "messages.delete"]
        assert sink.of("messages.edited", name) == [
            {"key": {"remoteJid": GROUP_JID, "fromMe": True, "id": "3EB0000000000000000021",
                     "participant": MARIA_JID}, "type": 0}
        ]  # fmt: skip
        # the key of the revoke itself (who revoked: Maria, not us) with the revoked message's id
        assert sink.of("messages.delete", name) == [
            {"remoteJid": GROUP_JID, "fromMe": False, "id": "3EB0000000000000000021", "participant": MARIA_JID}
        ]
        # a revoke of a message never stored: messages.edited, but no messages.delete (upstream skips it)
        unknown = text_event("", "3EB0000000000000000023")
        unknown.Message.Clear()
        unknown.Message.protocolMessage.CopyFrom(
            E.ProtocolMessage(key=MessageKey(remoteJID=MARIA_JID, ID="3EB0NEVERSTORED00000000"), type=0)
        )
        await client.push(unknown)
        assert len(sink.of("messages.edited", name)) == 2
        assert len(sink.of("messages.delete", name)) == 1


def group_picture_calls(client) -> list[object]:
    return [args for args, _kw in client.calls_of("get_profile_picture") if args[0].Server == "g.us"]


async def test_message_contact_is_the_chat_with_its_picture_fetched_once(server_factory) -> None:
    async with server_factory(**FAKE_ENV) as srv:
        sink = record(srv)
        name = unique()
        instance_id, client = await open_instance(srv, name)
        release = asyncio.Event()

        async def slow_picture(*_args):
            await release.wait()
            return N.ProfilePictureInfo(URL="https://pps.whatsapp.net/v/t61/group.jpg", ID="7")

        client.answers["get_profile_picture"] = lambda *_a, **_k: slow_picture()
        pushes = [
            asyncio.create_task(client.push(text_event(f"msg {i}", f"3EB00000000000000001{i:02d}", chat=GROUP,
                                                       sender=MARIA, group=True)))
            for i in range(5)
        ]  # fmt: skip
        await asyncio.sleep(0.3)
        release.set()
        await asyncio.gather(*pushes)
        # five messages, one picture fetch in flight at a time, and the answer cached after it
        assert len(group_picture_calls(client)) == 1
        await client.push(text_event("mais", "3EB0000000000000000199", chat=GROUP, sender=MARIA, group=True))
        assert len(group_picture_calls(client)) == 1
        # the contact is the group (the chat), one object, with the group's picture
        assert sink.of("contacts.upsert", name) == [
            {"remoteJid": GROUP_JID, "pushName": "Maria", "profilePicUrl": "https://pps.whatsapp.net/v/t61/group.jpg",
             "instanceId": instance_id}
        ]  # fmt: skip
        # own message: pushName "", and a message without push name leaves pushName out
        own = build_jid("5511999990000")
        client.answers.pop("get_profile_picture")
        await client.push(text_event("minha", "3EB0000000000000000201", chat=MARIA, sender=own, from_me=True))
        assert sink.of("contacts.upsert", name)[-1] == {
            "remoteJid": MARIA_JID,
            "pushName": "",
            "profilePicUrl": PICTURE,
            "instanceId": instance_id,
        }
        await client.push(text_event("sem nome", "3EB0000000000000000202", push=""))
        assert sink.of("contacts.update", name)[-1] == {
            "remoteJid": MARIA_JID,
            "profilePicUrl": PICTURE,
            "instanceId": instance_id,
        }
        contacts = (await srv.client.post(f"/chat/findContacts/{name}", headers=srv.headers(), json={})).json()
        by_jid = {c["remoteJid"]: c for c in contacts}
        assert by_jid[GROUP_JID]["profilePicUrl"] == "https://pps.whatsapp.net/v/t61/group.jpg"
        assert by_jid[GROUP_JID]["pushName"] is None  # a member's name is not stored on the group
        await client.push(text_event("com nome", "3EB0000000000000000203"))
        await client.push(text_event("minha de novo", "3EB0000000000000000204", sender=own, from_me=True))
        contacts = (await srv.client.post(f"/chat/findContacts/{name}", headers=srv.headers(), json={})).json()
        by_jid = {c["remoteJid"]: c for c in contacts}
        assert by_jid[MARIA_JID]["pushName"] == "Maria"  # our own message does not blank it


def call_meta(call_id: str, *, alt=None) -> N.BasicCallMeta:
    meta = N.BasicCallMeta(
        timestamp=1717000000, callCreator=build_jid("5511988887777", "s.whatsapp.net"), callID=call_id
    )
    getattr(meta, "from").CopyFrom(MARIA)
    if alt is not None:
        meta.callCreatorAlt.CopyFrom(alt)
    return meta


async def test_call_events_as_baileys_7(server_factory) -> None:
    async with server_factory(**FAKE_ENV) as srv:
        sink = record(srv)
        name = unique()
        _instance_id, client = await open_instance(srv, name)
        base = {"chatId": MARIA_JID, "from": MARIA_JID}
        date = "2024-05-29T16:26:40.000Z"
        # a video offer in a group call, then the caller hangs up: the end repeats isVideo / isGroup
        group_offer = N.Node(Tag="offer", Attrs=[N.NodeAttrs(name="group-jid", jid=GROUP)], Nodes=[N.Node(Tag="video")])
        await client.push(N.CallOffer(basicCallMeta=call_meta("C1"), data=group_offer))
        await client.push(N.CallTerminate(basicCallMeta=call_meta("C1"), reason="", data=N.Node(Tag="terminate")))
        assert sink.of("call", name) == [
            {**base, "id": "C1", "date": date, "offline": False, "status": "offer", "isVideo": True, "isGroup": True,
             "groupJid": GROUP_JID},
            {**base, "id": "C1", "date": date, "offline": False, "status": "terminate", "isVideo": True,
             "isGroup": True},
        ]  # fmt: skip
        # an unanswered voice call: offer (with the caller's phone number), then timeout
        await client.push(N.CallOffer(basicCallMeta=call_meta("C2", alt=MARIA), data=N.Node(Tag="offer")))
        await client.push(
            N.CallTerminate(basicCallMeta=call_meta("C2"), reason="timeout", data=N.Node(Tag="terminate"))
        )
        assert sink.of("call", name)[-1] == {
            **base, "callerPn": MARIA_JID, "id": "C2", "date": date, "offline": False, "status": "timeout",
            "isVideo": False, "isGroup": False,
        }  # fmt: skip
        # accepted on another device; a reject arrives as a raw call stanza
        await client.push(N.CallOffer(basicCallMeta=call_meta("C3"), data=N.Node(Tag="offer")))
        await client.push(N.CallAccept(basicCallMeta=call_meta("C3"), data=N.Node(Tag="accept")))
        assert sink.of("call", name)[-1]["status"] == "accept" and sink.of("call", name)[-1]["isVideo"] is False
        reject = N.Node(
            Tag="call",
            Attrs=[N.NodeAttrs(name="from", jid=MARIA), N.NodeAttrs(name="t", text="1717000000")],
            Nodes=[N.Node(Tag="reject", Attrs=[N.NodeAttrs(name="call-id", text="C4"),
                                               N.NodeAttrs(name="call-creator", jid=MARIA)])],
        )  # fmt: skip
        await client.push(N.UnknownCallEvent(node=reject))
        assert sink.of("call", name)[-1] == {**base, "id": "C4", "date": date, "offline": False, "status": "reject"}
        # a pre-accept is Baileys' "ringing"
        await client.push(N.CallPreAccept(basicCallMeta=call_meta("C5"), data=N.Node(Tag="preaccept")))
        assert sink.of("call", name)[-1]["status"] == "ringing"


async def test_groups_upsert_as_baileys_7_metadata(server_factory) -> None:
    async with server_factory(**FAKE_ENV) as srv:
        sink = record(srv)
        name = unique()
        instance_id, client = await open_instance(srv, name)
        parent = build_jid("120363000000000001", "g.us")
        info = N.GroupInfo(
            JID=GROUP, OwnerJID=JOAO_LID, OwnerPN=JOAO,
            GroupName=N.GroupName(Name="Vendas", NameSetAt=1700000000, NameSetBy=JOAO_LID),
            GroupTopic=N.GroupTopic(Topic="Equipe", TopicID="D1", TopicSetAt=1700000001, TopicSetBy=JOAO_LID),
            GroupAnnounce=N.GroupAnnounce(IsAnnounce=True),
            GroupLinkedParent=N.GroupLinkedParent(LinkedParentJID=parent),
            GroupIsDefaultSub=N.GroupIsDefaultSub(IsDefaultSubGroup=True), GroupCreated=1690000000,
            GroupEphemeral=N.GroupEphemeral(IsEphemeral=True, DisappearingTimer=86400),
            Participants=[N.GroupParticipant(JID=JOAO_LID, PhoneNumber=JOAO, IsSuperAdmin=True),
                          N.GroupParticipant(JID=MARIA)],
        )  # fmt: skip
        await client.push(N.JoinedGroup(Reason="", Type="new", GroupInfo=info, Sender=JOAO_LID))
        assert sink.of("groups.upsert", name) == [
            [
                {
                    "id": GROUP_JID,
                    "addressingMode": "lid",
                    "subject": "Vendas",
                    "subjectOwner": "211111111111111@lid",
                    "subjectTime": 1700000000,
                    "size": 2,
                    "creation": 1690000000,
                    "owner": "211111111111111@lid",
                    "ownerPn": "5511977776666@s.whatsapp.net",
                    "desc": "Equipe",
                    "descId": "D1",
                    "descOwner": "211111111111111@lid",
                    "descTime": 1700000001,
                    "linkedParent": "120363000000000001@g.us",
                    "restrict": False,
                    "announce": True,
                    "isCommunity": False,
                    "isCommunityAnnounce": True,
                    "participants": [
                        {"id": "211111111111111@lid", "phoneNumber": "5511977776666@s.whatsapp.net",
                         "admin": "superadmin"},
                        {"id": MARIA_JID, "admin": None},
                    ],
                    "ephemeralDuration": 86400,
                    "author": "211111111111111@lid",
                }
            ]
        ]  # fmt: skip
        assert sink.of("chats.upsert", name) == [
            [{"remoteJid": GROUP_JID, "instanceId": instance_id, "name": "Vendas", "unreadMessages": 0}]
        ]
        # a bare group: no description, no parent, no ephemeral timer → those keys are left out;
        # unknown times are null (Baileys' NaN)
        bare = N.GroupInfo(JID=build_jid("120363099999999999", "g.us"), GroupName=N.GroupName(Name="X"),
                           Participants=[N.GroupParticipant(JID=MARIA, IsAdmin=True)])  # fmt: skip
        await client.push(N.JoinedGroup(GroupInfo=bare))
        assert sink.of("groups.upsert", name)[-1] == [
            {"id": "120363099999999999@g.us", "addressingMode": "pn", "subject": "X", "subjectTime": None, "size": 1,
             "creation": None, "restrict": False, "announce": False, "isCommunity": False,
             "isCommunityAnnounce": False, "participants": [{"id": MARIA_JID, "admin": "admin"}]}
        ]  # fmt: skip
