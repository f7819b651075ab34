"""The one outbound path of the WhatsApp Web channel: check the recipient, show typing for `delay`,
add quoted/mentions context, send through the session, and answer the sent-message record of HTTP
contract §8.3 (the MessagingService stores it and emits `send.message`). The messages and media
features build their waE2E message and hand it here."""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from typing import Any

from evolution_py.cache.layered import GROUP_METADATA
from evolution_py.channels.base import ChannelError, InstanceContext
from evolution_py.channels.capabilities import Record
from evolution_py.channels.jid import create_jid, user_part
from evolution_py.channels.whatsapp_web.jids import jid_str, to_jid
from evolution_py.channels.whatsapp_web.message_json import normalise, proto_to_json, source_of
from evolution_py.channels.whatsapp_web.session import Session, neonize
from evolution_py.dto.message import SendOptions

log = logging.getLogger(__name__)

_NO_CHECK_SUFFIXES = ("@g.us", "@broadcast", "@newsletter", "@lid")


async def webhook_wants_base64(ctx: InstanceContext) -> bool:
    """Whether the instance's webhook asks for media as base64 (`webhookBase64`)."""
    accessor = getattr(ctx, "webhook_base64", None)
    if accessor is None:
        return False
    try:
        return bool(await accessor())
    except Exception:  # noqa: BLE001 - a settings read that fails must not fail the message: no base64 then
        return False


class Sender:
    def __init__(self, session: Session, ctx: InstanceContext) -> None:
        self.session = session
        self.ctx = ctx

    # --- recipient ----------------------------------------------------------------------------

    async def check_number(self, number: str) -> str:
        """The JID to send to; 400 `[{jid, exists:false, number}]` when a phone is not on WhatsApp."""
        jid = create_jid(number)
        if jid.endswith(_NO_CHECK_SUFFIXES):
            return jid
        try:
            # whatsmeow wants international format with the leading `+`
            results = await self.session.call(lambda client: client.is_on_whatsapp("+" + user_part(jid)))
        except ChannelError:
            raise
        except Exception as exc:  # noqa: BLE001 - any neonize/Go error becomes upstream's error answer
            raise ChannelError(f"Error: {exc}") from None
        for result in results:
            if result.IsIn:
                return jid_str(result.JID) or jid
        raise ChannelError({"jid": jid, "exists": False, "number": number}, status=400)

    # --- presence -----------------------------------------------------------------------------

    async def chat_presence(self, jid: str, presence: str) -> None:
        """composing / recording / paused in one chat."""
        state, kind = neonize().chat_presence(presence)
        await self.session.call(lambda client: client.send_chat_presence(to_jid(jid), state, kind))

    async def _typing(self, jid: str, delay_ms: int, presence: str) -> None:
        """Upstream's `delay`: show composing/recording for that long (in ≤20 s steps), then paused."""
        remaining = min(delay_ms, 300_000) / 1000
        try:
            while remaining > 0:
                await self.chat_presence(jid, presence)
                step = min(remaining, 20.0)
                await asyncio.sleep(step)
                remaining -= step
            await self.chat_presence(jid, "paused")
        except ChannelError:
            raise
        except Exception as exc:  # noqa: BLE001 - a presence that does not go out must not stop the message
            log.debug("instance %s: typing presence not sent: %s", self.ctx.name, exc)

    # --- context ------------------------------------------------------------------------------

    async def _context(self, jid: str, options: SendOptions | None) -> Any:
        """contextInfo for quoted / mentioned / mentionsEveryOne, or None when nothing applies."""
        if options is None:
            return None
        pb = neonize().e2e
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
            elif key.fromMe and self.session.owner_jid:
                context.participant = self.session.owner_jid
            if key.remoteJid:
                context.remoteJID = create_jid(key.remoteJid)
            used = True
        mentioned = [create_jid(number) for number in options.mentioned or []]
        if options.mentionsEveryOne and jid.endswith("@g.us"):
            try:
                mentioned = await self._group_participants(jid)
            except ChannelError:
                raise
            except Exception as exc:  # noqa: BLE001 - any neonize/Go error becomes upstream's error answer
                raise ChannelError(f"Error: {exc}") from None
        if mentioned:
            context.mentionedJID.extend(mentioned)
            used = True
        return context if used else None

    async def _group_participants(self, jid: str) -> list[str]:
        """The group's participant JIDs, through upstream's group-metadata cache (`groupCache`)
        when CACHE_* switches one on: a mention of everyone does not ask WhatsApp each time."""

        async def fetch() -> dict[str, Any]:
            group = await self.session.call(lambda client: client.get_group_info(to_jid(jid)))
            return {"participants": [jid_str(p.JID) for p in group.Participants]}

        cache = self.ctx.cache
        if cache is None:
            meta = await fetch()
        else:
            meta = await cache.remember(GROUP_METADATA, f"{self.ctx.instance_id}:{jid}", fetch)
        return list(meta["participants"])

    async def _quoted_message(self, key_id: str, given: dict[str, Any] | None) -> Any:
        pb = neonize().e2e
        source = given
        if source is None:
            stored = await self.ctx.store.find_message_by_key_id(key_id)
            source = (stored or {}).get("message") or {}
        text = source.get("conversation") or (source.get("extendedTextMessage") or {}).get("text")
        if isinstance(text, str):
            return pb.Message(conversation=text)
        return pb.Message()

    # --- send ---------------------------------------------------------------------------------

    async def send(
        self,
        number: str,
        message: Any,
        options: SendOptions | None = None,
        *,
        presence: str = "composing",
        link_preview_text: str | None = None,
        media_bytes: bytes | None = None,
        checked_jid: str | None = None,
    ) -> Record:
        self.session.require_open()
        jid = checked_jid or await self.check_number(number)
        if options is not None and options.delay and options.delay > 0:
            await self._typing(jid, options.delay, presence)
        context = await self._context(jid, options)
        if context is not None:
            message = _with_context(message, context)
        to = to_jid(jid)
        try:
            if link_preview_text is not None and context is None:
                text = link_preview_text
                # the preview is fetched by whatsmeow before sending: a longer limit
                response = await self.session.call(
                    lambda client: client.send_message(to, text, link_preview=True), limit=60
                )
            else:
                response = await self.session.call(lambda client: client.send_message(to, message))
        except ChannelError:
            raise
        except Exception as exc:  # noqa: BLE001 - any neonize/Go error becomes upstream's error answer
            raise ChannelError(f"Error: {exc}") from None
        sent = response.Message if response.HasField("Message") else message
        record = sent_record(jid, response.ID, response.Timestamp, sent, self.ctx.instance_id)
        if media_bytes is not None and await webhook_wants_base64(self.ctx):
            record["message"]["base64"] = base64.b64encode(media_bytes).decode()
        return record


def sent_record(jid: str, message_id: str, timestamp: int, message: Any, instance_id: str) -> Record:
    """The §8.3 record of a message we sent."""
    seconds = int(timestamp)
    if seconds > 100_000_000_000:  # milliseconds
        seconds //= 1000
    content, kind, context = normalise(proto_to_json(message))
    record: Record = {
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
    pb = neonize().e2e
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
