"""Typebot's own route: `/typebot/start/{instanceName}` (built with the backend)."""

from __future__ import annotations

from typing import Any

from evolution_py.integrations.chatbots.kind import BotKind


def typebot_routes(kind: BotKind) -> list[Any]:
    return []
