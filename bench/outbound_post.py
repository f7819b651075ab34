"""CPU per webhook-sized POST: the guarded outbound client (outbound/http1.py underneath) against
raw aiohttp, both posting the same body to bench/receiver.py (another process), 16 in flight.

    .venv/bin/python bench/outbound_post.py [--posts 20000] [--rounds 2]

`cpu us/post` is this process' CPU time (time.process_time) per post: the client's own cost, since
the receiver runs elsewhere. Rounds alternate the two clients.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import uvloop
from benchlib import free_port
from wrklib import load_average

from evolution_py.outbound import OutboundClient

ROOT = Path(__file__).resolve().parents[1]
BODY = json.dumps({"event": "send.message", "instance": "bench", "data": {"text": "x" * 300}}).encode()
HEADERS = {"Content-Type": "application/json", "webhook-id": "0" * 36, "Accept": "application/json, text/plain, */*"}


async def measure(kind: str, url: str, posts: int) -> dict[str, float]:
    outbound = OutboundClient(block_private_networks=False, user_agent="bench")
    session = aiohttp.ClientSession()

    async def via_outbound() -> None:
        await outbound.request("POST", url, data=BODY, headers=dict(HEADERS), max_bytes=256)

    async def via_aiohttp() -> None:
        async with session.post(url, data=BODY, headers=HEADERS) as answer:
            await answer.read()

    post: Callable[[], Awaitable[None]] = via_outbound if kind == "outbound" else via_aiohttp
    slots = asyncio.Semaphore(16)

    async def one() -> None:
        async with slots:
            await post()

    try:
        await asyncio.gather(*(one() for _ in range(500)))  # warm: connections open
        wall, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(one() for _ in range(posts)))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        await outbound.close()
        await session.close()
    return {"posts_per_s": round(posts / wall), "cpu_us_per_post": round(cpu / posts * 1e6, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    port = free_port()
    receiver = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "receiver.py"), str(port)], stdout=subprocess.PIPE
    )
    assert receiver.stdout is not None and receiver.stdout.readline().strip() == b"ready"
    time.sleep(0.5)  # "ready" is printed at lifespan start, just before the socket is bound
    url = f"http://127.0.0.1:{port}/hook"
    results: dict[str, list[dict[str, float]]] = {"aiohttp": [], "outbound": []}
    load_before = load_average()
    try:
        for index in range(args.rounds):
            for kind in ("aiohttp", "outbound") if index % 2 == 0 else ("outbound", "aiohttp"):
                results[kind].append(uvloop.run(measure(kind, url, args.posts)))
    finally:
        receiver.terminate()
        receiver.wait(timeout=10)
    cpu = {kind: min(r["cpu_us_per_post"] for r in runs) for kind, runs in results.items()}
    print(json.dumps({
        "runs": results,
        "best cpu us/post": cpu,
        "outbound / aiohttp cpu": round(cpu["outbound"] / cpu["aiohttp"], 2),
        "load_average": f"{load_before} -> {load_average()}",
    }, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
