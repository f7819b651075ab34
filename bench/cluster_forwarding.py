"""Cluster forwarding overhead (issue 17): requests/s through a node that does not own the
instance (forwarded over HTTP to the owner) against the owner itself.

    .venv/bin/python bench/cluster_forwarding.py [--seconds 3] [--rounds 4] [--connections 16]

Two nodes (`python -m evolution_py serve`, each its own process, CLUSTER_ENABLED) share a fresh
PostgreSQL database (dropped afterwards) and a Redis prefix of their own. One `EVOLUTION` instance;
`wrk` (2 threads) loads `GET /instance/connectionState/{name}` alternately on the owner (baseline)
and on the other node, in short slices, and the ratio of requests/s and of p99 is printed.
With `--route settings/find` (or another GET of `LOCAL_READS` in cluster/routing.py) the other node
answers the read itself from the database instead of forwarding it: the same comparison then
measures a local read on a non-owner against the owner.
Absolute numbers are context only (wrk, both nodes, PostgreSQL and Redis share the machine).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
from benchlib import free_port, wait_up

ROOT = Path(__file__).resolve().parents[1]
KEY = "bench-key-0123456789"
PG_ADMIN = os.environ.get("TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")


def start_node(index: int, port: int, database: str, prefix: str, data: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "AUTHENTICATION_API_KEY": KEY,
        "SERVER_PORT": str(port),
        "DATA_DIR": str(data / f"node{index}"),
        "LOG_LEVEL": "WARN",
        "DATABASE_PROVIDER": "postgresql",
        "DATABASE_CONNECTION_URI": database,
        "CACHE_REDIS_ENABLED": "true",
        "CACHE_REDIS_URI": "redis://127.0.0.1:6379/0",
        "CACHE_REDIS_PREFIX_KEY": prefix,
        "CLUSTER_ENABLED": "true",
        "CLUSTER_NODE_ID": f"node{index}",
        "CLUSTER_ADVERTISE_URL": f"http://127.0.0.1:{port}",
        "CLUSTER_LEASE_SECONDS": "5",
    }
    log = (data / f"node{index}.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "evolution_py", "--env-file", "/dev/null", "serve", "--host", "127.0.0.1"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wrk(url: str, seconds: int, connections: int) -> tuple[float, float]:
    """(requests/s, p99 ms) of one wrk run."""
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-H", f"apikey: {KEY}", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99_match = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    assert p99_match is not None, out
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99_match.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    assert errors is None, out
    return rps, float(p99_match.group(1)) * scale


async def owner_of(base: str, name: str) -> str | None:
    async with httpx.AsyncClient(timeout=10) as client:
        nodes = (await client.get(base + "/cluster/nodes", headers={"apikey": KEY})).json()["nodes"]
    return next((n["id"] for n in nodes if name in n["instances"]), None)


async def live_count(base: str) -> int:
    async with httpx.AsyncClient(timeout=10) as client:
        return len((await client.get(base + "/cluster/nodes", headers={"apikey": KEY})).json()["nodes"])


async def run(args: argparse.Namespace) -> None:
    db_name = f"evo_bench_cluster_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'CREATE DATABASE "{db_name}"')
    await admin.close()
    database = PG_ADMIN.rsplit("/", 1)[0] + "/" + db_name
    prefix = f"bench-cluster-{uuid.uuid4().hex[:6]}"
    procs: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        ports = [free_port(), free_port()]
        try:
            procs.append(start_node(0, ports[0], database, prefix, data))
            wait_up(f"http://127.0.0.1:{ports[0]}/")
            procs.append(start_node(1, ports[1], database, prefix, data))
            wait_up(f"http://127.0.0.1:{ports[1]}/")
            bases = [f"http://127.0.0.1:{p}" for p in ports]
            name = "bench-fwd"
            async with httpx.AsyncClient(timeout=30) as client:
                r = await client.post(
                    bases[0] + "/instance/create",
                    json={"instanceName": name, "integration": "EVOLUTION"},
                    headers={"apikey": KEY},
                )
                assert r.status_code == 201, r.text
            deadline = time.monotonic() + 30
            owner = None
            while time.monotonic() < deadline:
                owner = await owner_of(bases[0], name)
                live = len(
                    (await httpx.AsyncClient().get(bases[0] + "/cluster/nodes", headers={"apikey": KEY})).json()[
                        "nodes"
                    ]
                )
                if owner is not None and live == 2:
                    break
                await asyncio.sleep(0.5)
            await asyncio.sleep(6)  # past any hand-over from the creating node
            owner = await owner_of(bases[0], name)
            assert owner is not None
            own = int(owner.removeprefix("node"))
            path = f"/{args.route}/{name}"
            urls = {"owner": bases[own] + path, "forwarded": bases[1 - own] + path}
            wrk(urls["forwarded"], 1, args.connections)  # warm-up, both paths
            wrk(urls["owner"], 1, args.connections)
            results: dict[str, list[tuple[float, float]]] = {"owner": [], "forwarded": []}
            load = os.getloadavg()[0]
            for _ in range(args.rounds):
                for kind in ("owner", "forwarded"):
                    results[kind].append(wrk(urls[kind], args.seconds, args.connections))
            load_after = os.getloadavg()[0]
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(timeout=30)
            admin = await asyncpg.connect(PG_ADMIN)
            await admin.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
            await admin.close()
    own_rps = statistics.median(r for r, _ in results["owner"])
    fwd_rps = statistics.median(r for r, _ in results["forwarded"])
    own_p99 = statistics.median(p for _, p in results["owner"])
    fwd_p99 = statistics.median(p for _, p in results["forwarded"])
    print(f"GET /{args.route}/{{name}}")
    print(f"owner: {own_rps:.0f} req/s, p99 {own_p99:.1f} ms (median of {args.rounds} slices)")
    print(f"other node: {fwd_rps:.0f} req/s, p99 {fwd_p99:.1f} ms")
    print(f"ratio other node / owner: req/s {fwd_rps / own_rps:.3f}, p99 {fwd_p99 / own_p99:.2f}")
    print(f"load average {load:.2f} before, {load_after:.2f} after")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--route", default="instance/connectionState", help="a GET route taking {instanceName}")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
