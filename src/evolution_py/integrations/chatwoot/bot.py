"""The bot contact ("123456"): the inbox set-up, connection and QR notices, and the agent's commands
(init, status, disconnect, clearcache) typed in its conversation."""

from __future__ import annotations

import logging
from typing import Any

from evolution_py.integrations.chatwoot.client import Attachment, ChatwootClient, ChatwootError
from evolution_py.integrations.chatwoot.content import decode_base64
from evolution_py.integrations.chatwoot.conversations import BOT_IDENTIFIER, Who
from evolution_py.integrations.chatwoot.ledger import Claim
from evolution_py.integrations.chatwoot.parts import Parts, failed
from evolution_py.integrations.chatwoot.settings import ChatwootSettings
from evolution_py.integrations.chatwoot.texts import text

log = logging.getLogger("evolution_py.chatwoot")

DEFAULT_ORGANIZATION = "EvolutionAPI"
DEFAULT_LOGO = "https://evolution-api.com/files/evolution-api-favicon.png"


def bot_who(settings: ChatwootSettings) -> Who:
    return Who(
        identifier=BOT_IDENTIFIER,
        phone=BOT_IDENTIFIER,
        name=settings.organization or DEFAULT_ORGANIZATION,
        avatar_url=settings.logo or DEFAULT_LOGO,
    )


class Bot:
    def __init__(self, parts: Parts) -> None:
        self.parts = parts

    async def create_inbox(self, instance_id: str, settings: ChatwootSettings, webhook_url: str) -> None:
        """`autoCreate`: the API inbox named `nameInbox` with its webhook pointed back at us (an existing
        inbox of that name gets our webhook URL, secret included)."""
        client = self.parts.client(settings)
        name = settings.nameInbox or ""
        inbox = next((i for i in await client.list_inboxes() if i.get("name") == name), None)
        if inbox is None:
            inbox = await client.create_inbox(name, webhook_url)
        elif inbox.get("webhook_url") != webhook_url:
            await client.update_inbox_webhook(int(inbox["id"]), webhook_url)
        self.parts.conversations.clear(instance_id)

    async def greet(self, instance_id: str, settings: ChatwootSettings) -> None:
        """The bot contact's conversation with `init` in it (Chatwoot posts it back to us as a command)."""
        if not self.parts.config.bot_contact:
            return
        client = self.parts.client(settings)
        inbox = await self.parts.inbox(instance_id, settings)
        place = await self.parts.conversations.place(instance_id, client, settings, int(inbox["id"]), bot_who(settings))
        await client.create_message(
            place.conversation_id,
            content=f"init:{settings.number}" if settings.number else "init",
            message_type="outgoing",
        )

    async def notice(
        self, instance_id: str, settings: ChatwootSettings, notice_id: str, content: str, image: bytes | None = None
    ) -> None:
        """One message from the bot contact, at most once per `notice_id` (the event's id)."""
        if not self.parts.config.bot_contact:
            return
        ledger = self.parts.ledger
        claim = await ledger.claim(instance_id, f"bot:{notice_id}", BOT_IDENTIFIER, False)
        if claim in (Claim.DONE, Claim.BUSY):
            return
        client = self.parts.client(settings)
        try:
            inbox = await self.parts.inbox(instance_id, settings)
            place = await self.parts.conversations.place(
                instance_id, client, settings, int(inbox["id"]), bot_who(settings)
            )
            attachment = Attachment("qrcode.png", "image/png", image) if image else None
            created = await client.create_message(
                place.conversation_id, content=content, message_type="incoming", attachment=attachment
            )
        except ChatwootError as exc:
            await ledger.release(instance_id, f"bot:{notice_id}")
            raise failed(exc) from None
        await ledger.sent(
            instance_id,
            f"bot:{notice_id}",
            message_id=created.get("id") if isinstance(created.get("id"), int) else None,
            conversation_id=place.conversation_id,
            source_id=None,
        )

    async def say(self, instance_id: str, settings: ChatwootSettings, client: ChatwootClient, content: str) -> None:
        """An answer to a command, right away (the agent is looking at the bot conversation)."""
        inbox = await self.parts.inbox(instance_id, settings)
        place = await self.parts.conversations.place(instance_id, client, settings, int(inbox["id"]), bot_who(settings))
        await client.create_message(place.conversation_id, content=content, message_type="incoming")

    async def qr_notice(self, instance_id: str, settings: ChatwootSettings, event_id: str, data: Any) -> None:
        language = self.parts.config.language
        qrcode = data.get("qrcode") if isinstance(data, dict) else None
        if isinstance(data, dict) and data.get("statusCode") == 500:
            await self.notice(instance_id, settings, event_id, f"🚨 {text(language, 'qr_limit')}")
            return
        if not isinstance(qrcode, dict):
            return
        image = decode_base64(str(qrcode.get("base64") or "")) if qrcode.get("base64") else None
        content = f"⚡️{text(language, 'qr_generated')}\n\n{text(language, 'scan_qr')}"
        if qrcode.get("pairingCode"):
            content += f"\n\n*Pairingcode:* {qrcode['pairingCode']}"
        await self.notice(instance_id, settings, event_id, content, image)

    async def command(self, runtime: Any, settings: ChatwootSettings, command: str, inbox_name: str) -> None:
        parts = self.parts
        language = parts.config.language
        client = parts.client(settings)
        state = runtime.channel.state
        if parts.config.bot_contact and ("init" in command or "iniciar" in command):
            if state != "open":
                number = command.split(":", 1)[1] if ":" in command else None
                await runtime.channel.connect(number or None)
            else:
                await self.say(runtime.id, settings, client, text(language, "already_connected", inboxName=inbox_name))
        if command == "clearcache":
            parts.conversations.clear(runtime.id)
            parts.settings.forget(runtime.id)
            await self.say(runtime.id, settings, client, text(language, "clear_cache", inboxName=inbox_name))
        if command == "status":
            await self.say(runtime.id, settings, client, text(language, "status", inboxName=inbox_name, state=state))
        if parts.config.bot_contact and command in ("disconnect", "desconectar"):
            await self.say(runtime.id, settings, client, text(language, "disconnect", inboxName=inbox_name))
            await runtime.channel.logout()
