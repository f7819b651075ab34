"""The non-find `/chat/*` routes on WhatsApp Web: number check, read receipts, delete/edit for
everyone, presence, block. Archive and unread need app-state patches."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from evolution_py.channels.base import ChannelError, InstanceContext
from evolution_py.channels.capabilities import Chats, Record, Records
from evolution_py.channels.jid import create_jid
from evolution_py.channels.whatsapp_web.errors import APP_STATE, CHANNEL_LABEL, go_failures, unsupported
from evolution_py.channels.whatsapp_web.jids import to_jid
from evolution_py.channels.whatsapp_web.numbers import check_numbers
from evolution_py.channels.whatsapp_web.proto_json import from_baileys_json, to_baileys_json
from evolution_py.channels.whatsapp_web.sender import Sender
from evolution_py.channels.whatsapp_web.session import Session, neonize
from evolution_py.dto.chat import (
    ArchiveChat,
    BlockStatus,
    DeleteMessage,
    Key,
    MarkChatUnread,
    ReadMessages,
    SendPresence,
    UpdateMessage,
    WhatsappNumbers,
)
from evolution_py.events import names

if TYPE_CHECKING:
    from neonize.proto.waE2E.WAWebProtobufsE2E_pb2 import Message

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


def raw_sent_record(chat: str, response: Any, fallback: dict[str, Any]) -> Record:
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
    message = neonize().e2e.Message
    if message_type == "imageMessage":
        return from_baileys_json({"imageMessage": {"caption": text}}, message())
    if message_type == "videoMessage":
        return from_baileys_json({"videoMessage": {"caption": text}}, message())
    return message(conversation=text)


# presences that are chat states (typing indicators); the others are the account's own presence
CHAT_STATES = {"composing", "recording", "paused"}


# --- the feature ---------------------------------------------------------------------------------


class ChatsFeature(Chats):
    label = CHANNEL_LABEL

    def __init__(self, session: Session, ctx: InstanceContext, sender: Sender) -> None:
        self.session = session
        self.ctx = ctx
        self.sender = sender

    async def whatsapp_numbers(self, req: WhatsappNumbers) -> Records:
        self.session.require_open()
        with go_failures():
            return await check_numbers(self.session, req.numbers, self.ctx.store)

    async def mark_message_as_read(self, req: ReadMessages) -> Record:
        self.session.require_open()
        with go_failures("Read messages fail", status=500):
            for chat, ids in read_batches(req.readMessages):
                await self._mark_read(to_jid(chat), ids)
        return {"message": "Read messages", "read": "success"}

    async def _mark_read(self, chat: Any, ids: list[str]) -> None:
        api = neonize()
        await self.session.call(
            lambda client: client.mark_read(*ids, chat=chat, sender=api.EMPTY_JID, receipt=api.ReceiptType.READ)
        )

    async def archive_chat(self, req: ArchiveChat) -> Record:
        self.session.require_open()
        raise unsupported("archiveChat", APP_STATE)

    async def mark_chat_unread(self, req: MarkChatUnread) -> Record:
        self.session.require_open()
        raise unsupported("markChatUnread", APP_STATE)

    async def delete_message_for_everyone(self, req: DeleteMessage) -> Record:
        self.session.require_open()
        chat = create_jid(req.remoteJid)
        # whatsmeow marks the revoke "fromMe" when the sender is empty; an admin deleting someone
        # else's group message names that participant.
        sender = neonize().EMPTY_JID if req.fromMe else to_jid(req.participant or chat)
        with go_failures("Error while deleting message for everyone", status=500):
            response = await self.session.call(lambda client: client.revoke_message(to_jid(chat), sender, req.id))
        await self.ctx.store.mark_deleted(req.id)
        key: dict[str, Any] = {"remoteJid": chat, "fromMe": req.fromMe, "id": req.id}
        if req.participant:
            key["participant"] = req.participant
        await self.ctx.emit(names.MESSAGES_DELETE, key)
        return raw_sent_record(chat, response, revoke_fallback(req))

    async def update_message(self, req: UpdateMessage) -> Record:
        self.session.require_open()
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
        with go_failures("Error updating message"):
            content = edit_content(message_type, req.text)
            response = await self.session.call(lambda client: client.edit_message(to_jid(chat), req.key.id, content))
        record = raw_sent_record(chat, response, edit_fallback(req, chat))
        edit = edited_protocol_message(record["message"])
        if edit is not None:
            await self.ctx.emit(names.SEND_MESSAGE_UPDATE, edit)
        if stored is not None:
            await self.ctx.store.save_status(
                key_id=req.key.id, remote_jid=chat, from_me=req.key.fromMe, status="EDITED"
            )
        return record

    async def send_presence(self, req: SendPresence) -> Record:
        self.session.require_open()
        api = neonize()
        in_chat = req.presence in CHAT_STATES
        chat = to_jid(create_jid(req.number))
        with go_failures():
            if in_chat:
                state = api.chat_presence(req.presence)
                await self.session.call(lambda client: client.send_chat_presence(chat, *state))
            else:
                presence = api.Presence(req.presence.encode())
                await self.session.call(lambda client: client.send_presence(presence))
            if req.delay and req.delay > 0:
                await asyncio.sleep(min(req.delay, 120_000) / 1000)
            if in_chat:
                paused = api.chat_presence("paused")
                await self.session.call(lambda client: client.send_chat_presence(chat, *paused))
        return {"presence": req.presence}

    async def update_block_status(self, req: BlockStatus) -> Record:
        self.session.require_open()
        blocklist = neonize().BlocklistAction
        action = blocklist.BLOCK if req.status == "block" else blocklist.UNBLOCK
        with go_failures("Error blocking user", status=500):
            await self.session.call(lambda client: client.update_blocklist(to_jid(create_jid(req.number)), action))
        return {"block": "success"}

    async def set_presence(self, presence: str) -> None:
        """The account's own presence (`/instance/setPresence`)."""
        self.session.require_open()
        try:
            if presence in ("available", "unavailable"):
                value = neonize().Presence(presence.encode())
                await self.session.call(lambda client: client.send_presence(value))
            else:
                # composing / recording / paused are chat states; upstream sends them account-wide,
                # whatsmeow needs a chat, so the own JID is used.
                await self.sender.chat_presence(self.session.owner_jid or "", presence)
        except ChannelError:
            raise
        except Exception as exc:  # noqa: BLE001 - any neonize/Go error becomes upstream's error answer
            raise ChannelError(str(exc)) from None
