"""The non-find `/chat/*` routes on whatsmeow: number check, read receipts, delete/edit for
everyone, media download, presence, block. Archive and unread need app-state patches."""

from __future__ import annotations

import asyncio
import base64
import mimetypes
import time
from typing import Any

from neonize.proto.Neonize_pb2 import JID
from neonize.proto.waE2E.WAWebProtobufsE2E_pb2 import Message
from neonize.utils.enum import BlocklistAction, ChatPresence, ChatPresenceMedia, Presence, ReceiptType

from evolution_py.channels.base import ChannelError
from evolution_py.channels.jid import create_jid
from evolution_py.channels.whatsmeow.ops.common import error_text, to_jid
from evolution_py.channels.whatsmeow.ops.host import OpsMixin
from evolution_py.channels.whatsmeow.ops.numbers import check_numbers
from evolution_py.channels.whatsmeow.ops.proto_json import from_baileys_json, to_baileys_json
from evolution_py.channels.whatsmeow.ops.unsupported import APP_STATE, unsupported
from evolution_py.dto.chat import (
    ArchiveChat,
    BlockStatus,
    DeleteMessage,
    GetBase64,
    Key,
    MarkChatUnread,
    ReadMessages,
    SendPresence,
    UpdateMessage,
    WhatsappNumbers,
)
from evolution_py.events import names

EMPTY_JID = JID(User="", Server="", Device=0, RawAgent=0, Integrator=0, IsEmpty=True)

# Media kinds upstream downloads, in its order (`TypeMediaMessage`), and wrappers it unwraps first.
MEDIA_TYPES = ("imageMessage", "documentMessage", "audioMessage", "videoMessage", "stickerMessage", "ptvMessage")
WRAPPERS = (
    "ephemeralMessage",
    "documentWithCaptionMessage",
    "viewOnceMessage",
    "viewOnceMessageV2",
    "viewOnceMessageV2Extension",
)
EDITABLE = {"conversation", "extendedTextMessage", "imageMessage", "videoMessage"}


# --- pure conversions ---------------------------------------------------------------------------


def read_batches(keys: list[Key]) -> list[tuple[str, list[str]]]:
    """Receipts to send: upstream sends only incoming messages of groups and phone-number chats;
    whatsmeow takes one call per chat."""
    batches: dict[str, list[str]] = {}
    for key in keys:
        if key.fromMe or not (key.remoteJid.endswith("@g.us") or key.remoteJid.endswith("@s.whatsapp.net")):
            continue
        batches.setdefault(key.remoteJid, []).append(key.id)
    return list(batches.items())


def unwrap(message: dict[str, Any]) -> dict[str, Any]:
    for wrapper in WRAPPERS:
        inner = message.get(wrapper)
        if isinstance(inner, dict) and isinstance(inner.get("message"), dict):
            message = inner["message"]
    return message


def media_part(message: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    if "messageContextInfo" in message and len(message) == 1:
        raise ChannelError("The message is messageContextInfo")
    for kind in MEDIA_TYPES:
        if isinstance(message.get(kind), dict):
            return kind, message[kind]
    raise ChannelError("The message is not of the media type")


def media_answer(kind: str, media: dict[str, Any], key_id: str, data: bytes) -> dict[str, Any]:
    """upstream's `getBase64FromMediaMessage` answer for downloaded bytes."""
    mimetype = media.get("mimetype")
    ext = (mimetypes.guess_extension(str(mimetype).split(";")[0].strip()) or "").lstrip(".") if mimetype else ""
    return {
        "mediaType": kind,
        "fileName": media.get("fileName") or f"{key_id}.{ext or 'bin'}",
        "caption": media.get("caption"),
        "size": {"fileLength": media.get("fileLength"), "height": media.get("height"), "width": media.get("width")},
        "mimetype": mimetype,
        "base64": base64.b64encode(data).decode(),
        "buffer": None,
    }


def sent_record(chat: str, response: Any, fallback: dict[str, Any]) -> dict[str, Any]:
    """A WebMessageInfo in protobuf-JSON form (upstream's "raw Baileys message")."""
    message = to_baileys_json(response.Message) if response.HasField("Message") else fallback
    stamp = int(response.Timestamp or time.time())
    if stamp > 10**11:  # whatsmeow times may come as nanoseconds
        stamp //= 10**9
    return {
        "key": {"remoteJid": chat, "fromMe": True, "id": response.ID},
        "message": message,
        "messageTimestamp": str(stamp),
        "status": "PENDING",
    }


def revoke_fallback(req: DeleteMessage) -> dict[str, Any]:
    key: dict[str, Any] = {"remoteJid": req.remoteJid, "fromMe": req.fromMe, "id": req.id}
    if req.participant:
        key["participant"] = req.participant
    return {"protocolMessage": {"key": key, "type": "REVOKE"}}


def edit_fallback(req: UpdateMessage, chat: str) -> dict[str, Any]:
    """The edit as Baileys shows it, for when whatsmeow does not hand back the message it sent."""
    return {
        "editedMessage": {
            "message": {
                "protocolMessage": {
                    "key": {"remoteJid": chat, "fromMe": True, "id": req.key.id},
                    "type": "MESSAGE_EDIT",
                    "editedMessage": {"conversation": req.text},
                }
            }
        }
    }


def edited_protocol_message(message: dict[str, Any]) -> dict[str, Any] | None:
    """The protocolMessage upstream emits as `send.message.update` (top level or inside editedMessage)."""
    found = message.get("protocolMessage") or (
        ((message.get("editedMessage") or {}).get("message") or {}).get("protocolMessage")
    )
    return found if isinstance(found, dict) else None


def edit_content(message_type: str | None, text: str) -> Message:
    """New content for an edit: text stays text, a media caption stays a caption."""
    if message_type == "imageMessage":
        return from_baileys_json({"imageMessage": {"caption": text}}, Message())
    if message_type == "videoMessage":
        return from_baileys_json({"videoMessage": {"caption": text}}, Message())
    return Message(conversation=text)


PRESENCE_CALLS: dict[str, tuple[str, Any]] = {
    "composing": ("chat", (ChatPresence.CHAT_PRESENCE_COMPOSING, ChatPresenceMedia.CHAT_PRESENCE_MEDIA_TEXT)),
    "recording": ("chat", (ChatPresence.CHAT_PRESENCE_COMPOSING, ChatPresenceMedia.CHAT_PRESENCE_MEDIA_AUDIO)),
    "paused": ("chat", (ChatPresence.CHAT_PRESENCE_PAUSED, ChatPresenceMedia.CHAT_PRESENCE_MEDIA_TEXT)),
    "available": ("global", Presence.AVAILABLE),
    "unavailable": ("global", Presence.UNAVAILABLE),
}


# --- the mixin ----------------------------------------------------------------------------------


class ChatOps(OpsMixin):
    async def whatsapp_numbers(self, req: WhatsappNumbers) -> list[dict[str, Any]]:
        self.require_open()
        try:
            return await check_numbers(self.client, req.numbers, self.ctx.store)
        except Exception as exc:
            raise ChannelError(error_text(exc)) from None

    async def mark_message_as_read(self, req: ReadMessages) -> dict[str, Any]:
        self.require_open()
        try:
            for chat, ids in read_batches(req.readMessages):
                await self.client.mark_read(*ids, chat=to_jid(chat), sender=EMPTY_JID, receipt=ReceiptType.READ)
        except Exception as exc:
            raise ChannelError("Read messages fail", error_text(exc), status=500) from None
        return {"message": "Read messages", "read": "success"}

    async def archive_chat(self, req: ArchiveChat) -> dict[str, Any]:
        self.require_open()
        raise unsupported("archiveChat", APP_STATE)

    async def mark_chat_unread(self, req: MarkChatUnread) -> dict[str, Any]:
        self.require_open()
        raise unsupported("markChatUnread", APP_STATE)

    async def delete_message_for_everyone(self, req: DeleteMessage) -> dict[str, Any]:
        self.require_open()
        chat = create_jid(req.remoteJid)
        # whatsmeow marks the revoke "fromMe" when the sender is empty; an admin deleting someone
        # else's group message names that participant.
        sender = EMPTY_JID if req.fromMe else to_jid(req.participant or chat)
        try:
            response = await self.client.revoke_message(to_jid(chat), sender, req.id)
        except Exception as exc:
            raise ChannelError("Error while deleting message for everyone", error_text(exc), status=500) from None
        await self.ctx.store.mark_deleted(req.id)
        key: dict[str, Any] = {"remoteJid": chat, "fromMe": req.fromMe, "id": req.id}
        if req.participant:
            key["participant"] = req.participant
        await self.ctx.emit(names.MESSAGES_DELETE, key)
        return sent_record(chat, response, revoke_fallback(req))

    async def get_base64_from_media_message(self, req: GetBase64) -> dict[str, Any]:
        self.require_open()
        ref = req.message
        key_id = str(ref.key.get("id") or "")
        record = {"message": ref.message} if ref.message else await self.ctx.store.find_message_by_key_id(key_id)
        if not record or not isinstance(record.get("message"), dict):
            raise ChannelError("Message not found")
        kind, media = media_part(unwrap(record["message"]))
        proto = from_baileys_json({kind: media}, Message())
        try:
            data = await self.client.download_any(proto)
        except Exception as exc:
            raise ChannelError(error_text(exc)) from None
        if req.convertToMp4 and kind == "audioMessage":
            raise ChannelError("Failed to convert audio to MP4")
        return media_answer(kind, media, key_id, data)

    async def update_message(self, req: UpdateMessage) -> dict[str, Any]:
        self.require_open()
        chat = create_jid(req.number or req.key.remoteJid)
        stored = await self.ctx.store.find_message_by_key_id(req.key.id)
        message_type = None
        # upstream's order: the stored message's type decides compatibility, then its chat must match.
        if self.ctx.store.save_messages:
            if stored is None:
                raise ChannelError("Message not found", status=404)
            message_type = stored.get("messageType")
            if message_type not in EDITABLE:
                raise ChannelError("Message not compatible")
            if (stored.get("key") or {}).get("remoteJid") != chat:
                raise ChannelError("RemoteJid does not match")
        try:
            response = await self.client.edit_message(to_jid(chat), req.key.id, edit_content(message_type, req.text))
        except Exception as exc:
            raise ChannelError("Error updating message", error_text(exc)) from None
        record = sent_record(chat, response, edit_fallback(req, chat))
        edit = edited_protocol_message(record["message"])
        if edit is not None:
            await self.ctx.emit(names.SEND_MESSAGE_UPDATE, edit)
        if stored is not None:
            await self.ctx.store.save_status(
                key_id=req.key.id, remote_jid=chat, from_me=req.key.fromMe, status="EDITED"
            )
        return record

    async def send_presence(self, req: SendPresence) -> dict[str, Any]:
        self.require_open()
        kind, args = PRESENCE_CALLS[req.presence]
        chat = to_jid(create_jid(req.number))
        try:
            if kind == "chat":
                await self.client.send_chat_presence(chat, *args)
            else:
                await self.client.send_presence(args)
            if req.delay and req.delay > 0:
                await asyncio.sleep(min(req.delay, 120_000) / 1000)
            if kind == "chat":
                await self.client.send_chat_presence(chat, *PRESENCE_CALLS["paused"][1])
        except Exception as exc:
            raise ChannelError(error_text(exc)) from None
        return {"presence": req.presence}

    async def update_block_status(self, req: BlockStatus) -> dict[str, Any]:
        self.require_open()
        action = BlocklistAction.BLOCK if req.status == "block" else BlocklistAction.UNBLOCK
        try:
            await self.client.update_blocklist(to_jid(create_jid(req.number)), action)
        except Exception as exc:
            raise ChannelError("Error blocking user", error_text(exc), status=500) from None
        return {"block": "success"}
