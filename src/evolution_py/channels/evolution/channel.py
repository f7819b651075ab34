"""The generic `EVOLUTION` channel: messages arrive on `POST /webhook/evolution`, sends leave as
`send.message` events for whatever system sits behind it."""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import re
import time
import uuid
from typing import Any

import msgspec

from evolution_py.aio import both
from evolution_py.channels.base import BaseChannel, ChannelError, ConnectionState, QrCode
from evolution_py.channels.capabilities import Calls, Chats, InboundWebhook, Media, Messaging, NotAvailable, Profile
from evolution_py.channels.jid import create_jid
from evolution_py.dto.message import (
    SendAudio,
    SendButtons,
    SendMedia,
    SendOptions,
    SendText,
    UploadedFile,
    validate_buttons,
)
from evolution_py.events import names

log = logging.getLogger(__name__)

_URL = re.compile(r"^https?://", re.IGNORECASE)
_MEDIA_TYPES = {
    "image": "imageMessage",
    "video": "videoMessage",
    "audio": "audioMessage",
    "document": "documentMessage",
}


def _is_base64(value: str) -> bool:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return bool(value)


class EvolutionChannel(BaseChannel, Messaging, Media, Chats, Profile, InboundWebhook):
    integration = "EVOLUTION"
    label = "Evolution Channel"

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self._state: ConnectionState = "open"
        # What this channel does itself; the other operations of these capabilities are "not available".
        self.messaging = self.media = self.chats = self.profile = self.inbound = self
        # upstream's EVOLUTION channel copied its offerCall from the Cloud API one, label included
        self.calls: Calls = NotAvailable("WhatsApp Business API")

    @property
    def state(self) -> ConnectionState:
        return self._state

    async def connect(self, number: str | None = None) -> QrCode | None:
        if self._state != "open":
            self._state = "open"
            await self.ctx.update_connection("open")
            await self.ctx.emit(
                names.CONNECTION_UPDATE, {"instance": self.ctx.name, "state": "open", "statusReason": 200}
            )
        return None

    async def logout(self) -> None:
        self._state = "close"
        await self.ctx.update_connection("close")
        await self.ctx.emit(names.LOGOUT_INSTANCE, None)

    async def restart(self) -> None:
        return None

    async def fetch_profile_picture_url(self, number: str | None) -> dict[str, Any]:
        # upstream's Evolution channel answers the JID with no picture instead of an error.
        return {"wuid": create_jid(number or ""), "profilePictureUrl": None}

    # --- inbound ------------------------------------------------------------------------------

    async def receive(self, payload: dict[str, Any]) -> None:
        """One inbound `POST /webhook/evolution` body for this instance, handled as upstream's
        eventHandler: the message record keeps what the sender gave (`pushName`, `fromMe` left out
        when absent), then the contact and the chat."""
        if not payload.get("message"):
            return
        key_in = payload.get("key")
        if not isinstance(key_in, dict):
            return  # upstream fails on `received.key.id`, logs it and still answers success
        remote_jid = key_in.get("remoteJid")
        key: dict[str, Any] = {"id": key_in.get("id") or str(uuid.uuid4())}
        if isinstance(remote_jid, str) and remote_jid:
            key["remoteJid"] = remote_jid
        if key_in.get("fromMe") is not None:
            key["fromMe"] = bool(key_in["fromMe"])
        if payload.get("profilePicUrl") is not None:
            key["profilePicUrl"] = payload.get("profilePicUrl")
        record: dict[str, Any] = {"key": key}
        if payload.get("pushName") is not None:
            record["pushName"] = payload["pushName"]
        record.update(
            {
                "message": payload["message"],
                "messageType": payload.get("messageType") or _content_type(payload["message"]),
                "messageTimestamp": int(time.time()),
                "source": "unknown",
                "instanceId": self.ctx.instance_id,
            }
        )
        # upstream's contact write fails on a missing JID (after its `findFirst` without a JID
        # matched, and could overwrite, any contact of the instance): no contact, no chat then.
        jid = remote_jid if isinstance(remote_jid, str) and remote_jid else None
        upsert = self.ctx.emit(names.MESSAGES_UPSERT, record, stores_message=True)
        if jid is None:
            await upsert
            return
        # The event with its message row, and the contact and chat rows, in one commit round; then
        # the contact and chat events, in upstream's order, in a second (not seven rounds in turn).
        _accepted, touched = await both(
            upsert, self._touch_contact_and_chat(jid, payload, from_me=bool(key.get("fromMe")))
        )
        await self.ctx.emit_all(touched)

    async def _touch_contact_and_chat(
        self, remote_jid: str, payload: dict[str, Any], *, from_me: bool
    ) -> list[tuple[str, Any]]:
        """Upsert the sender's contact and the chat; returns their events, in upstream's order."""
        contact: dict[str, Any] = {"remoteJid": remote_jid}
        if payload.get("pushName") is not None:
            contact["pushName"] = payload["pushName"]
        contact["instanceId"] = self.ctx.instance_id
        if payload.get("profilePicUrl") is not None:
            contact["profilePicUrl"] = payload["profilePicUrl"]
        (_row, chat_and_created) = await both(
            self.ctx.store.upsert_contact(
                remote_jid, push_name=payload.get("pushName"), profile_pic_url=payload.get("profilePicUrl")
            ),
            self.ctx.store.upsert_chat(remote_jid, unread_delta=0 if from_me else 1),
        )
        chat, created = chat_and_created
        events: list[tuple[str, Any]] = [(names.CONTACTS_UPSERT, contact)]
        if not created:
            events.append((names.CHATS_UPDATE, chat))
        events.append((names.CHATS_UPSERT, chat))
        return events

    # --- outbound -----------------------------------------------------------------------------

    async def _send(
        self, number: str, message: dict[str, Any], message_type: str, options: SendOptions | None
    ) -> dict[str, Any]:
        if options is not None and options.delay and options.delay > 0:
            await asyncio.sleep(min(options.delay, 120_000) / 1000)
        if options is not None and options.quoted is not None:
            message["quoted"] = {
                k: v
                for k, v in {
                    "id": options.quoted.key.id,
                    "remoteJid": options.quoted.key.remoteJid,
                    "fromMe": options.quoted.key.fromMe,
                }.items()
                if v is not None
            }
        record: dict[str, Any] = {
            "key": {"fromMe": True, "id": str(uuid.uuid4()), "remoteJid": number},
            "message": message,
            "messageType": message_type,
            "messageTimestamp": int(time.time()),
            "source": "unknown",
            "instanceId": self.ctx.instance_id,
        }
        return record  # stored and emitted as `send.message` by the MessagingService

    async def send_text(self, req: SendText) -> dict[str, Any]:
        if not req.text.strip():
            raise ChannelError("Text is required")
        return await self._send(req.number, {"conversation": req.text}, "conversation", req)

    async def send_media(self, req: SendMedia, file: UploadedFile | None = None) -> dict[str, Any]:
        media = base64.b64encode(file.data).decode() if file is not None else (req.media or "")
        is_url = bool(_URL.match(media))
        if not is_url and not _is_base64(media):
            raise ChannelError("Owned media must be a url or base64")
        if req.mediatype == "document" and not is_url and not (req.fileName or file):
            raise ChannelError("For base64 the file name must be informed.")
        # upstream's record of a media send is only `{mediaUrl}` (null for an upload / base64): the
        # base64 is dropped and caption, file name and mimetype are not carried.
        return await self._send(req.number, {"mediaUrl": media if is_url else None}, _MEDIA_TYPES[req.mediatype], req)

    async def send_whatsapp_audio(self, req: SendAudio, file: UploadedFile | None = None) -> dict[str, Any]:
        audio = base64.b64encode(file.data).decode() if file is not None else (req.audio or "")
        is_url = bool(_URL.match(audio))
        if not audio or (not is_url and not _is_base64(audio)):
            raise ChannelError("Owned media must be a url, base64, or valid file with buffer")
        return await self._send(req.number, {"mediaUrl": audio if is_url else None}, "audioMessage", req)

    async def send_buttons(self, req: SendButtons) -> dict[str, Any]:
        try:
            validate_buttons(req.buttons)
        except ValueError as exc:
            raise ChannelError(str(exc)) from None
        # upstream spreads the request's own fields: absent ones stay absent, buttons go as given
        message: dict[str, Any] = {
            field: value
            for field, value in (("title", req.title), ("description", req.description), ("footer", req.footer))
            if value is not None
        }
        message["buttons"] = [_as_given(button) for button in req.buttons]
        return await self._send(req.number, message, "buttonMessage", req)


def _as_given(button: Any) -> dict[str, Any]:
    """A button as the client wrote it: the fields it did not send are not added as nulls."""
    return {field: value for field, value in msgspec.to_builtins(button).items() if value is not None}


def _content_type(message: dict[str, Any]) -> str:
    for key in message:
        if key not in ("messageContextInfo", "base64", "mediaUrl"):
            return key
    return "unknown"
