"""The one outbound path of the Cloud API channel: a `messages` payload POSTed to
`/{phone-number-id}/messages`, answered with the sent-message record (upstream's shape for this
channel; the MessagingService stores it and emits `send.message`). The messages and media features
build Meta's payload and the record's `message` and hand both here."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

from evolution_py.channels.capabilities import ChannelError, Record
from evolution_py.channels.cloud_api.graph import Graph
from evolution_py.channels.jid import create_jid
from evolution_py.dto.message import Quoted

MAX_DELAY_MS = 120_000

# Meta's message `type` → the record's messageType (upstream's renderMessageType, plus the kinds
# it leaves as "conversation" that have a Baileys name of their own).
MESSAGE_TYPES = {
    "text": "conversation",
    "image": "imageMessage",
    "video": "videoMessage",
    "audio": "audioMessage",
    "document": "documentMessage",
    "sticker": "stickerMessage",
    "location": "locationMessage",
    "contacts": "contactMessage",
    "reaction": "reactionMessage",
    "template": "conversation",
    "interactive": "conversation",
}


def digits(number: str) -> str:
    """Meta's `to`: the number's digits (a JID loses its server part)."""
    found = re.sub(r"\D", "", number.split("@", 1)[0])
    if not found:
        raise ChannelError("number must contain digits")
    return found


class Sender:
    def __init__(self, graph: Graph, phone_number_id: str, instance_id: str) -> None:
        self.graph = graph
        self.phone_number_id = phone_number_id
        self.instance_id = instance_id

    async def send(
        self,
        number: str,
        kind: str,
        body: Any,
        message: dict[str, Any],
        *,
        quoted: Quoted | None = None,
        delay: int | None = None,
        webhook_url: str | None = None,
    ) -> Record:
        """POST one message of Meta `kind` (`body` is its type object) and answer its record."""
        payload: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": digits(number),
            "type": kind,
            kind: body,
        }
        if quoted is not None:
            payload["context"] = {"message_id": quoted.key.id}
            message = {**message, "contextInfo": {"stanzaId": quoted.key.id}}
        if delay and delay > 0:
            await asyncio.sleep(min(delay, MAX_DELAY_MS) / 1000)
        answer = await self.graph.call("POST", f"{self.phone_number_id}/messages", json=payload)
        sent = (answer.get("messages") or [{}])[0] if isinstance(answer, dict) else {}
        message_id = sent.get("id") if isinstance(sent, dict) else None
        if not isinstance(message_id, str) or not message_id:
            raise ChannelError("WhatsApp Business API answered without a message id")
        record: Record = {
            "key": {"fromMe": True, "id": message_id, "remoteJid": create_jid(number)},
            "message": message,
            "messageType": MESSAGE_TYPES.get(kind, "conversation"),
            "messageTimestamp": int(time.time()),
            "instanceId": self.instance_id,
            "status": "PENDING",
            "source": "unknown",
        }
        if webhook_url:
            record["webhookUrl"] = webhook_url
        return record

    async def mark_read(self, message_id: str) -> None:
        """A read receipt (blue ticks) for one received message."""
        await self.graph.call(
            "POST",
            f"{self.phone_number_id}/messages",
            json={"messaging_product": "whatsapp", "status": "read", "message_id": message_id},
        )
