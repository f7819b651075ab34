"""Chatwoot → WhatsApp: an event Chatwoot posts to `/chatwoot/webhook/{name}`.

Agent messages leave through the MessagingService (stored, `send.message` to every sink), once per
Chatwoot message id (Chatwoot retries its webhooks); private notes never leave; our own mirrored
messages (source_id `WAID:...`) coming back are ignored; deletes are mirrored.
"""

from __future__ import annotations

import logging
from typing import Any

from evolution_py.channels.capabilities import ChannelError
from evolution_py.core.runtime import InstanceRuntime
from evolution_py.dto.chat import DeleteMessage, Key, ReadMessages
from evolution_py.dto.message import MessageKey, Quoted, SendMedia, SendText
from evolution_py.errors import ApiError
from evolution_py.integrations.chatwoot.bot import Bot
from evolution_py.integrations.chatwoot.client import ChatwootError
from evolution_py.integrations.chatwoot.conversations import BOT_IDENTIFIER
from evolution_py.integrations.chatwoot.markdown import to_whatsapp
from evolution_py.integrations.chatwoot.parts import FROM_CHATWOOT, Parts
from evolution_py.integrations.chatwoot.settings import ChatwootSettings
from evolution_py.integrations.chatwoot.texts import text

log = logging.getLogger("evolution_py.chatwoot")

BOT_ANSWER = {"message": "bot"}
_MEDIA_TYPES = {"image": "image", "video": "video", "audio": "audio"}


class Agent:
    def __init__(self, parts: Parts, bot: Bot) -> None:
        self.parts = parts
        self.bot = bot

    async def receive(self, runtime: InstanceRuntime, settings: ChatwootSettings, body: dict[str, Any]) -> None:
        event = body.get("event")
        conversation = body.get("conversation") if isinstance(body.get("conversation"), dict) else None
        if (
            event == "conversation_status_changed"
            and body.get("status") == "resolved"
            and not settings.reopenConversation
        ):
            sender = (body.get("meta") or {}).get("sender") or {}
            if isinstance(sender, dict) and sender.get("identifier"):
                self.parts.conversations.forget_contact(runtime.id, str(sender["identifier"]))
        attributes = body.get("content_attributes") if isinstance(body.get("content_attributes"), dict) else {}
        deleted = bool(attributes and attributes.get("deleted"))
        if conversation is None or body.get("private") or (event == "message_updated" and not deleted):
            return
        if event == "message_updated" and deleted:
            await self._delete(runtime, body)
            return
        sender = (conversation.get("meta") or {}).get("sender") or {}
        chat_id = str(sender.get("identifier") or str(sender.get("phone_number") or "").replace("+", ""))
        content = body.get("content") if isinstance(body.get("content"), str) else None
        if chat_id == BOT_IDENTIFIER and body.get("message_type") == "outgoing":
            command = (content or "").replace("/", "").strip()
            inbox_name = str((body.get("inbox") or {}).get("name") or settings.nameInbox or runtime.name)
            try:
                await self.bot.command(runtime, settings, command, inbox_name)
            except (ChatwootError, ChannelError, ApiError) as exc:
                log.warning("chatwoot: bot command %r failed: %s", command[:40], exc)
            return
        if body.get("message_type") == "template" and event == "message_created" and content and chat_id:
            await self._send_once(runtime, body, chat_id, content.replace("\\\r\n", "\n").replace("\\\n", "\n"), None)
            return
        if body.get("message_type") != "outgoing" or event != "message_created" or not chat_id:
            return
        if _source_id(body, conversation).startswith("WAID:"):
            return  # one of ours, mirrored from WhatsApp: Chatwoot tells us about it too
        if isinstance(body.get("id"), int) and await self.parts.ledger.by_chatwoot_id(runtime.id, body["id"]):
            return
        formatted = to_whatsapp(content) if content else None
        sender_name = (body.get("sender") or {}).get("available_name") or (body.get("sender") or {}).get("name")
        if formatted is not None and settings.signMsg and sender_name:
            delimiter = (settings.signDelimiter or "\n").replace("\\n", "\n")
            formatted = delimiter.join([f"*{sender_name}:*", formatted])
        attachments = [a for a in _attachments(body, conversation) if isinstance(a, dict) and a.get("data_url")]
        await self._send_once(runtime, body, chat_id, formatted, attachments)
        if self.parts.config.message_read and isinstance(conversation.get("id"), int):
            await self._mark_read(runtime, conversation["id"])

    async def _send_once(
        self,
        runtime: InstanceRuntime,
        body: dict[str, Any],
        chat_id: str,
        formatted: str | None,
        attachments: list[dict[str, Any]] | None,
    ) -> None:
        message_id = body.get("id")
        conversation_id = (body.get("conversation") or {}).get("id")
        if not isinstance(message_id, int):
            return
        # Chatwoot retries a webhook it thinks failed: the Chatwoot message id is claimed once.
        if not await self.parts.ledger.agent(
            runtime.id, f"cw:{message_id}", chat_id, message_id=None, conversation_id=conversation_id, state="cw"
        ):
            return
        quoted = await self._quoted(runtime, body)
        try:
            records = []
            token = FROM_CHATWOOT.set(True)
            try:
                for attachment in attachments or []:
                    records.append(await self._send_attachment(runtime, chat_id, attachment, formatted, quoted))
                if not attachments and formatted:
                    records.append(
                        await self.parts.context.messaging.send_text(
                            runtime.name, SendText(number=chat_id, text=formatted, quoted=quoted)
                        )
                    )
            finally:
                FROM_CHATWOOT.reset(token)
        except (ChannelError, ApiError) as exc:
            await self._not_sent(runtime, conversation_id, str(exc))
            return
        for record in records:
            key = record.get("key") or {}
            if isinstance(key.get("id"), str):
                await self.parts.ledger.agent(
                    runtime.id,
                    key["id"],
                    str(key.get("remoteJid") or chat_id),
                    message_id=message_id,
                    conversation_id=conversation_id,
                )

    async def _send_attachment(
        self,
        runtime: InstanceRuntime,
        chat_id: str,
        attachment: dict[str, Any],
        caption: str | None,
        quoted: Quoted | None,
    ) -> dict[str, Any]:
        url = str(attachment["data_url"])
        file_type = str(attachment.get("file_type") or "file")
        name = url.rsplit("/", 1)[-1].split("?")[0] or "file"
        mediatype = _MEDIA_TYPES.get(file_type, "document")
        request = SendMedia(
            number=chat_id,
            mediatype=mediatype,  # type: ignore[arg-type]
            media=url,
            caption=caption,
            fileName=name if mediatype == "document" else None,
            quoted=quoted,
        )
        return await self.parts.context.messaging.send_media(runtime.name, request)

    async def _quoted(self, runtime: InstanceRuntime, body: dict[str, Any]) -> Quoted | None:
        attributes = body.get("content_attributes") or {}
        reply_to = attributes.get("in_reply_to") if isinstance(attributes, dict) else None
        if not isinstance(reply_to, int):
            return None
        original = await self.parts.ledger.by_chatwoot_id(runtime.id, reply_to)
        if original is None or original.wa_id.startswith(("cw:", "bot:")):
            return None
        return Quoted(key=MessageKey(id=original.wa_id, remoteJid=original.remote_jid, fromMe=original.from_me))

    async def _delete(self, runtime: InstanceRuntime, body: dict[str, Any]) -> None:
        message_id = body.get("id")
        if not isinstance(message_id, int):
            return
        original = await self.parts.ledger.by_chatwoot_id(runtime.id, message_id)
        if original is None or original.wa_id.startswith(("cw:", "bot:")):
            return
        request = DeleteMessage(id=original.wa_id, remoteJid=original.remote_jid, fromMe=original.from_me)
        try:
            await runtime.channel.chats.delete_message_for_everyone(request)
        except (ChannelError, ApiError) as exc:
            log.warning("chatwoot: deleting %s on WhatsApp failed: %s", original.wa_id, exc)
            return
        await self.parts.ledger.mark(runtime.id, original.wa_id, state="deleted")

    async def _mark_read(self, runtime: InstanceRuntime, conversation_id: int) -> None:
        last = await self.parts.ledger.last_unread_inbound(runtime.id, conversation_id)
        if last is None:
            return
        try:
            await runtime.channel.chats.mark_message_as_read(
                ReadMessages(readMessages=[Key(id=last.wa_id, remoteJid=last.remote_jid, fromMe=False)])
            )
        except (ChannelError, ApiError) as exc:
            log.warning("chatwoot: marking %s read failed: %s", last.wa_id, exc)
            return
        await self.parts.ledger.mark(runtime.id, last.wa_id, read=True)

    async def _not_sent(self, runtime: InstanceRuntime, conversation_id: Any, error: str) -> None:
        if not isinstance(conversation_id, int):
            return
        settings = await self.parts.settings.get(runtime.id)
        if settings is None:
            return
        try:
            await self.parts.client(settings).create_message(
                conversation_id,
                content=text(self.parts.config.language, "not_sent", error=error),
                message_type="outgoing",
                private=True,
            )
        except ChatwootError as exc:
            log.warning("chatwoot: the not-sent note failed too: %s", exc)


def _attachments(body: dict[str, Any], conversation: dict[str, Any]) -> list[Any]:
    """The message's attachments: on the event itself, or on its copy in `conversation.messages`."""
    if isinstance(body.get("attachments"), list):
        return list(body["attachments"])
    for message in conversation.get("messages") or []:
        if isinstance(message, dict) and message.get("id") == body.get("id"):
            return list(message.get("attachments") or [])
    return []


def _source_id(body: dict[str, Any], conversation: dict[str, Any]) -> str:
    """The message's source id: on the event, or on its copy in `conversation.messages` (upstream's place)."""
    if body.get("source_id"):
        return str(body["source_id"])
    for message in conversation.get("messages") or []:
        if isinstance(message, dict) and message.get("id") == body.get("id") and message.get("source_id"):
            return str(message["source_id"])
    return ""
