"""Go token route vs v2 named route on one server with many instances.

    .venv/bin/python bench/go_status.py [--instances 1000] [--seconds 1.5] [--rounds 8] [--concurrency 16]

One server (`python -m evolution_py serve`, SQLite, its own process) holds N `EVOLUTION` instances.
This process loads it with aiohttp keep-alive connections, alternating short slices between
- baseline: v2 `GET /instance/connectionState/{name}` with the instance token (lookup by name), and
- Go: `GET /instance/status` with the same token (lookup by token alone, through the registry's index),
and prints the ratio Go / v2 of requests per second and of p99. Absolute numbers are context only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import httpx
from benchlib import free_port, wait_up

ROOT = Path(__file__).resolve().parents[1]
KEY = "bench-key-0123456789"


async def create_instances(base: str, count: int) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    async with httpx.AsyncClient(base_url=base, headers={"apikey": KEY}, timeout=60) as client:
        sem = asyncio.Semaphore(8)

        async def one(i: int) -> None:
            async with sem:
                name = f"bench-{i:05d}"
                r = await client.post("/instance/create", json={"instanceName": name, "integration": "EVOLUTION"})
                assert r.status_code == 201, r.text
                out.append((name, r.json()["hash"]))

        await asyncio.gather(*(one(i) for i in range(count)))
    return out


async def slice_load(
    session: aiohttp.ClientSession, requests: list[tuple[str, str]], seconds: float, concurrency: int
) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def worker(offset: int) -> None:
        nonlocal errors
        i = offset
        while time.perf_counter() < deadline:
            url, token = requests[i % len(requests)]
            i += concurrency
            started = time.perf_counter()
            async with session.get(url, headers={"apikey": token}) as response:
                await response.read()
                if response.status != 200:
                    errors += 1
            latencies.append(time.perf_counter() - started)

    began = time.perf_counter()
    await asyncio.gather(*(worker(k) for k in range(concurrency)))
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "requests": len(latencies),
        "seconds": elapsed,
        "errors": errors,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000 if latencies else 0.0,
    }


async def run(args: argparse.Namespace) -> dict[str, object]:
    data_dir = tempfile.mkdtemp(prefix="evo-bench-go-")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "AUTHENTICATION_API_KEY": KEY,
        "DATA_DIR": data_dir,
        "SERVER_PORT": str(port),
        "LOG_LEVEL": "ERROR",
    }
    proc = subprocess.Popen(  # noqa: ASYNC220 - started once, before measuring
        [sys.executable, "-m", "evolution_py", "serve", "--host", "127.0.0.1"], env=env, cwd=data_dir
    )
    try:
        wait_up(base + "/")
        instances = await create_instances(base, args.instances)
        random.Random(1).shuffle(instances)
        v2 = [(f"{base}/instance/connectionState/{name}", token) for name, token in instances]
        go = [(f"{base}/instance/status", token) for _name, token in instances]
        connector = aiohttp.TCPConnector(limit=args.concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:
            await slice_load(session, v2, 1.0, args.concurrency)  # warm-up
            await slice_load(session, go, 1.0, args.concurrency)
            runs: dict[str, list[dict[str, float]]] = {"v2": [], "go": []}
            for index in range(args.rounds):
                order = [("v2", v2), ("go", go)]
                for name, reqs in order if index % 2 == 0 else reversed(order):
                    runs[name].append(await slice_load(session, reqs, args.seconds, args.concurrency))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    summary = {
        name: {
            "rps": round(sum(r["requests"] for r in rs) / sum(r["seconds"] for r in rs), 1),
            "p99_ms_median": round(statistics.median(r["p99_ms"] for r in rs), 2),
            "errors": sum(r["errors"] for r in rs),
        }
        for name, rs in runs.items()
    }
    return {
        "instances": args.instances,
        "v2_connectionState": summary["v2"],
        "go_status": summary["go"],
        "rps_ratio_go_over_v2": round(summary["go"]["rps"] / summary["v2"]["rps"], 3),
        "p99_ratio_go_over_v2": round(summary["go"]["p99_ms_median"] / summary["v2"]["p99_ms_median"], 3),
        "concurrency": args.concurrency,
        "slice_seconds": args.seconds,
        "slices_each": args.rounds,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--instances", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=1.5)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--concurrency", type=int, default=16)
    print(json.dumps(asyncio.run(run(parser.parse_args()))))


if __name__ == "__main__":
    main()
