"""Every instance of the cluster by name, for the socket.io namespace check: a client may connect
to `/<instance>` on any node, so a node must know the instances it does not own, and their tokens.
The node's tick refreshes `known` from PostgreSQL; this node's own instances come from its registry."""

from __future__ import annotations

import msgspec

from evolution_py.core.registry import InstanceRegistry
from evolution_py.core.runtime import InstanceRuntime


class KnownInstance(msgspec.Struct, frozen=True):
    name: str
    token: str | None


class ClusterDirectory:
    def __init__(self, registry: InstanceRegistry) -> None:
        self.registry = registry
        self.known: dict[str, KnownInstance] = {}

    def get(self, name: str) -> InstanceRuntime | KnownInstance | None:
        return self.registry.get(name) or self.known.get(name)
