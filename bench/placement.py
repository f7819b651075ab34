"""Placement simulator for the cluster (issue 17): rendezvous hashing as cluster/placement.py does it.

10k instances; the cluster grows one node at a time from 1 to 50 and then shrinks back, and a few
random leaves and re-joins at 10, 25 and 50 nodes. For each change: the share of instances that
moved against the ideal (a join moves 1/N of them to the newcomer; a leave moves the leaver's, 1/N
before it left), and the max/mean load after it.

    .venv/bin/python bench/placement.py [--instances 10000] [--max-nodes 50] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections import Counter

from evolution_py.cluster.placement import placement


def load_ratio(assigned: dict[str, str], nodes: list[str]) -> float:
    counts = Counter(assigned.values())
    loads = [counts.get(n, 0) for n in nodes]
    return max(loads) / statistics.mean(loads)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--instances", type=int, default=10000)
    parser.add_argument("--max-nodes", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    ids = [f"{rng.getrandbits(128):032x}" for _ in range(args.instances)]
    started = time.perf_counter()

    nodes = ["node-0"]
    current = placement(ids, nodes)
    rows: list[tuple[str, int, float, float, float]] = []

    def change(kind: str, new_nodes: list[str]) -> None:
        nonlocal current, nodes
        after = placement(ids, new_nodes)
        moved = sum(1 for i in ids if current[i] != after[i]) / len(ids)
        n = len(new_nodes) if kind == "join" else len(nodes)
        ideal = 1 / n
        rows.append((kind, len(new_nodes), moved, moved / ideal, load_ratio(after, new_nodes)))
        current, nodes = after, new_nodes

    for k in range(1, args.max_nodes):
        change("join", [*nodes, f"node-{k}"])
    for size in (50, 25, 10):
        while len(nodes) > size:
            change("leave", nodes[:-1])
        for _ in range(3):
            leaver = rng.choice(nodes)
            change("leave", [n for n in nodes if n != leaver])
            change("join", sorted([*nodes, leaver]))
    while len(nodes) > 1:
        change("leave", nodes[:-1])
    elapsed = time.perf_counter() - started

    print(f"{args.instances} instances, {len(rows)} changes, {elapsed:.1f} s")
    print("change | nodes after | moved | moved / ideal (1/N) | max/mean load")
    for kind, size, moved, ratio, load in rows:
        if size in (2, 3, 5, 10, 25, 49, 50) or (kind == "leave" and size in (9, 24, 49)):
            print(f"{kind} | {size} | {moved:.2%} | {ratio:.3f} | {load:.3f}")
    ratios = [r[3] for r in rows]
    loads = [r[4] for r in rows if r[1] > 1]
    print(
        f"moved/ideal over all changes: mean {statistics.mean(ratios):.3f}, max {max(ratios):.3f}; "
        f"max/mean load: mean {statistics.mean(loads):.3f}, worst {max(loads):.3f}"
    )


if __name__ == "__main__":
    main()
