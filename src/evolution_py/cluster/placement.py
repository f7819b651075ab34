"""Which live node should own an instance: rendezvous (highest random weight) hashing.

Every node computes the same answer from the same list of live nodes, with no coordination; when a
node joins it wins ~1/N of the instances (taken from every other node), and when one leaves only
its own instances move. The hash is BLAKE2b (stable across processes, unlike `hash()`)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable


def weight(node_id: str, instance_id: str) -> int:
    digest = hashlib.blake2b(f"{node_id}\x00{instance_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def owner_of(instance_id: str, nodes: Iterable[str]) -> str | None:
    best: str | None = None
    best_weight = -1
    for node in nodes:
        w = weight(node, instance_id)
        if w > best_weight or (w == best_weight and best is not None and node < best):
            best, best_weight = node, w
    return best


def placement(instance_ids: Iterable[str], nodes: Iterable[str]) -> dict[str, str]:
    live = sorted(set(nodes))
    result: dict[str, str] = {}
    if not live:
        return result
    for instance_id in instance_ids:
        owner = owner_of(instance_id, live)
        assert owner is not None
        result[instance_id] = owner
    return result
