"""The backend of a kind whose bot protocol is not built yet: its routes work, each turn fails with
a clear error logged for the session (listed as missing in docs/compatibility.md)."""

from __future__ import annotations

from evolution_py.integrations.chatbots.kind import BackendContext, BackendError, BotAnswer, Turn


class UnfinishedBackend:
    kind_name = ""

    def __init__(self, context: BackendContext) -> None:
        self.context = context

    async def answer(self, turn: Turn) -> BotAnswer:
        raise BackendError(f"{self.kind_name} bots cannot answer yet in evolution-py (only their routes work)")
