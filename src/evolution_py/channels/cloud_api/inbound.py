"""`InboundWebhook` on the Cloud API: one `value` of a `POST /webhook/meta` change for this phone
number. Messages of every type become `messages.upsert` records in upstream's shape (media fetched
by id and kept as base64); statuses (sent, delivered, read, failed) become `messages.update` with
Meta's errors kept. Meta delivers at least once: a message id (or a status of it) seen before is
dropped, so a redelivery produces no second event."""

from __future__ import annotations

import base64
import logging
import time
from collections import OrderedDict
from typing import Any

from evolution_py.channels.base import InstanceContext
from evolution_py.channels.capabilities import ChannelError, InboundWebhook
from evolution_py.channels.cloud_api.media import MediaFeature
from evolution_py.channels.cloud_api.sender import Sender
from evolution_py.channels.jid import create_jid
from evolution_py.events import names
from evolution_py.outbound import OutboundClient, OutboundError
from evolution_py.store.safe_text import safe_json

log = logging.getLogger(__name__)

_SEEN_MAX = 10_000
_SEEN_SECONDS = 24 * 3600.0  # Meta redelivers for up to a day (then: the store still knows the id)
_MEDIA = ("image", "video", "audio", "document", "sticker")
_IGNORED = ("unsupported", "unknown")
_MESSAGE_TYPES = {
    "text": "conversation",
    "image": "imageMessage",
    "video": "videoMessage",
    "audio": "audioMessage",
    "document": "documentMessage",
    "sticker": "stickerMessage",
    "location": "locationMessage",
    "contacts": "contactMessage",
    "interactive": "interactiveMessage",
    "button": "buttonMessage",
    "reaction": "reactionMessage",
}


class Seen:
    """Ids seen lately (bounded by count and age); checked and marked in one step, no await between."""

    def __init__(self) -> None:
        self._ids: OrderedDict[str, float] = OrderedDict()

    def first_time(self, key: str) -> bool:
        now = time.monotonic()
        ids = self._ids
        while ids and (len(ids) >= _SEEN_MAX or next(iter(ids.values())) < now - _SEEN_SECONDS):
            ids.popitem(last=False)
        if key in ids:
            return False
        ids[key] = now
        return True

    def forget(self, key: str) -> None:
        self._ids.pop(key, None)


def _vcard(contact: dict[str, Any]) -> str:
    name = (contact.get("name") or {}).get("formatted_name") or ""
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"N:{name}", f"FN:{name}"]
    if (contact.get("org") or {}).get("company"):
        lines.append(f"ORG:{contact['org']['company']};")
    if contact.get("emails"):
        lines.append(f"EMAIL:{contact['emails'][0].get('email', '')}")
    if contact.get("urls"):
        lines.append(f"URL:{contact['urls'][0].get('url', '')}")
    phones = contact.get("phones") or [{}]
    phone = phones[0].get("phone") or ""
    wa_id = phones[0].get("wa_id") or create_jid(phone) if phone else ""
    lines += [f"item1.TEL;waid={wa_id}:{phone}", "item1.X-ABLabel:Celular", "END:VCARD"]
    return "\n".join(lines)


def message_content(message: dict[str, Any], phone_number_id: str) -> dict[str, Any]:
    """The record's `message` for one Meta message (upstream's per-type conversion)."""
    kind = message.get("type") or ""
    body: Any = message.get(kind)
    content: dict[str, Any]
    if kind == "text":
        text = (body or {}).get("body", "")
        from_me = message.get("from") == phone_number_id
        content = {"extendedTextMessage": {"text": text}} if from_me else {"conversation": text}
    elif kind == "audio":
        content = {"audioMessage": {**(body or {}), "ptt": bool((body or {}).get("voice"))}}
    elif kind in _MEDIA:
        content = {f"{kind}Message": body or {}}
    elif kind == "location":
        where = body or {}
        content = {
            "locationMessage": {
                "degreesLatitude": where.get("latitude"),
                "degreesLongitude": where.get("longitude"),
                "name": where.get("name"),
                "address": where.get("address"),
            }
        }
    elif kind == "contacts":
        cards = body if isinstance(body, list) else []
        if len(cards) == 1:
            name = (cards[0].get("name") or {}).get("formatted_name")
            content = {"contactMessage": {"displayName": name, "vcard": _vcard(cards[0])}}
        else:
            content = {
                "contactsArrayMessage": {
                    "displayName": f"{len(cards)} contacts",
                    "contacts": [
                        {"displayName": (c.get("name") or {}).get("formatted_name"), "vcard": _vcard(c)} for c in cards
                    ],
                }
            }
    elif kind == "interactive":
        reply = (body or {}).get((body or {}).get("type") or "") or {}
        content = {"conversation": reply.get("title")}
    elif kind == "button":
        content = {"conversation": (body or {}).get("text")}
    elif kind == "reaction":
        content = {
            "reactionMessage": {"key": {"id": (body or {}).get("message_id")}, "text": (body or {}).get("emoji")}
        }
    else:
        content = {f"{kind}Message": body if isinstance(body, dict) else {}}
    context = message.get("context")
    if isinstance(context, dict) and context.get("id"):
        content["contextInfo"] = {"stanzaId": context["id"]}
    return content


class InboundFeature(InboundWebhook):
    def __init__(
        self, ctx: InstanceContext, sender: Sender, media: MediaFeature, tenant_http: OutboundClient, label: str
    ) -> None:
        self.ctx = ctx
        self.tenant_http = tenant_http
        self.sender = sender
        self.media = media
        self.label = label
        self.seen = Seen()

    async def receive(self, payload: dict[str, Any]) -> None:
        """One change `value` (`messaging_product`, `metadata`, `contacts`, `messages`, `statuses`)."""
        names_by_wa_id = {
            c.get("wa_id"): (c.get("profile") or {}).get("name")
            for c in payload.get("contacts") or []
            if isinstance(c, dict)
        }
        for message in payload.get("messages") or []:
            if isinstance(message, dict):
                await self._message(message, payload, names_by_wa_id)
        for status in payload.get("statuses") or []:
            if isinstance(status, dict):
                await self._status(status)

    # --- messages -----------------------------------------------------------------------------

    async def _message(self, message: dict[str, Any], value: dict[str, Any], push_names: dict[Any, Any]) -> None:
        message_id = message.get("id")
        kind = message.get("type")
        sender = message.get("from")
        if not isinstance(message_id, str) or not isinstance(sender, str) or not isinstance(kind, str):
            return
        if kind in _IGNORED:
            await self.ctx.log("WARN", "Unsupported message from Meta", id=message_id, errors=message.get("errors"))
            return
        if not self.seen.first_time(message_id):
            return
        try:
            if await self.ctx.store.find_message_by_key_id(message_id) is not None:
                return  # delivered again after a restart
            await self._deliver(message_id, kind, message, value, push_names.get(sender))
        except BaseException:
            self.seen.forget(message_id)  # not handled: Meta's redelivery must get through
            raise

    async def _deliver(
        self, message_id: str, kind: str, message: dict[str, Any], value: dict[str, Any], push_name: Any
    ) -> None:
        phone_number_id = str((value.get("metadata") or {}).get("phone_number_id") or "")
        remote_jid = create_jid(str(message["from"]))
        from_me = message.get("from") == phone_number_id
        content = message_content(message, phone_number_id)
        record: dict[str, Any] = {
            "key": {"id": message_id, "remoteJid": remote_jid, "fromMe": from_me},
            "pushName": push_name,
            "message": content,
            "messageType": _MESSAGE_TYPES.get(kind, f"{kind}Message"),
            "messageTimestamp": _timestamp(message.get("timestamp")),
            "source": "unknown",
            "instanceId": self.ctx.instance_id,
        }
        if "contextInfo" in content:
            record["contextInfo"] = content["contextInfo"]
        if kind in _MEDIA:
            await self._attach_media(content, message.get(kind))
        await self.ctx.emit(names.MESSAGES_UPSERT, record)
        await self.ctx.store.save_message(record)
        await self._touch_contact_and_chat(remote_jid, push_name, from_me)
        if self.ctx.settings.readMessages and not from_me:
            try:
                await self.sender.mark_read(message_id)
            except ChannelError as exc:
                log.warning("instance %s: read receipt not sent: %s", self.ctx.name, exc.messages)

    async def _attach_media(self, content: dict[str, Any], media: Any) -> None:
        media_id = media.get("id") if isinstance(media, dict) else None
        if not isinstance(media_id, str) or not media_id:
            return
        try:
            data, _mime = await self.media.download(media_id)
        except ChannelError as exc:
            # The message still arrives; getBase64FromMediaMessage can fetch the media later.
            await self.ctx.log("WARN", "Media download failed", mediaId=media_id, error=str(exc.messages[:1]))
            return
        content["base64"] = base64.b64encode(data).decode()

    async def _touch_contact_and_chat(self, remote_jid: str, push_name: Any, from_me: bool) -> None:
        name = push_name if isinstance(push_name, str) else None
        _fields, created = await self.ctx.store.upsert_contact(remote_jid, push_name=name)
        contact = {"remoteJid": remote_jid, "pushName": name, "instanceId": self.ctx.instance_id}
        await self.ctx.emit(names.CONTACTS_UPSERT if created else names.CONTACTS_UPDATE, contact)
        chat, created = await self.ctx.store.upsert_chat(remote_jid, unread_delta=0 if from_me else 1)
        if created:
            await self.ctx.emit(names.CHATS_UPSERT, [chat])

    # --- statuses -----------------------------------------------------------------------------

    async def _status(self, item: dict[str, Any]) -> None:
        message_id, status = item.get("id"), item.get("status")
        if not isinstance(message_id, str) or not isinstance(status, str):
            return
        seen_key = f"{message_id}:{status}"
        if not self.seen.first_time(seen_key):
            return
        try:
            await self._deliver_status(message_id, status.upper(), item)
        except BaseException:
            self.seen.forget(seen_key)
            raise

    async def _deliver_status(self, message_id: str, status: str, item: dict[str, Any]) -> None:
        remote_jid = create_jid(str(item.get("recipient_id") or ""))
        stored = await self.ctx.store.save_status(key_id=message_id, remote_jid=remote_jid, from_me=True, status=status)
        if stored is None and self.ctx.store.save_messages:
            return  # upstream skips updates of messages it never stored
        update: dict[str, Any] = {
            "keyId": message_id,
            "remoteJid": remote_jid,
            "fromMe": True,
            "participant": remote_jid,
            "status": status,
            "instanceId": self.ctx.instance_id,
        }
        if stored is not None:
            update = {"messageId": stored, **update}
        errors = item.get("errors")
        if isinstance(errors, list) and errors:
            update["errors"] = errors
            await self.ctx.log(
                "WARN", "Message not delivered", keyId=message_id, status=status, errors=safe_json(errors)
            )
        await self.ctx.emit(names.MESSAGES_UPDATE, update)
        if stored is not None:
            await self._tell_send_webhook(message_id, update)

    async def _tell_send_webhook(self, message_id: str, update: dict[str, Any]) -> None:
        """upstream POSTs each status of a send made with a `webhookUrl` (sendTemplate) to that URL."""
        sent = await self.ctx.store.find_message_by_key_id(message_id)
        url = sent.get("webhookUrl") if sent else None
        if not isinstance(url, str) or not url:
            return
        try:
            answer = await self.tenant_http.request("POST", url, json=update, time_limit=10.0, max_bytes=4096)
        except OutboundError as exc:
            log.warning("instance %s: status not sent to the send's webhookUrl: %s", self.ctx.name, exc.reason)
            return
        if not answer.ok:
            log.warning("instance %s: the send's webhookUrl answered %s", self.ctx.name, answer.failure())


def _timestamp(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return int(time.time())
