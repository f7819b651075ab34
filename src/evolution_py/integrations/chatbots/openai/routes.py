"""OpenAI's own routes: credentials and getModels (built with the backend)."""

from __future__ import annotations

from typing import Any

from evolution_py.integrations.chatbots.kind import BotKind


def openai_routes(kind: BotKind) -> list[Any]:
    return []
