"""Which instances have any bot: the engine's cheap `wants` answer, forgotten when a route changes a bot."""

from __future__ import annotations

import time


class BotPresence:
    TTL_SECONDS = 30.0  # a safety net: every bot change through the routes forgets at once

    def __init__(self) -> None:
        self._known: dict[str, tuple[bool, float]] = {}

    def get(self, instance_id: str) -> bool | None:
        entry = self._known.get(instance_id)
        if entry is None or time.monotonic() - entry[1] > self.TTL_SECONDS:
            return None
        return entry[0]

    def set(self, instance_id: str, present: bool) -> None:
        self._known[instance_id] = (present, time.monotonic())

    def forget(self, instance_id: str) -> None:
        self._known.pop(instance_id, None)


PRESENCE = BotPresence()  # one per process, shared by the routes and the engine
