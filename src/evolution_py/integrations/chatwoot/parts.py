"""What every part of the Chatwoot integration shares: configuration, the settings rows, the mirror
ledger, the conversation finder, and a Chatwoot client per instance's settings."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field
from typing import Any

from evolution_py.integrations.base import IntegrationContext, IntegrationFailed
from evolution_py.integrations.chatwoot.client import ChatwootClient, ChatwootError
from evolution_py.integrations.chatwoot.config import ChatwootConfig
from evolution_py.integrations.chatwoot.conversations import Conversations
from evolution_py.integrations.chatwoot.ledger import Ledger
from evolution_py.integrations.chatwoot.settings import ChatwootSettings, SettingsStore

# Set while an agent's message is being sent: its own `send.message` is accepted by the bus in the
# same task, and `wants` sees this and does not mirror the echo back into Chatwoot.
FROM_CHATWOOT: contextvars.ContextVar[bool] = contextvars.ContextVar("from_chatwoot", default=False)


@dataclass
class Parts:
    context: IntegrationContext
    config: ChatwootConfig
    settings: SettingsStore
    ledger: Ledger
    conversations: Conversations = field(default_factory=Conversations)

    def client(self, settings: ChatwootSettings) -> ChatwootClient:
        return ChatwootClient(
            self.context.outbound,
            url=settings.url or "",
            account_id=settings.accountId or "",
            token=settings.token or "",
            timeout=self.config.request_timeout,
        )

    async def inbox(self, instance_id: str, settings: ChatwootSettings) -> dict[str, Any]:
        inbox = await self.conversations.inbox(instance_id, self.client(settings), settings.nameInbox or "")
        if inbox is None:
            # Nothing to mirror into until the inbox exists (autoCreate, or an agent creates it):
            # the delivery is dead-lettered, visible and replayable, instead of retried forever.
            raise IntegrationFailed(f"chatwoot inbox {settings.nameInbox!r} not found", retryable=False)
        return inbox


def failed(exc: ChatwootError) -> IntegrationFailed:
    return IntegrationFailed(str(exc), retryable=exc.retryable)
