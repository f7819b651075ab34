"""Which live node should own an instance: rendezvous (highest random weight) hashing.

Every node computes the same answer from the same list of live nodes, with no coordination; when a
node joins it wins ~1/N of the instances (taken from every other node), and when one leaves only
its own instances move. The hash is BLAKE2b (stable across processes, unlike `hash()`).

The key hashed is the instance's *name*, not its id: `POST /instance/create` is routed to its owner
before any id exists (cluster/routing.py), and a load balancer can hash the name in the path too."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable


def weight(node_id: str, name: str) -> int:
    digest = hashlib.blake2b(f"{node_id}\x00{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def owner_of(name: str, nodes: Iterable[str]) -> str | None:
    best: str | None = None
    best_weight = -1
    for node in nodes:
        w = weight(node, name)
        if w > best_weight or (w == best_weight and best is not None and node < best):
            best, best_weight = node, w
    return best


def placement(names: Iterable[str], nodes: Iterable[str]) -> dict[str, str]:
    live = sorted(set(nodes))
    result: dict[str, str] = {}
    if not live:
        return result
    for name in names:
        owner = owner_of(name, live)
        assert owner is not None
        result[name] = owner
    return result
