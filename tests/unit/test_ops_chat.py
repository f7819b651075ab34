"""Chats and media features over the recording fake client: receipts, revoke, edit, media, presence, block."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from neonize.proto.Neonize_pb2 import SendResponse
from neonize.proto.waCommon.WACommon_pb2 import MessageKey
from neonize.proto.waE2E.WAWebProtobufsE2E_pb2 import Message, ProtocolMessage
from neonize.utils.enum import BlocklistAction, ChatPresence, ChatPresenceMedia, Presence, ReceiptType

from evolution_py.channels.base import ChannelError
from evolution_py.dto.chat import (
    ArchiveChat,
    BlockStatus,
    DeleteMessage,
    GetBase64,
    Key,
    LastMessage,
    MarkChatUnread,
    MediaMessageRef,
    ReadMessages,
    SendPresence,
    UpdateMessage,
)
from evolution_py.events import names
from tests.support.fake_neonize_ops import ops_channel

PEER = "5511900000002@s.whatsapp.net"


async def test_read_receipts_per_chat_only_incoming(tmp_path: Path) -> None:
    async with ops_channel(tmp_path) as channel:
        body = await channel.mark_message_as_read(
            ReadMessages(
                readMessages=[
                    Key(id="A", remoteJid=PEER, fromMe=False),
                    Key(id="B", remoteJid=PEER, fromMe=False),
                    Key(id="C", remoteJid=PEER, fromMe=True),
                    Key(id="D", remoteJid="1203@g.us", fromMe=False),
                    Key(id="E", remoteJid="status@broadcast", fromMe=False),
                ]
            )
        )
        assert body == {"message": "Read messages", "read": "success"}
        calls = channel.client.called("mark_read")
        assert [(c.args, c.kwargs["chat"].User, c.kwargs["receipt"]) for c in calls] == [
            (("A", "B"), "5511900000002", ReceiptType.READ),
            (("D",), "1203", ReceiptType.READ),
        ]
        channel.client.answer("mark_read", RuntimeError("boom"))
        with pytest.raises(ChannelError) as failed:
            await channel.mark_message_as_read(ReadMessages(readMessages=[Key(id="A", remoteJid=PEER, fromMe=False)]))
        assert (failed.value.status, failed.value.messages) == (500, ["Read messages fail", "Error: boom"])


async def test_archive_and_unread_explain_the_app_state_limit(tmp_path: Path) -> None:
    async with ops_channel(tmp_path) as channel:
        with pytest.raises(ChannelError) as archive:
            await channel.archive_chat(ArchiveChat(archive=True, chat=PEER))
        assert archive.value.status == 400
        assert "app-state" in archive.value.messages[0] and archive.value.messages[0].startswith("archiveChat")
        with pytest.raises(ChannelError):
            await channel.mark_chat_unread(
                MarkChatUnread(lastMessage=LastMessage(key=Key(id="A", remoteJid=PEER, fromMe=False)))
            )
        assert channel.client.calls == []


async def test_delete_for_everyone_revokes_marks_and_emits(tmp_path: Path) -> None:
    async with ops_channel(tmp_path) as channel:
        store = channel.ctx.store
        await store.save_message(
            {
                "key": {"id": "MSG1", "remoteJid": PEER, "fromMe": True},
                "message": {"conversation": "hi"},
                "messageType": "conversation",
                "messageTimestamp": 1717689000,
                "source": "web",
                "instanceId": channel.ctx.instance_id,
            }
        )
        revoke = Message(
            protocolMessage=ProtocolMessage(
                key=MessageKey(remoteJID=PEER, fromMe=True, ID="MSG1"), type=ProtocolMessage.REVOKE
            )
        )
        channel.client.answer("revoke_message", SendResponse(ID="REV1", Timestamp=1717689100, Message=revoke))
        body = await channel.delete_message_for_everyone(DeleteMessage(id="MSG1", remoteJid=PEER, fromMe=True))
        assert body == {
            "key": {"remoteJid": PEER, "fromMe": True, "id": "REV1"},
            "message": {
                "protocolMessage": {"key": {"remoteJid": PEER, "fromMe": True, "id": "MSG1"}, "type": "REVOKE"}
            },
            "messageTimestamp": "1717689100",
            "status": "PENDING",
        }
        chat, sender, message_id = channel.client.called("revoke_message")[0].args
        assert (chat.User, sender.User, sender.Server, message_id) == ("5511900000002", "", "", "MSG1")
        stored = await store.find_message_by_key_id("MSG1")
        assert stored is not None and stored["status"] == "DELETED"
        assert channel.ctx.events == [(names.MESSAGES_DELETE, {"remoteJid": PEER, "fromMe": True, "id": "MSG1"})]

        # an admin revoking someone else's group message names that participant
        channel.client.answer("revoke_message", SendResponse(ID="REV2", Timestamp=1717689200))
        other = await channel.delete_message_for_everyone(
            DeleteMessage(id="X", remoteJid="1203@g.us", fromMe=False, participant=PEER)
        )
        assert channel.client.called("revoke_message")[1].args[1].User == "5511900000002"
        assert other["message"]["protocolMessage"]["key"]["participant"] == PEER


async def test_media_download_on_demand(tmp_path: Path) -> None:
    async with ops_channel(tmp_path) as channel:
        stored = {
            "key": {"id": "IMG1", "remoteJid": PEER, "fromMe": False},
            "message": {
                "imageMessage": {
                    "url": "https://mmg.whatsapp.net/x",
                    "mimetype": "image/jpeg",
                    "caption": "look",
                    "fileLength": "3",
                    "height": 2,
                    "width": 4,
                    "mediaKey": {"0": 1, "1": 2},
                    "directPath": "/v/x",
                }
            },
            "messageType": "imageMessage",
            "messageTimestamp": 1717689000,
            "source": "android",
            "instanceId": channel.ctx.instance_id,
        }
        await channel.ctx.store.save_message(stored)
        channel.client.answer("download_any", b"\xff\xd8\xff")
        body = await channel.get_base64_from_media_message(GetBase64(message=MediaMessageRef(key={"id": "IMG1"})))
        assert body == {
            "mediaType": "imageMessage",
            "fileName": "IMG1.jpg",
            "caption": "look",
            "size": {"fileLength": "3", "height": 2, "width": 4},
            "mimetype": "image/jpeg",
            "base64": base64.b64encode(b"\xff\xd8\xff").decode(),
            "buffer": None,
        }
        sent = channel.client.called("download_any")[0].args[0]
        assert isinstance(sent, Message)
        assert sent.imageMessage.mediaKey == b"\x01\x02" and sent.imageMessage.directPath == "/v/x"

        with pytest.raises(ChannelError) as missing:
            await channel.get_base64_from_media_message(GetBase64(message=MediaMessageRef(key={"id": "nope"})))
        assert missing.value.messages == ["Message not found"]
        with pytest.raises(ChannelError) as text:
            await channel.get_base64_from_media_message(
                GetBase64(message=MediaMessageRef(key={"id": "T"}, message={"conversation": "hi"}))
            )
        assert text.value.messages == ["The message is not of the media type"]
        # wrappers are unwrapped first, as upstream does
        channel.client.answer("download_any", b"doc")
        wrapped = await channel.get_base64_from_media_message(
            GetBase64(
                message=MediaMessageRef(
                    key={"id": "D1"},
                    message={"documentWithCaptionMessage": {"message": {"documentMessage": {"fileName": "a.pdf"}}}},
                )
            )
        )
        assert (wrapped["mediaType"], wrapped["fileName"], wrapped["base64"]) == ("documentMessage", "a.pdf", "ZG9j")


async def test_update_message_checks_the_stored_message(tmp_path: Path) -> None:
    async with ops_channel(tmp_path) as channel:
        with pytest.raises(ChannelError) as missing:
            await channel.update_message(UpdateMessage(key=Key(id="M", remoteJid=PEER, fromMe=True), text="x"))
        assert (missing.value.status, missing.value.messages) == (404, ["Message not found"])
        await channel.ctx.store.save_message(
            {
                "key": {"id": "M", "remoteJid": PEER, "fromMe": True},
                "message": {"conversation": "old"},
                "messageType": "conversation",
                "messageTimestamp": 1717689000,
                "source": "web",
                "instanceId": channel.ctx.instance_id,
            }
        )
        channel.client.answer("edit_message", SendResponse(ID="E1", Timestamp=1717689300))
        body = await channel.update_message(
            UpdateMessage(number="5511900000002", key=Key(id="M", remoteJid=PEER, fromMe=True), text="new")
        )
        chat, message_id, content = channel.client.called("edit_message")[0].args
        assert (chat.User, message_id, content) == ("5511900000002", "M", Message(conversation="new"))
        assert body["key"] == {"remoteJid": PEER, "fromMe": True, "id": "E1"}
        assert body["messageTimestamp"] == "1717689300"
        edit = {
            "key": {"remoteJid": PEER, "fromMe": True, "id": "M"},
            "type": "MESSAGE_EDIT",
            "editedMessage": {"conversation": "new"},
        }
        assert body["message"] == {"editedMessage": {"message": {"protocolMessage": edit}}}
        assert channel.ctx.events == [(names.SEND_MESSAGE_UPDATE, edit)]
        stored = await channel.ctx.store.find_message_by_key_id("M")
        assert stored is not None and stored["status"] == "EDITED"

        with pytest.raises(ChannelError) as other_chat:
            await channel.update_message(
                UpdateMessage(number="5511900000003", key=Key(id="M", remoteJid=PEER, fromMe=True), text="x")
            )
        assert other_chat.value.messages == ["RemoteJid does not match"]


async def test_presence_and_block(tmp_path: Path) -> None:
    async with ops_channel(tmp_path) as channel:
        body = await channel.send_presence(SendPresence(number="5511900000002", presence="recording", delay=1))
        assert body == {"presence": "recording"}
        calls = channel.client.called("send_chat_presence")
        assert [c.args[1:] for c in calls] == [
            (ChatPresence.CHAT_PRESENCE_COMPOSING, ChatPresenceMedia.CHAT_PRESENCE_MEDIA_AUDIO),
            (ChatPresence.CHAT_PRESENCE_PAUSED, ChatPresenceMedia.CHAT_PRESENCE_MEDIA_TEXT),
        ]
        assert await channel.send_presence(SendPresence(number="5511900000002", presence="available", delay=0)) == {
            "presence": "available"
        }
        assert channel.client.called("send_presence")[0].args == (Presence.AVAILABLE,)

        assert await channel.update_block_status(BlockStatus(number="5511900000002", status="unblock")) == {
            "block": "success"
        }
        blocked_jid, action = channel.client.called("update_blocklist")[0].args
        assert (blocked_jid.User, action) == ("5511900000002", BlocklistAction.UNBLOCK)
        channel.client.answer("update_blocklist", RuntimeError("nope"))
        with pytest.raises(ChannelError) as failed:
            await channel.update_block_status(BlockStatus(number="5511900000002", status="block"))
        assert (failed.value.status, failed.value.messages) == (500, ["Error blocking user", "Error: nope"])


async def test_only_text_and_captions_can_be_edited(tmp_path: Path) -> None:
    async with ops_channel(tmp_path) as channel:
        await channel.ctx.store.save_message(
            {
                "key": {"id": "AUD", "remoteJid": PEER, "fromMe": True},
                "message": {"audioMessage": {"seconds": 3}},
                "messageType": "audioMessage",
                "messageTimestamp": 1717689000,
                "source": "web",
                "instanceId": channel.ctx.instance_id,
            }
        )
        with pytest.raises(ChannelError) as audio:
            await channel.update_message(UpdateMessage(key=Key(id="AUD", remoteJid=PEER, fromMe=True), text="x"))
        assert (audio.value.status, audio.value.messages) == (400, ["Message not compatible"])
        assert channel.client.called("edit_message") == []
