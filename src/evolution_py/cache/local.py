"""The in-process cache: values with a deadline, bounded (oldest dropped first)."""

from __future__ import annotations

import time
from collections import OrderedDict


class LocalCache:
    def __init__(self, ttl: float, max_entries: int = 20000) -> None:
        self.ttl = ttl
        self._max = max_entries
        self._values: OrderedDict[str, tuple[float, bytes]] = OrderedDict()

    def get(self, key: str) -> bytes | None:
        held = self._values.get(key)
        if held is None:
            return None
        if held[0] <= time.monotonic():
            del self._values[key]
            return None
        return held[1]

    def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        self._values[key] = (time.monotonic() + (self.ttl if ttl is None else ttl), value)
        self._values.move_to_end(key)
        while len(self._values) > self._max:
            self._values.popitem(last=False)

    def delete(self, key: str) -> None:
        self._values.pop(key, None)

    def delete_prefix(self, prefix: str) -> None:
        for key in [k for k in self._values if k.startswith(prefix)]:
            del self._values[key]

    def __len__(self) -> int:
        return len(self._values)
