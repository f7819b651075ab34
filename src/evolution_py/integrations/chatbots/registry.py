"""Every bot kind, one line each. In this order the engine offers an inbound message to the kinds
(upstream's order of `chatbotController.emit`)."""

from __future__ import annotations

from typing import Any

from evolution_py.integrations.base import Integration, IntegrationContext
from evolution_py.integrations.chatbots.dify import DIFY
from evolution_py.integrations.chatbots.engine import ChatbotEngine
from evolution_py.integrations.chatbots.evoai import EVOAI
from evolution_py.integrations.chatbots.evolution_bot import EVOLUTION_BOT
from evolution_py.integrations.chatbots.flowise import FLOWISE
from evolution_py.integrations.chatbots.kind import BotKind
from evolution_py.integrations.chatbots.n8n import N8N
from evolution_py.integrations.chatbots.openai import OPENAI
from evolution_py.integrations.chatbots.routes import kind_routes
from evolution_py.integrations.chatbots.typebot import TYPEBOT

CHATBOT_KINDS: tuple[BotKind, ...] = (
    EVOLUTION_BOT,
    TYPEBOT,
    OPENAI,
    DIFY,
    N8N,
    EVOAI,
    FLOWISE,
)


def chatbot_routes() -> list[Any]:
    """Every kind's routes, registered whether or not the kind is switched on (off: 400 "<Kind> is disabled")."""
    return [route for kind in CHATBOT_KINDS for route in kind_routes(kind)]


def chatbot_engine(context: IntegrationContext) -> Integration | None:
    """The engine on the bus (needs the database: None in a context built without one)."""
    if context.db is None:
        return None
    return ChatbotEngine(context, context.db, CHATBOT_KINDS)
