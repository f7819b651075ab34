"""WhatsApp → Chatwoot: one message record mirrored at most once (the ledger decides), its edits,
deletes and read receipts."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from evolution_py.events.event import Event
from evolution_py.integrations.base import IntegrationFailed
from evolution_py.integrations.chatwoot.client import Attachment, ChatwootClient, ChatwootError
from evolution_py.integrations.chatwoot.content import chatwoot_text, decode_base64, media_of, quoted_id, text_of
from evolution_py.integrations.chatwoot.conversations import Place, Who
from evolution_py.integrations.chatwoot.ledger import Claim
from evolution_py.integrations.chatwoot.parts import Parts, failed
from evolution_py.integrations.chatwoot.settings import ChatwootSettings
from evolution_py.integrations.chatwoot.texts import text
from evolution_py.outbound import OutboundError

log = logging.getLogger("evolution_py.chatwoot")

MAX_MEDIA_BYTES = 64 * 1024 * 1024
_EDIT_TYPES = {14, "MESSAGE_EDIT"}
_REVOKE_TYPES = {0, "REVOKE"}


def phone_jid(key: dict[str, Any]) -> str:
    """The chat's JID with an @lid sender mapped to its phone number when WhatsApp told us it."""
    remote = str(key.get("remoteJid") or "")
    if remote and "@" not in remote:  # a bare number (an EVOLUTION send to `number`): the person's JID
        digits = "".join(ch for ch in remote if ch.isdigit())
        return f"{digits}@s.whatsapp.net" if digits else remote
    if remote.endswith("@lid"):
        for alt in ("remoteJidAlt", "senderPn"):
            value = key.get(alt)
            if isinstance(value, str) and value.endswith("@s.whatsapp.net"):
                return value
    return remote


def who_of(record: dict[str, Any]) -> Who:
    key = record["key"]
    jid = phone_jid(key)
    user = jid.split("@")[0].split(":")[0]
    if jid.endswith("@g.us"):
        subject = record.get("groupSubject") or record.get("chatName")
        return Who(identifier=jid, phone=None, name=f"{subject or user} (GROUP)", is_group=True)
    name = record.get("pushName") if not key.get("fromMe") else None
    phone = user if user.isdigit() else None
    return Who(identifier=jid, phone=phone, name=str(name or user), avatar_url=key.get("profilePicUrl"))


class Mirror:
    def __init__(self, parts: Parts) -> None:
        self.parts = parts

    async def message(self, event: Event, settings: ChatwootSettings) -> None:
        record = event.data
        key = record["key"]
        message = record.get("message") or {}
        protocol = message.get("protocolMessage") if isinstance(message, dict) else None
        if isinstance(protocol, dict):
            await self.protocol(event, settings, protocol)
            return
        wa_id = str(key["id"])
        ledger = self.parts.ledger
        claim = await ledger.claim(event.instance_id, wa_id, phone_jid(key), bool(key.get("fromMe")))
        if claim is Claim.DONE:
            return
        if claim is Claim.BUSY:
            raise IntegrationFailed(f"message {wa_id} is being mirrored by another delivery")
        try:
            await self._send(event, settings, record, wa_id, uncertain=claim is Claim.UNCERTAIN)
        except ChatwootError as exc:
            await ledger.release(event.instance_id, wa_id)
            raise failed(exc) from None
        except BaseException:
            await ledger.release(event.instance_id, wa_id)
            raise

    async def _send(
        self, event: Event, settings: ChatwootSettings, record: dict[str, Any], wa_id: str, *, uncertain: bool
    ) -> None:
        parts = self.parts
        message = record.get("message") or {}
        content = chatwoot_text(message)
        reacted = _reaction(message)
        if reacted is not None:
            content, quoted = reacted
        else:
            quoted = quoted_id(message)
        attachment = await self._attachment(message, record.get("messageType"))
        if not content and attachment is None:
            # nothing a person would see (a removed reaction, a key distribution, ...): as upstream, skipped
            await parts.ledger.mark(event.instance_id, wa_id, state="skipped")
            return
        client = parts.client(settings)
        inbox = await parts.inbox(event.instance_id, settings)
        who = who_of(record)
        place = await self._place(event.instance_id, client, settings, int(inbox["id"]), who)
        source = f"WAID:{wa_id}"
        if uncertain:
            # an earlier attempt may have reached Chatwoot before it failed: look before sending again
            for existing in await client.messages(place.conversation_id):
                if existing.get("source_id") == source:
                    await parts.ledger.sent(
                        event.instance_id,
                        wa_id,
                        message_id=int(existing["id"]),
                        conversation_id=place.conversation_id,
                        source_id=place.source_id,
                    )
                    return
        key = record["key"]
        if who.is_group and not key.get("fromMe"):
            participant = phone_jid({"remoteJid": key.get("participant") or "", **_alt(key)})
            number = participant.split("@")[0].split(":")[0]
            sender = f"**+{number} - {record.get('pushName') or number}:**"
            content = f"{sender}\n\n{content}" if content else sender
        reply_to = None
        if quoted:
            original = await parts.ledger.by_wa_id(event.instance_id, quoted)
            reply_to = original.chatwoot_message_id if original else None
        try:
            created = await client.create_message(
                place.conversation_id,
                content=content,
                message_type="outgoing" if key.get("fromMe") else "incoming",
                source_id=source,
                in_reply_to=reply_to,
                attachment=attachment,
            )
        except ChatwootError as exc:
            if exc.status == 404:  # the conversation was deleted in Chatwoot: find or make another next time
                parts.conversations.forget_contact(event.instance_id, who.identifier)
                raise ChatwootError(str(exc), retryable=True, status=404) from None
            raise
        await parts.ledger.sent(
            event.instance_id,
            wa_id,
            message_id=_id(created),
            conversation_id=place.conversation_id,
            source_id=place.source_id,
        )

    async def _place(
        self, instance_id: str, client: ChatwootClient, settings: ChatwootSettings, inbox_id: int, who: Who
    ) -> Place:
        return await self.parts.conversations.place(instance_id, client, settings, inbox_id, who)

    async def _attachment(self, message: dict[str, Any], message_type: Any) -> Attachment | None:
        media = media_of(message, message_type if isinstance(message_type, str) else None)
        if media is None:
            return None
        data: bytes | None = None
        if media.base64:
            data = decode_base64(media.base64)
        elif media.url:
            try:
                answer = await self.parts.context.outbound.request(
                    "GET", media.url, time_limit=self.parts.config.request_timeout, max_bytes=MAX_MEDIA_BYTES
                )
            except OutboundError as exc:
                log.warning("chatwoot: media of a message could not be fetched: %s", exc.reason)
                return None
            data = answer.body if answer.ok and not answer.truncated else None
        if not data:
            return None
        return Attachment(filename=media.filename, content_type=media.mimetype, data=data)

    # --- edits and deletes ------------------------------------------------------------------------

    async def protocol(self, event: Event, settings: ChatwootSettings, protocol: dict[str, Any]) -> None:
        kind = protocol.get("type")
        target = protocol.get("key") if isinstance(protocol.get("key"), dict) else {}
        assert isinstance(target, dict)
        if kind in _REVOKE_TYPES and target.get("id"):
            await self.delete(event, settings, target)
        elif kind in _EDIT_TYPES and target.get("id"):
            edited = protocol.get("editedMessage")
            await self.edit(event, settings, str(target["id"]), edited if isinstance(edited, dict) else {})

    async def edit(self, event: Event, settings: ChatwootSettings, wa_id: str, edited: dict[str, Any]) -> None:
        ledger = self.parts.ledger
        original = await ledger.by_wa_id(event.instance_id, wa_id)
        new_text = text_of(edited)
        if original is None or original.conversation_id is None or new_text is None:
            return
        edit_id = f"{wa_id}#edit#{hashlib.sha256(new_text.encode()).hexdigest()[:16]}"
        claim = await ledger.claim(event.instance_id, edit_id, original.remote_jid, original.from_me)
        if claim is Claim.DONE:
            return
        if claim is Claim.BUSY:
            raise IntegrationFailed(f"edit of {wa_id} is being mirrored by another delivery")
        label = text(self.parts.config.language, "edited")
        try:
            created = await self.parts.client(settings).create_message(
                original.conversation_id,
                content=f"\n\n`{label}:`\n\n{chatwoot_text({'conversation': new_text})}",
                message_type="outgoing" if original.from_me else "incoming",
                source_id=f"WAID:{edit_id}",
                in_reply_to=original.chatwoot_message_id,
            )
        except ChatwootError as exc:
            await ledger.release(event.instance_id, edit_id)
            raise failed(exc) from None
        await ledger.sent(
            event.instance_id,
            edit_id,
            message_id=_id(created),
            conversation_id=original.conversation_id,
            source_id=original.source_id,
        )

    async def delete(self, event: Event, settings: ChatwootSettings, key: dict[str, Any]) -> None:
        if not self.parts.config.message_delete:
            return
        wa_id = str(key.get("id") or "")
        original = await self.parts.ledger.by_wa_id(event.instance_id, wa_id)
        if original is None or original.state != "sent" or original.chatwoot_message_id is None:
            return
        assert original.conversation_id is not None
        try:
            await self.parts.client(settings).delete_message(original.conversation_id, original.chatwoot_message_id)
        except ChatwootError as exc:
            if exc.status != 404:  # already gone is what we wanted
                raise failed(exc) from None
        await self.parts.ledger.mark(event.instance_id, wa_id, state="deleted")

    async def read(self, event: Event, settings: ChatwootSettings, update: dict[str, Any]) -> None:
        """We read a contact's message on the phone: Chatwoot shows the conversation as seen."""
        wa_id = update.get("keyId") or (update.get("key") or {}).get("id")
        if not isinstance(wa_id, str):
            return
        original = await self.parts.ledger.by_wa_id(event.instance_id, wa_id)
        if original is None or original.conversation_id is None or not original.source_id or original.read:
            return
        inbox = await self.parts.inbox(event.instance_id, settings)
        identifier = inbox.get("inbox_identifier")
        if not isinstance(identifier, str):
            return
        try:
            await self.parts.client(settings).update_last_seen(identifier, original.source_id, original.conversation_id)
        except ChatwootError as exc:
            raise failed(exc) from None
        await self.parts.ledger.mark(event.instance_id, wa_id, read=True)


def _reaction(message: dict[str, Any]) -> tuple[str | None, str | None] | None:
    """A reaction: its emoji, as a reply to the message reacted to (an empty one removes a reaction)."""
    reaction = message.get("reactionMessage")
    if not isinstance(reaction, dict):
        return None
    target = reaction.get("key") if isinstance(reaction.get("key"), dict) else {}
    assert isinstance(target, dict)
    emoji = reaction.get("text")
    return (str(emoji) if emoji else None), (str(target["id"]) if target.get("id") else None)


def _alt(key: dict[str, Any]) -> dict[str, Any]:
    alt = key.get("participantAlt")
    return {"remoteJidAlt": alt} if isinstance(alt, str) else {}


def _id(created: dict[str, Any]) -> int | None:
    value = created.get("id")
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None
