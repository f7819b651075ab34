"""The Chatwoot integration on the durable bus: `wants` is a cached settings lookup, `handle` mirrors
from the outbox, one chat's events in order, retried while Chatwoot is away."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from evolution_py.errors import BadRequest
from evolution_py.events import names
from evolution_py.events.event import Event
from evolution_py.events.retry import RetryPolicy
from evolution_py.integrations.base import BaseIntegration, IntegrationContext, IntegrationFailed
from evolution_py.integrations.chatwoot.agent import Agent
from evolution_py.integrations.chatwoot.bot import Bot
from evolution_py.integrations.chatwoot.client import ChatwootError
from evolution_py.integrations.chatwoot.config import ChatwootConfig
from evolution_py.integrations.chatwoot.history import HistoryImport
from evolution_py.integrations.chatwoot.ledger import Ledger
from evolution_py.integrations.chatwoot.mirror import Mirror, phone_jid
from evolution_py.integrations.chatwoot.parts import FROM_CHATWOOT, Parts, failed
from evolution_py.integrations.chatwoot.settings import ChatwootSettings, SettingsStore
from evolution_py.integrations.chatwoot.texts import text

log = logging.getLogger("evolution_py.chatwoot")

_MESSAGES = {names.MESSAGES_UPSERT, names.SEND_MESSAGE}
_NOTICES = {names.CONNECTION_UPDATE, names.QRCODE_UPDATED, names.STATUS_INSTANCE}
_HISTORY = {names.MESSAGES_SET, names.CONTACTS_SET, names.CONTACTS_UPSERT}
_HANDLED = _MESSAGES | _NOTICES | _HISTORY | {names.MESSAGES_EDITED, names.MESSAGES_DELETE, names.MESSAGES_UPDATE}


class ChatwootIntegration(BaseIntegration):
    name = "chatwoot"

    def __init__(self, context: IntegrationContext, config: ChatwootConfig) -> None:
        if context.db is None:
            raise ValueError("the Chatwoot integration needs the database")
        self.config = config
        # Chatwoot away for hours: keep trying (in order, durably) with capped backoff.
        self.retry_policy = RetryPolicy(
            max_attempts=config.retry_attempts,
            initial_delay=config.retry_initial_delay,
            max_delay=config.retry_max_delay,
        )
        self.parts = Parts(
            context=context, config=config, settings=SettingsStore(context.db), ledger=Ledger(context.db)
        )
        self.mirror = Mirror(self.parts)
        self.bot = Bot(self.parts)
        self.agent = Agent(self.parts, self.bot)
        self.history = HistoryImport(self.parts, config.import_uri) if config.import_uri else None

    async def stop(self) -> None:
        if self.history is not None:
            await self.history.close()

    async def configure(self, instance_id: str, data: ChatwootSettings, webhook_url: str) -> None:
        """`/chatwoot/set`: with `autoCreate`, the inbox is made first, so a Chatwoot that refuses leaves
        the stored settings as they were."""
        if data.enabled and data.autoCreate:
            try:
                await self.bot.create_inbox(instance_id, data, webhook_url)
            except ChatwootError as exc:
                raise BadRequest(f"Chatwoot could not create the inbox: {exc}") from None
        await self.parts.settings.save(instance_id, data)
        self.parts.conversations.clear(instance_id)
        if data.enabled and data.autoCreate:
            try:
                await self.bot.greet(instance_id, data)
            except (ChatwootError, IntegrationFailed) as exc:
                log.warning("chatwoot: the bot conversation of %s could not be started: %s", instance_id, exc)

    async def wants(self, event: Event) -> bool:
        if event.event not in _HANDLED:
            return False
        settings = await self.parts.settings.get(event.instance_id)
        if settings is None or not settings.active:
            return False
        if event.event in _NOTICES:
            return self.config.bot_contact
        if event.event in _HISTORY:
            wanted = settings.importMessages if event.event == names.MESSAGES_SET else settings.importContacts
            return self.history is not None and bool(wanted)
        if event.event in _MESSAGES:
            if FROM_CHATWOOT.get():
                return False  # an agent's message going out: Chatwoot has it already
            key = event.data.get("key") if isinstance(event.data, dict) else None
            if not isinstance(key, dict) or not isinstance(key.get("id"), str):
                return False
            return not ignored(phone_jid(key), settings)
        if event.event == names.MESSAGES_DELETE:
            return self.config.message_delete
        if event.event == names.MESSAGES_UPDATE:
            # only "we read it on the phone" matters: delivery acks and the like never reach the outbox
            updates = event.data if isinstance(event.data, list) else [event.data]
            return any(isinstance(u, dict) and u.get("status") == "READ" and u.get("fromMe") is False for u in updates)
        return True

    async def handle(self, event: Event) -> None:
        settings = await self.parts.settings.get(event.instance_id)
        if settings is None or not settings.active:
            return  # switched off since: nothing to mirror into
        try:
            await self._dispatch(event, settings)
        except ChatwootError as exc:
            raise failed(exc) from None

    async def _dispatch(self, event: Event, settings: ChatwootSettings) -> None:
        data: Any = event.data
        if event.event in _MESSAGES:
            await self.mirror.message(event, settings)
        elif event.event in _HISTORY and self.history is not None:
            items = data if isinstance(data, list) else [data]
            try:
                if event.event == names.MESSAGES_SET:
                    await self.history.messages(event.instance_id, settings, items)
                else:
                    await self.history.contacts(event.instance_id, settings, items)
            except (SQLAlchemyError, OSError) as exc:  # Chatwoot's database away: the import waits and retries
                raise IntegrationFailed(f"chatwoot import database: {type(exc).__name__}") from None
        elif event.event == names.MESSAGES_EDITED and isinstance(data, dict):
            await self.mirror.protocol(event, settings, {"type": "MESSAGE_EDIT", **data})
        elif event.event == names.MESSAGES_DELETE and isinstance(data, dict):
            key = data.get("key")
            await self.mirror.delete(event, settings, key if isinstance(key, dict) else data)
        elif event.event == names.MESSAGES_UPDATE:
            for update in data if isinstance(data, list) else [data]:
                if isinstance(update, dict) and update.get("status") == "READ" and update.get("fromMe") is False:
                    await self.mirror.read(event, settings, update)
        elif event.event == names.CONNECTION_UPDATE and isinstance(data, dict) and data.get("state") == "open":
            await self.bot.notice(event.instance_id, settings, event.id, text(self.config.language, "connected"))
        elif event.event == names.QRCODE_UPDATED:
            await self.bot.qr_notice(event.instance_id, settings, event.id, data)
        elif event.event == names.STATUS_INSTANCE and isinstance(data, dict):
            content = text(
                self.config.language,
                "status",
                inboxName=settings.nameInbox or event.instance,
                state=str(data.get("status")),
            )
            await self.bot.notice(event.instance_id, settings, event.id, content)


def ignored(jid: str, settings: ChatwootSettings) -> bool:
    """`ignoreJids`: exact JIDs, or `@g.us` / `@s.whatsapp.net` for every group / every person."""
    if jid == "status@broadcast":
        return True
    for item in settings.ignoreJids or []:
        if item == jid or (item.startswith("@") and jid.endswith(item)):
            return True
    return False


def build(context: IntegrationContext) -> ChatwootIntegration | None:
    config = ChatwootConfig.from_env(context.settings.env)
    return ChatwootIntegration(context, config) if config.enabled else None


__all__ = ["ChatwootIntegration", "IntegrationFailed", "build"]
