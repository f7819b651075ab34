"""Outbound `/message/*` on neonize: build the waE2E message, check the recipient, send, and answer
(and emit as `send.message`) the sent-message record of HTTP contract §8.3."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import time
import unicodedata
from collections.abc import Awaitable, Callable
from typing import Any

from evolution_py.channels.base import ChannelError
from evolution_py.channels.jid import create_jid, user_part
from evolution_py.channels.whatsmeow.message_json import normalise, proto_to_json, source_of
from evolution_py.channels.whatsmeow.receive import jid_str
from evolution_py.dto.message import (
    SendButtons,
    SendContact,
    SendList,
    SendLocation,
    SendOptions,
    SendPoll,
    SendReaction,
    SendText,
    validate_buttons,
)

_NO_CHECK_SUFFIXES = ("@g.us", "@broadcast", "@newsletter", "@lid")
_MEDIA_FIELDS = {
    "image": "imageMessage",
    "video": "videoMessage",
    "audio": "audioMessage",
    "document": "documentMessage",
}
_LINK = re.compile(r"https?://\S+", re.IGNORECASE)


def e2e() -> Any:
    from neonize.proto.waE2E import WAWebProtobufsE2E_pb2

    return WAWebProtobufsE2E_pb2


def to_jid(jid: str) -> Any:
    from neonize.utils.jid import build_jid

    user, _, server = jid.partition("@")
    return build_jid(user, server or "s.whatsapp.net")


class Sender:
    """Mixed into the channel: uses `self.client`, `self.ctx`, `self.require_open`, `self._call`."""

    client: Any
    ctx: Any
    require_open: Callable[[], None]
    _call: Callable[..., Awaitable[Any]]

    # --- recipient ----------------------------------------------------------------------------

    async def check_number(self, number: str) -> str:
        """The JID to send to; 400 `[{jid, exists:false, number}]` when a phone is not on WhatsApp."""
        jid = create_jid(number)
        if jid.endswith(_NO_CHECK_SUFFIXES):
            return jid
        try:
            # whatsmeow wants international format with the leading `+`
            results = await self._call(self.client.is_on_whatsapp("+" + user_part(jid)))
        except ChannelError:
            raise
        except Exception as exc:
            raise ChannelError(f"Error: {exc}") from None
        for result in results:
            if result.IsIn:
                return jid_str(result.JID) or jid
        raise ChannelError({"jid": jid, "exists": False, "number": number}, status=400)

    # --- the one send path --------------------------------------------------------------------

    async def _chat_presence(self, jid: str, presence: str) -> None:
        from neonize.utils.enum import ChatPresence, ChatPresenceMedia

        state = ChatPresence.CHAT_PRESENCE_PAUSED if presence == "paused" else ChatPresence.CHAT_PRESENCE_COMPOSING
        kind = (
            ChatPresenceMedia.CHAT_PRESENCE_MEDIA_AUDIO
            if presence == "recording"
            else ChatPresenceMedia.CHAT_PRESENCE_MEDIA_TEXT
        )
        await self._call(self.client.send_chat_presence(to_jid(jid), state, kind))

    async def _typing(self, jid: str, delay_ms: int, presence: str) -> None:
        """Upstream's `delay`: show composing/recording for that long (in ≤20 s steps), then paused."""
        remaining = min(delay_ms, 300_000) / 1000
        try:
            while remaining > 0:
                await self._chat_presence(jid, presence)
                step = min(remaining, 20.0)
                await asyncio.sleep(step)
                remaining -= step
            await self._chat_presence(jid, "paused")
        except ChannelError:
            raise
        except Exception:
            pass  # a presence that does not go out must not stop the message

    async def _context(self, jid: str, options: SendOptions | None) -> Any:
        """contextInfo for quoted / mentioned / mentionsEveryOne, or None when nothing applies."""
        if options is None:
            return None
        pb = e2e()
        context = pb.ContextInfo()
        used = False
        if options.quoted is not None:
            key = options.quoted.key
            context.stanzaID = key.id
            quoted = await self._quoted_message(key.id, options.quoted.message)
            context.quotedMessage.CopyFrom(quoted)
            if key.participant:
                context.participant = key.participant
            elif key.remoteJid and not key.fromMe:
                context.participant = create_jid(key.remoteJid)
            elif key.fromMe and getattr(self, "owner_jid", None):
                context.participant = self.owner_jid  # type: ignore[attr-defined]
            if key.remoteJid:
                context.remoteJID = create_jid(key.remoteJid)
            used = True
        mentioned = [create_jid(number) for number in options.mentioned or []]
        if options.mentionsEveryOne and jid.endswith("@g.us"):
            try:
                group = await self._call(self.client.get_group_info(to_jid(jid)))
                mentioned = [jid_str(p.JID) for p in group.Participants]
            except Exception as exc:
                raise ChannelError(f"Error: {exc}") from None
        if mentioned:
            context.mentionedJID.extend(mentioned)
            used = True
        return context if used else None

    async def _quoted_message(self, key_id: str, given: dict[str, Any] | None) -> Any:
        pb = e2e()
        source = given
        if source is None:
            stored = await self.ctx.store.find_message_by_key_id(key_id)
            source = (stored or {}).get("message") or {}
        text = source.get("conversation") or (source.get("extendedTextMessage") or {}).get("text")
        if isinstance(text, str):
            return pb.Message(conversation=text)
        return pb.Message()

    async def _send(
        self,
        number: str,
        message: Any,
        options: SendOptions | None = None,
        *,
        presence: str = "composing",
        link_preview_text: str | None = None,
        media_bytes: bytes | None = None,
        checked_jid: str | None = None,
    ) -> dict[str, Any]:
        self.require_open()
        jid = checked_jid or await self.check_number(number)
        if options is not None and options.delay and options.delay > 0:
            await self._typing(jid, options.delay, presence)
        context = await self._context(jid, options)
        if context is not None:
            message = _with_context(message, context)
        to = to_jid(jid)
        try:
            if link_preview_text is not None and context is None:
                response = await self._call(self.client.send_message(to, link_preview_text, link_preview=True), 60)
            else:
                response = await self._call(self.client.send_message(to, message))
        except ChannelError:
            raise
        except Exception as exc:
            raise ChannelError(f"Error: {exc}") from None
        sent = response.Message if response.HasField("Message") else message
        record = sent_record(jid, response.ID, response.Timestamp, sent, self.ctx.instance_id)
        if media_bytes is not None and await self._wants_base64():  # type: ignore[attr-defined]
            record["message"]["base64"] = base64.b64encode(media_bytes).decode()
        return record  # stored and emitted as `send.message` by the MessagingService

    # --- text, location, contact, reaction, poll, list, buttons -------------------------------

    async def send_text(self, req: SendText) -> dict[str, Any]:
        if not req.text.strip():
            raise ChannelError("Text is required")
        # upstream previews links unless `linkPreview: false`; neonize builds the preview from the text
        preview = req.text if req.linkPreview is not False and _LINK.search(req.text) else None
        return await self._send(req.number, e2e().Message(conversation=req.text), req, link_preview_text=preview)

    async def send_location(self, req: SendLocation) -> dict[str, Any]:
        pb = e2e()
        location = pb.LocationMessage(
            degreesLatitude=req.latitude, degreesLongitude=req.longitude, name=req.name, address=req.address
        )
        return await self._send(req.number, pb.Message(locationMessage=location), req)

    async def send_contact(self, req: SendContact) -> dict[str, Any]:
        if not req.contact:
            raise ChannelError("contact must have at least one item")
        pb = e2e()
        cards = [pb.ContactMessage(displayName=card.fullName, vcard=_vcard(card)) for card in req.contact]
        if len(cards) == 1:
            message = pb.Message(contactMessage=cards[0])
        else:
            message = pb.Message(
                contactsArrayMessage=pb.ContactsArrayMessage(displayName=f"{len(cards)} contacts", contacts=cards)
            )
        return await self._send(req.number, message, req)

    async def send_reaction(self, req: SendReaction) -> dict[str, Any]:
        if not _is_reaction(req.reaction):
            raise ChannelError("Reaction must be a single emoji or empty string")
        if not req.key.remoteJid:
            raise ChannelError('key requires property "remoteJid"')
        from neonize.proto.waCommon.WACommon_pb2 import MessageKey

        jid = create_jid(req.key.remoteJid)
        key = MessageKey(remoteJID=jid, fromMe=bool(req.key.fromMe), ID=req.key.id)
        if req.key.participant:
            key.participant = req.key.participant
        reaction = e2e().ReactionMessage(key=key, text=req.reaction, senderTimestampMS=int(time.time() * 1000))
        return await self._send(jid, e2e().Message(reactionMessage=reaction), None, checked_jid=jid)

    async def send_poll(self, req: SendPoll) -> dict[str, Any]:
        if not 0 <= req.selectableCount <= 10:
            raise ChannelError("selectableCount must be between 0 and 10")
        if not 2 <= len(req.values) <= 10 or len(set(req.values)) != len(req.values):
            raise ChannelError("values must have 2 to 10 unique items")
        pb = e2e()
        poll = pb.PollCreationMessage(
            name=req.name,
            options=[pb.PollCreationMessage.Option(optionName=value) for value in req.values],
            selectableOptionsCount=req.selectableCount,
        )
        message = pb.Message(pollCreationMessage=poll)
        # the secret lets recipients encrypt their votes; WhatsApp drops polls without one
        message.messageContextInfo.messageSecret = os.urandom(32)
        return await self._send(req.number, message, req)

    async def send_list(self, req: SendList) -> dict[str, Any]:
        if not req.sections or any(not section.rows for section in req.sections):
            raise ChannelError("sections must have at least one section with at least one row")
        pb = e2e()
        sections = [
            pb.ListMessage.Section(
                title=section.title,
                rows=[
                    pb.ListMessage.Row(title=row.title, description=row.description or "", rowID=row.rowId)
                    for row in section.rows
                ],
            )
            for section in req.sections
        ]
        listing = pb.ListMessage(
            title=req.title,
            description=req.description or "",
            buttonText=req.buttonText,
            footerText=req.footerText,
            listType=pb.ListMessage.SINGLE_SELECT,
            sections=sections,
        )
        return await self._send(req.number, pb.Message(listMessage=listing), req)

    async def send_buttons(self, req: SendButtons) -> dict[str, Any]:
        try:
            validate_buttons(req.buttons)
        except ValueError as exc:
            raise ChannelError(str(exc)) from None
        pb = e2e()
        interactive = pb.InteractiveMessage
        flow = interactive.NativeFlowMessage(
            buttons=[
                interactive.NativeFlowMessage.NativeFlowButton(name=name, buttonParamsJSON=json.dumps(params))
                for name, params in (_native_button(button) for button in req.buttons)
            ]
        )
        message = interactive(
            header=interactive.Header(title=req.title or "", hasMediaAttachment=False),
            body=interactive.Body(text=req.description or ""),
            footer=interactive.Footer(text=req.footer or ""),
            nativeFlowMessage=flow,
        )
        return await self._send(req.number, pb.Message(interactiveMessage=message), req)

    async def send_template(self, _req: Any) -> dict[str, Any]:
        # upstream answers this Cloud-API-only route with a 500 on Baileys; clients may rely on it
        raise ChannelError("Method not available in the Baileys service", status=500)


# --- helpers ------------------------------------------------------------------------------------


def sent_record(jid: str, message_id: str, timestamp: int, message: Any, instance_id: str) -> dict[str, Any]:
    """The §8.3 record of a message we sent."""
    seconds = int(timestamp)
    if seconds > 100_000_000_000:  # milliseconds
        seconds //= 1000
    content, kind, context = normalise(proto_to_json(message))
    record: dict[str, Any] = {
        "key": {"remoteJid": jid, "fromMe": True, "id": message_id},
        "pushName": "Você",
        "status": "PENDING",
        "message": content,
    }
    if context is not None:
        record["contextInfo"] = context
    record.update(
        {
            "messageType": kind,
            "messageTimestamp": seconds or int(time.time()),
            "instanceId": instance_id,
            "source": source_of(message_id),
        }
    )
    return record


def _with_context(message: Any, context: Any) -> Any:
    """Put contextInfo on the message's content; plain text becomes an extendedTextMessage."""
    pb = e2e()
    if message.HasField("conversation"):
        text = message.conversation
        out = pb.Message()
        out.CopyFrom(message)
        out.ClearField("conversation")
        out.extendedTextMessage.text = text
        out.extendedTextMessage.contextInfo.CopyFrom(context)
        return out
    for field, _value in message.ListFields():
        if field.message_type is not None and "contextInfo" in field.message_type.fields_by_name:
            getattr(message, field.name).contextInfo.MergeFrom(context)
            return message
    return message


def _vcard(card: Any) -> str:
    wuid = card.wuid or "".join(ch for ch in card.phoneNumber if ch.isdigit())
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"FN:{card.fullName}"]
    if card.organization:
        lines.append(f"ORG:{card.organization};")
    if card.email:
        lines.append(f"EMAIL:{card.email}")
    if card.url:
        lines.append(f"URL:{card.url}")
    lines.append(f"item1.TEL;waid={wuid}:{card.phoneNumber}")
    lines.append("item1.X-ABLabel:Celular")
    lines.append("END:VCARD")
    return "\n".join(lines)


def _is_reaction(text: str) -> bool:
    """Empty, or one emoji grapheme (modifiers, ZWJ sequences and variation selectors allowed)."""
    if text == "":
        return True
    base = [ch for ch in text if unicodedata.category(ch) not in ("Mn", "Cf", "Sk") and ch not in "\u200d\ufe0f"]
    if not base:
        return False
    if any(unicodedata.category(ch) != "So" and not 0x1F1E6 <= ord(ch) <= 0x1F1FF for ch in base):
        return False
    flags = [ch for ch in base if 0x1F1E6 <= ord(ch) <= 0x1F1FF]
    if flags:
        return len(base) == 2 and len(flags) == 2
    return len(base) == 1 or "\u200d" in text


def _native_button(button: Any) -> tuple[str, dict[str, Any]]:
    text = button.displayText or ""
    if button.type == "reply":
        return "quick_reply", {"display_text": text, "id": button.id or text}
    if button.type == "url":
        return "cta_url", {"display_text": text, "url": button.url or "", "merchant_url": button.url or ""}
    if button.type == "copy":
        return "cta_copy", {"display_text": text, "copy_code": button.copyCode or ""}
    if button.type == "call":
        return "cta_call", {"display_text": text, "phone_number": button.phoneNumber or ""}
    return "payment_info", {
        "currency": button.currency or "BRL",
        "total_amount": {"value": 0, "offset": 100},
        "reference_id": str(int(time.time())),
        "type": "physical-goods",
        "order": {"status": "pending", "subtotal": {"value": 0, "offset": 100}, "order_type": "ORDER", "items": []},
        "payment_settings": [
            {
                "type": "pix_static_code",
                "pix_static_code": {
                    "merchant_name": button.name or "",
                    "key": button.key or "",
                    "key_type": (button.keyType or "random").upper(),
                },
            }
        ],
        "share_payment_status": False,
    }
