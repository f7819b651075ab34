"""The loaded instances by name, plus an index by token that stays right however the dict changes.

Token-only routes (the Evolution Go dialect) must find an instance from the `apikey` alone. A scan
comparing every token costs ~0.1 ms per request at 1000 instances; the index keys instances by the
SHA-256 of their token, so a lookup is O(1) and its timing says nothing about how close a guess was.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evolution_py.instances.runtime import RuntimeInstance


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class InstanceRegistry(dict[str, "RuntimeInstance"]):
    """A dict of name → instance whose every mutation drops the token index (rebuilt on next use)."""

    def __init__(self) -> None:
        super().__init__()
        self._by_token: dict[bytes, list[RuntimeInstance]] | None = None

    def find_by_token(self, token: str) -> list[RuntimeInstance]:
        if self._by_token is None:
            index: dict[bytes, list[RuntimeInstance]] = {}
            for runtime in self.values():
                if runtime.token:
                    index.setdefault(token_digest(runtime.token), []).append(runtime)
            self._by_token = index
        candidates = self._by_token.get(token_digest(token), [])
        # Equal digests mean equal tokens; the constant-time compare only guards against surprises.
        return [r for r in candidates if r.token and hmac.compare_digest(r.token.encode(), token.encode())]

    def _changed(self) -> None:
        self._by_token = None

    def __setitem__(self, key: str, value: RuntimeInstance) -> None:
        super().__setitem__(key, value)
        self._changed()

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self._changed()

    def pop(self, key: str, *default: Any) -> Any:
        self._changed()
        return super().pop(key, *default)

    def popitem(self) -> tuple[str, RuntimeInstance]:
        self._changed()
        return super().popitem()

    def clear(self) -> None:
        super().clear()
        self._changed()

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self._changed()

    def setdefault(self, key: str, default: Any = None) -> Any:
        self._changed()
        return super().setdefault(key, default)
