"""Where the instances this server runs are found: by name, by id, or by token.

All per-instance runtime state is reached through `InstanceRegistry`, so a cluster can later swap
the local, in-memory `LocalInstanceRegistry` for one that knows which node owns which instance,
without touching routes, channels or sinks.

Token-only routes (the Evolution Go dialect) must find an instance from the `apikey` alone. A scan
comparing every token costs ~0.1 ms per request at 1000 instances; the index keys instances by the
SHA-256 of their token, so a lookup is O(1) and its timing says nothing about how close a guess was.
"""

from __future__ import annotations

import hashlib
import hmac
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from evolution_py import logsafe
from evolution_py.errors import instance_not_found

if TYPE_CHECKING:
    from evolution_py.core.runtime import InstanceRuntime


# A cluster node answering a database-only read for an instance another node holds (cluster/
# routing.py) sees, for that one request, a read-only runtime built from the stored row: it has the
# instance's id, name, token and store, and no channel. A ContextVar, not a registry entry, so no
# other request, no `all()` and no event path ever sees it.
_visiting: ContextVar[InstanceRuntime | None] = ContextVar("visiting_instance", default=None)


@contextmanager
def visiting(runtime: InstanceRuntime) -> Iterator[None]:
    """Within this block (this request's task), the registry also finds `runtime`."""
    reset = _visiting.set(runtime)
    try:
        yield
    finally:
        _visiting.reset(reset)


def _visitor(name: str, by_id: bool = False) -> InstanceRuntime | None:
    runtime = _visiting.get()
    if runtime is not None and (name == runtime.name or (by_id and name == runtime.id)):
        return runtime
    return None


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class InstanceRegistry(ABC):
    """An abstract class rather than a Protocol: Litestar checks each injected value with isinstance."""

    @abstractmethod
    def get(self, name: str) -> InstanceRuntime | None:
        """The instance with this name, or None."""

    @abstractmethod
    def require(self, name: str) -> InstanceRuntime:
        """The instance with this name; upstream's 404 error otherwise."""

    @abstractmethod
    def resolve(self, name_or_id: str) -> InstanceRuntime | None:
        """The instance with this name, else the one with this id (Go routes take either)."""

    @abstractmethod
    def find_by_token(self, token: str) -> list[InstanceRuntime]:
        """Every instance whose token is exactly `token` (v2 lets two share one)."""

    def with_number(self, number: str) -> list[InstanceRuntime]:
        """Every instance whose `number` is `number`, in the order they were added (the inbound
        webhooks find their instance by it)."""
        return [runtime for runtime in self.all() if number and runtime.number == number]

    @abstractmethod
    def add(self, runtime: InstanceRuntime) -> None:
        """Register a loaded instance (replacing one of the same name)."""

    @abstractmethod
    def remove(self, name: str) -> InstanceRuntime | None:
        """Unregister an instance and stop the tasks it owns; returns it, or None if unknown."""

    @abstractmethod
    def all(self) -> list[InstanceRuntime]:
        """Every instance, in the order they were added."""

    @abstractmethod
    def __contains__(self, name: object) -> bool:
        """Whether an instance of this name is registered."""

    @abstractmethod
    def __len__(self) -> int:
        """How many instances are registered."""


class LocalInstanceRegistry(InstanceRegistry):
    """The instances of this one process, indexed by name, id, token digest and number."""

    def __init__(self) -> None:
        self._by_name: dict[str, InstanceRuntime] = {}
        self._by_id: dict[str, InstanceRuntime] = {}
        self._by_token: dict[bytes, list[InstanceRuntime]] = {}
        # A runtime's number is fixed for its life (a changed row loads a new runtime): indexed, an
        # inbound webhook's lookup no longer reads every loaded instance.
        self._by_number: dict[str, list[InstanceRuntime]] = {}

    def get(self, name: str) -> InstanceRuntime | None:
        return self._by_name.get(name) or _visitor(name)

    def require(self, name: str) -> InstanceRuntime:
        runtime = self._by_name.get(name) or _visitor(name)
        if runtime is None:
            raise instance_not_found(name)
        return runtime

    def resolve(self, name_or_id: str) -> InstanceRuntime | None:
        return self._by_name.get(name_or_id) or self._by_id.get(name_or_id) or _visitor(name_or_id, by_id=True)

    def find_by_token(self, token: str) -> list[InstanceRuntime]:
        candidates = self._by_token.get(token_digest(token), [])
        # Equal digests mean equal tokens; the constant-time compare only guards against surprises.
        return [r for r in candidates if r.token and hmac.compare_digest(r.token.encode(), token.encode())]

    def with_number(self, number: str) -> list[InstanceRuntime]:
        return list(self._by_number.get(number, ())) if number else []

    def add(self, runtime: InstanceRuntime) -> None:
        self._unindex(runtime.name)
        self._by_name[runtime.name] = runtime
        self._by_id[runtime.id] = runtime
        if runtime.number:
            self._by_number.setdefault(runtime.number, []).append(runtime)
        if runtime.token:
            self._by_token.setdefault(token_digest(runtime.token), []).append(runtime)
            logsafe.remember(runtime.token)  # masked in every log line from now on

    def remove(self, name: str) -> InstanceRuntime | None:
        runtime = self._unindex(name)
        if runtime is not None:
            runtime.cancel_tasks()
        return runtime

    def all(self) -> list[InstanceRuntime]:
        return list(self._by_name.values())

    def __contains__(self, name: object) -> bool:
        return name in self._by_name or (isinstance(name, str) and _visitor(name) is not None)

    def __len__(self) -> int:
        return len(self._by_name)

    def _unindex(self, name: str) -> InstanceRuntime | None:
        runtime = self._by_name.pop(name, None)
        if runtime is None:
            return None
        if self._by_id.get(runtime.id) is runtime:
            del self._by_id[runtime.id]
        if runtime.number:
            others = [r for r in self._by_number.get(runtime.number, []) if r is not runtime]
            if others:
                self._by_number[runtime.number] = others
            else:
                self._by_number.pop(runtime.number, None)
        if runtime.token:
            digest = token_digest(runtime.token)
            holders = [r for r in self._by_token.get(digest, []) if r is not runtime]
            if holders:
                self._by_token[digest] = holders
            else:
                self._by_token.pop(digest, None)
        return runtime
