"""neonize protobuf events → Evolution API payloads, checked exactly (events contract §3)."""

from __future__ import annotations

from neonize.proto import Neonize_pb2 as N
from neonize.proto.waCommon.WACommon_pb2 import MessageKey
from neonize.proto.waE2E import WAWebProtobufsE2E_pb2 as E
from neonize.utils.jid import build_jid

from evolution_py.channels.whatsapp_web.message_json import bytes_json, long_json, proto_to_json, source_of
from evolution_py.channels.whatsapp_web.receive import (
    call_payload,
    call_status,
    chat_presence_payload,
    group_metadata,
    group_participant_updates,
    group_update,
    message_record,
    meta_fields,
    offer_details,
    presence_payload,
    receipt_updates,
    revoked_key,
)

INSTANCE = "0b7c2c5e-3d4f-4a8e-9d1a-7f6e5d4c3b2a"
MARIA = build_jid("5511988887777")
ME = build_jid("5511999990000")
GROUP = build_jid("120363025555555555", "g.us")


def message_event(message: E.Message, *, chat=MARIA, sender=MARIA, from_me=False, group=False, push="Maria",
                  msg_id="3EB0A1B2C3D4E5F6A7B8C9", ts=1717000000) -> N.Message:  # fmt: skip
    source = N.MessageSource(Chat=chat, Sender=sender, IsFromMe=from_me, IsGroup=group)
    info = N.MessageInfo(MessageSource=source, ID=msg_id, Pushname=push, Timestamp=ts, Type="text")
    return N.Message(Info=info, Message=message)


def test_long_and_bytes_encoding_match_protobufjs() -> None:
    assert long_json(12345, unsigned=True) == {"low": 12345, "high": 0, "unsigned": True}
    assert long_json(0xFFFFFFFF, unsigned=True) == {"low": -1, "high": 0, "unsigned": True}
    assert long_json(1 << 32 | 7, unsigned=False) == {"low": 7, "high": 1, "unsigned": False}
    assert long_json(-2, unsigned=False) == {"low": -2, "high": -1, "unsigned": False}
    assert bytes_json(b"\x0c\x22") == {"0": 12, "1": 34}


def test_source_from_message_id() -> None:
    assert source_of("3EB0A1B2C3D4E5F6A7B8C9") == "web"
    assert source_of("3A" + "0" * 18) == "ios"
    assert source_of("A" * 32) == "android"
    assert source_of("3F12") == "desktop"
    assert source_of("xyz") == "unknown"


def test_text_message_record() -> None:
    event = message_event(E.Message(conversation="Oi, tudo bem?"))
    assert message_record(event, INSTANCE) == {
        "key": {"remoteJid": "5511988887777@s.whatsapp.net", "fromMe": False, "id": "3EB0A1B2C3D4E5F6A7B8C9"},
        "pushName": "Maria",
        "status": "DELIVERY_ACK",
        "message": {"conversation": "Oi, tudo bem?"},
        "messageType": "conversation",
        "messageTimestamp": 1717000000,
        "instanceId": INSTANCE,
        "source": "web",
    }


def test_extended_text_with_quote_becomes_conversation_with_context() -> None:
    quoted = E.Message(extendedTextMessage=E.ExtendedTextMessage(text="original"))
    context = E.ContextInfo(stanzaID="ABC", participant="5511999990000@s.whatsapp.net", quotedMessage=quoted,
                            mentionedJID=["5511977776666@s.whatsapp.net"])  # fmt: skip
    event = message_event(E.Message(extendedTextMessage=E.ExtendedTextMessage(text="reply", contextInfo=context)))
    record = message_record(event, INSTANCE)
    expected_context = {
        "stanzaId": "ABC",
        "participant": "5511999990000@s.whatsapp.net",
        "quotedMessage": {"conversation": "original"},
        "mentionedJid": ["5511977776666@s.whatsapp.net"],
    }
    assert record["message"] == {"conversation": "reply"}
    assert record["messageType"] == "conversation"
    assert record["contextInfo"] == expected_context


def test_image_message_binary_and_64_bit_fields() -> None:
    image = E.ImageMessage(
        URL="https://mmg.whatsapp.net/x", mimetype="image/jpeg", caption="foto", fileSHA256=b"\x01\x02",
        fileLength=12345, height=10, width=20, mediaKey=b"\xff", JPEGThumbnail=b"\x00", mediaKeyTimestamp=1717000000,
    )  # fmt: skip
    record = message_record(message_event(E.Message(imageMessage=image)), INSTANCE)
    assert record["messageType"] == "imageMessage"
    assert record["message"] == {
        "imageMessage": {
            "url": "https://mmg.whatsapp.net/x",
            "mimetype": "image/jpeg",
            "caption": "foto",
            "fileSha256": {"0": 1, "1": 2},
            "fileLength": {"low": 12345, "high": 0, "unsigned": True},
            "height": 10,
            "width": 20,
            "mediaKey": {"0": 255},
            "mediaKeyTimestamp": {"low": 1717000000, "high": 0, "unsigned": False},
            "jpegThumbnail": {"0": 0},
        }
    }
    assert "contextInfo" not in record


def test_each_content_type_is_named_as_baileys() -> None:
    cases = {
        "audioMessage": E.Message(audioMessage=E.AudioMessage(PTT=True, seconds=3)),
        "videoMessage": E.Message(videoMessage=E.VideoMessage(seconds=5)),
        "stickerMessage": E.Message(stickerMessage=E.StickerMessage(isAnimated=False)),
        "locationMessage": E.Message(locationMessage=E.LocationMessage(degreesLatitude=-23.5, degreesLongitude=-46.6)),
        "contactMessage": E.Message(contactMessage=E.ContactMessage(displayName="Ana", vcard="BEGIN:VCARD")),
        "reactionMessage": E.Message(
            reactionMessage=E.ReactionMessage(key=MessageKey(remoteJID="x@s.whatsapp.net", ID="K1"), text="👍")
        ),
        "pollCreationMessage": E.Message(
            pollCreationMessage=E.PollCreationMessage(name="Q", options=[E.PollCreationMessage.Option(optionName="a")])
        ),
    }
    for expected, message in cases.items():
        record = message_record(message_event(message), INSTANCE)
        assert record["messageType"] == expected
    audio = message_record(message_event(cases["audioMessage"]), INSTANCE)["message"]
    assert audio == {"audioMessage": {"seconds": 3, "ptt": True}}
    reaction = message_record(message_event(cases["reactionMessage"]), INSTANCE)["message"]
    assert reaction == {"reactionMessage": {"key": {"remoteJid": "x@s.whatsapp.net", "id": "K1"}, "text": "👍"}}


def test_document_with_caption_is_flattened() -> None:
    inner = E.Message(documentMessage=E.DocumentMessage(fileName="a.pdf", caption="see"))
    event = message_event(E.Message(documentWithCaptionMessage=E.FutureProofMessage(message=inner)))
    record = message_record(event, INSTANCE)
    assert record["messageType"] == "documentMessage"
    assert record["message"] == {"documentMessage": {"fileName": "a.pdf", "caption": "see"}}


def test_group_message_key_and_push_name_fallbacks() -> None:
    event = message_event(E.Message(conversation="oi"), chat=GROUP, sender=MARIA, group=True, push="")
    record = message_record(event, INSTANCE)
    assert record["key"] == {
        "remoteJid": "120363025555555555@g.us",
        "fromMe": False,
        "id": "3EB0A1B2C3D4E5F6A7B8C9",
        "participant": "5511988887777@s.whatsapp.net",
    }
    assert record["pushName"] == "5511988887777"
    own = message_record(message_event(E.Message(conversation="x"), sender=ME, from_me=True, push=""), INSTANCE)
    assert own["pushName"] == "Você" and own["status"] == "SERVER_ACK"


def test_revoke_gives_the_key_of_the_revoke_with_the_revoked_id() -> None:
    protocol = E.ProtocolMessage(
        key=MessageKey(remoteJID="5511999990000@s.whatsapp.net", fromMe=True, ID="OLD"), type=0
    )
    # Baileys: {...revokeMessage.key, id: revoked id}: Maria revoked her message in her chat with us
    assert revoked_key(message_event(E.Message(protocolMessage=protocol))) == {
        "remoteJid": "5511988887777@s.whatsapp.net",
        "fromMe": False,
        "id": "OLD",
    }
    edit = E.ProtocolMessage(key=MessageKey(ID="OLD"), type=14, editedMessage=E.Message(conversation="new"))
    assert revoked_key(message_event(E.Message(protocolMessage=edit))) is None
    assert proto_to_json(edit) == {"key": {"id": "OLD"}, "type": 14, "editedMessage": {"conversation": "new"}}


def test_receipts_become_message_updates() -> None:
    source = N.MessageSource(Chat=MARIA, Sender=MARIA, IsFromMe=False, IsGroup=False)
    read = N.Receipt(MessageSource=source, MessageIDs=["A", "B"], Timestamp=1717000001, Type=N.Receipt.READ)
    assert receipt_updates(read, INSTANCE) == [
        {"keyId": "A", "remoteJid": "5511988887777@s.whatsapp.net", "fromMe": True, "status": "READ",
         "instanceId": INSTANCE},
        {"keyId": "B", "remoteJid": "5511988887777@s.whatsapp.net", "fromMe": True, "status": "READ",
         "instanceId": INSTANCE},
    ]  # fmt: skip
    delivered = N.Receipt(MessageSource=source, MessageIDs=["A"], Timestamp=1, Type=N.Receipt.DELIVERED)
    assert receipt_updates(delivered, INSTANCE)[0]["status"] == "DELIVERY_ACK"
    played = N.Receipt(MessageSource=source, MessageIDs=["A"], Timestamp=1, Type=N.Receipt.PLAYED)
    assert receipt_updates(played, INSTANCE)[0]["status"] == "PLAYED"
    assert receipt_updates(N.Receipt(MessageSource=source, MessageIDs=["A"], Timestamp=1, Type=N.Receipt.RETRY),
                           INSTANCE) == []  # fmt: skip
    group_source = N.MessageSource(Chat=GROUP, Sender=MARIA, IsFromMe=False, IsGroup=True)
    in_group = N.Receipt(MessageSource=group_source, MessageIDs=["G"], Timestamp=1, Type=N.Receipt.READ)
    assert receipt_updates(in_group, INSTANCE)[0]["participant"] == "5511988887777@s.whatsapp.net"


def test_presence_payloads() -> None:
    assert presence_payload(N.Presence(From=MARIA, Unavailable=True, LastSeen=1717000000)) == {
        "id": "5511988887777@s.whatsapp.net",
        "presences": {"5511988887777@s.whatsapp.net": {"lastKnownPresence": "unavailable", "lastSeen": 1717000000}},
    }
    source = N.MessageSource(Chat=GROUP, Sender=MARIA, IsFromMe=False, IsGroup=True)
    typing = N.ChatPresence(MessageSource=source, State=N.ChatPresence.COMPOSING, Media=N.ChatPresence.AUDIO)
    assert chat_presence_payload(typing) == {
        "id": "120363025555555555@g.us",
        "presences": {"5511988887777@s.whatsapp.net": {"lastKnownPresence": "recording"}},
    }


def test_call_payloads() -> None:
    meta = N.BasicCallMeta(timestamp=1717000000, callCreator=MARIA, callID="CALL1")
    getattr(meta, "from").CopyFrom(MARIA)
    assert call_payload(**meta_fields(meta), status="offer") == {
        "chatId": "5511988887777@s.whatsapp.net",
        "from": "5511988887777@s.whatsapp.net",
        "id": "CALL1",
        "date": "2024-05-29T16:26:40.000Z",
        "offline": False,
        "status": "offer",
    }
    video = N.Node(Tag="offer", Nodes=[N.Node(Tag="audio"), N.Node(Tag="video")])
    assert offer_details(video) == {"isVideo": True, "isGroup": False}
    group = N.Node(Tag="offer", Attrs=[N.NodeAttrs(name="group-jid", jid=GROUP)])
    assert offer_details(group) == {"isVideo": False, "isGroup": True, "groupJid": "120363025555555555@g.us"}
    assert offer_details(N.Node(Tag="offer_notice"), media="video", kind="group") == {"isVideo": True, "isGroup": True}
    assert [call_status(tag) for tag in ("offer", "offer_notice", "reject", "accept", "preaccept", "transport")] == [
        "offer", "offer", "reject", "accept", "ringing", "ringing"
    ]  # fmt: skip
    assert call_status("terminate", "timeout") == "timeout" and call_status("terminate") == "terminate"


def test_group_events() -> None:
    event = N.GroupInfoEvent(JID=GROUP, Sender=ME, Timestamp=1, Join=[MARIA], Name=N.GroupName(Name="Vendas"))
    assert group_participant_updates(event) == [
        {
            "id": "120363025555555555@g.us",
            "author": "5511999990000@s.whatsapp.net",
            "participants": [{"id": "5511988887777@s.whatsapp.net", "admin": None}],
            "action": "add",
        }
    ]
    assert group_update(event) == {
        "id": "120363025555555555@g.us",
        "subject": "Vendas",
        "author": "5511999990000@s.whatsapp.net",
    }
    info = N.GroupInfo(
        JID=GROUP, OwnerJID=ME, GroupName=N.GroupName(Name="Vendas", NameSetAt=1700000000, NameSetBy=ME),
        GroupCreated=1690000000, Participants=[N.GroupParticipant(JID=ME, IsSuperAdmin=True),
                                               N.GroupParticipant(JID=MARIA)],
    )  # fmt: skip
    metadata = group_metadata(info)
    assert metadata["id"] == "120363025555555555@g.us" and metadata["subject"] == "Vendas"
    assert metadata["owner"] == "5511999990000@s.whatsapp.net" and metadata["creation"] == 1690000000
    assert metadata["participants"] == [
        {"id": "5511999990000@s.whatsapp.net", "admin": "superadmin"},
        {"id": "5511988887777@s.whatsapp.net", "admin": None},
    ]
    assert metadata["size"] == 2 and metadata["restrict"] is False and metadata["announce"] is False


def test_field_names_beyond_the_table() -> None:
    from evolution_py.channels.whatsapp_web.field_renames import baileys_name

    assert baileys_name("stanzaID") == "stanzaId"
    assert baileys_name("thumbnailCDNURL") == "thumbnailCdnUrl"
    assert baileys_name("remoteJID") == "remoteJid"
    assert baileys_name("actionURL") == "actionUrl"
    assert baileys_name("deviceID") == "deviceID"
    assert baileys_name("conversation") == "conversation"
