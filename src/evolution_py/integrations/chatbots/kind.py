"""What a bot kind is to the engine: its tables, its DTO fields, its rules and its backend.

A backend is one class: given a `Turn` (the bot row, the session, the merged settings and the
inbound text), it asks the bot's server and returns a `BotAnswer` (the replies to send and what to
remember in the session). The engine does everything else: triggers, sessions, debounce, sending.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from evolution_py.config import Settings
from evolution_py.outbound import OutboundClient


@dataclass(frozen=True)
class Field:
    """One kind-specific bot field: its name, its JSON type (python type) and whether the schema requires it."""

    name: str
    type: Any
    required: bool = False


@dataclass
class Turn:
    """One exchange with a bot: what the backend needs to ask the bot's server."""

    instance_name: str
    instance_id: str
    instance_token: str  # the instance's own token (never the global key) for bots that call us back
    instance_number: str | None
    server_url: str
    remote_jid: str
    push_name: str
    content: str  # upstream's conversation text (`imageMessage|<id>|caption` for media)
    message: dict[str, Any]  # the inbound messages.upsert data
    bot: dict[str, Any]  # the bot row
    settings: dict[str, Any]  # bot settings merged over the instance's settings row
    session: dict[str, Any]  # the IntegrationSession row (sessionId, context, parameters, ...)
    new_session: bool  # true on the first message of a session
    from_me: bool
    prefilled: dict[str, Any] = field(default_factory=dict)  # variables given to /typebot/start


@dataclass
class BotAnswer:
    """What a bot said, as replies to send, and what the session remembers for the next turn."""

    replies: list[dict[str, Any]] = field(default_factory=list)  # see replies.py for the shapes
    session_id: str | None = None  # the bot server's own conversation id, stored as `sessionId`
    context: Any = None  # stored in the session's `context` when not None
    parameters: Any = None  # stored in the session's `parameters` when not None (Typebot's variables)
    close: bool = False  # the bot ended the conversation
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # emitted on the instance


class BackendError(Exception):
    """The bot's server gave no usable answer; logged per session, the turn is not retried."""


class Backend(Protocol):
    async def answer(self, turn: Turn) -> BotAnswer: ...


@dataclass(frozen=True)
class BackendContext:
    settings: Settings
    outbound: OutboundClient
    db: Any  # the Database (typed loosely: integrations sit above store, but this keeps kind.py small)


DuplicateRule = tuple[str, ...] | Callable[[dict[str, Any]], tuple[str, ...]] | None


@dataclass(frozen=True)
class BotKind:
    name: str  # upstream's integrationName: "Typebot", "EvolutionBot", ... (in messages)
    route: str  # URL prefix: "typebot", "evolutionBot", ...
    session_type: str  # IntegrationSession.type: "typebot", "evolution", ...
    enable_env: str | None  # None: always on (EvolutionBot)
    bot_table: Any
    setting_table: Any
    fallback_column: str  # e.g. "typebotIdFallback"
    fields: tuple[Field, ...]  # kind-specific bot fields
    settings_required: tuple[str, ...]  # the settings schema's required fields
    backend: Callable[[BackendContext], Backend]
    # Bot fields whose equality with another bot of the instance makes a duplicate (or a function of
    # the body giving them); None: no rule.
    duplicate_on_create: DuplicateRule = None
    duplicate_on_update: DuplicateRule = None
    duplicate_message: str = ""
    settings_fields: tuple[Field, ...] = ()  # kind-specific settings fields (OpenAI's creds, speechToText)
    check: Callable[[dict[str, Any]], Awaitable[None] | None] | None = None  # kind-specific create/update rules
    extra_routes: Callable[[BotKind], list[Any]] | None = None

    def enabled(self, settings: Settings) -> bool:
        return self.enable_env is None or settings.env.flag(self.enable_env, False)
