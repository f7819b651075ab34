"""sendText at a fixed rate with a webhook for SEND_MESSAGE: request latency, send-to-webhook latency
and, past capacity, how the server refuses (backpressure) instead of queueing.

    .venv/bin/python bench/send_paced.py [--db sqlite|postgres] [--rate 500] [--seconds 10]
        [--overload-connections 512] [--overload-rate 2000] [--overload-seconds 30]

Paced: an open-loop generator (aiohttp, in this process) starts each request on schedule whatever
the server does; the receiver (bench/timed_receiver.py) notes when each event arrives.
Send-to-webhook is the arrival minus the moment the request was started (one machine, one clock).
`gen_cpu` is the generator's share of one core; `late_ms_p99` how late it started requests.

Overload: wrk with `--overload-connections` connections for `--overload-seconds`, each waiting
connections/rate between its requests, so that about `--overload-rate` requests a second are
offered while answers are quick (closed-loop wrk without a delay offers whatever the server can
refuse, and real clients wait for Retry-After). (A Python
open-loop generator cannot offer twice this server's capacity on this machine: it fell 18 s behind
its schedule); wrk counts answers by status and 503s without Retry-After, and reports the slowest.
After each phase the bench waits until every accepted message was delivered (the server's
`evolution_events_delivered_total`) and counts what is stored (`findMessages` total).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from benchlib import free_port
from send_text import BODY, KEY, fresh_pg, setup_instances
from wrklib import load_average, post_script, wrk

from api import start, uvicorn_cmd

ROOT = Path(__file__).resolve().parents[1]


def quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def phase(base: str, rate: float, seconds: float) -> dict[str, Any]:
    url = f"{base}/message/sendText/hooked"
    headers = {"apikey": KEY, "Content-Type": "application/json"}
    sent: dict[str, float] = {}
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    refusals_without_retry_after = 0
    late: list[float] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:

        async def one() -> None:
            nonlocal refusals_without_retry_after
            started = time.time()
            try:
                async with session.post(url, data=BODY, headers=headers) as answer:
                    body = await answer.read()
                    status = answer.status
                    if status == 503 and "Retry-After" not in answer.headers:
                        refusals_without_retry_after += 1
            except aiohttp.ClientError:
                status = 0
            latencies.append(time.time() - started)
            statuses[status] = statuses.get(status, 0) + 1
            if status == 201:
                sent[json.loads(body)["key"]["id"]] = started

        cpu, began = time.process_time(), time.monotonic()
        tasks = []
        for index in range(int(rate * seconds)):
            due = began + index / rate
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            else:
                late.append(-wait)
            tasks.append(asyncio.create_task(one()))
        await asyncio.gather(*tasks)
        wall = time.monotonic() - began
        gen_cpu = (time.process_time() - cpu) / wall
    return {
        "sent": sent,
        "statuses": statuses,
        "refused_without_retry_after": refusals_without_retry_after,
        "request_p50_ms": round(quantile(latencies, 0.5) * 1000, 1),
        "request_p99_ms": round(quantile(latencies, 0.99) * 1000, 1),
        "request_max_ms": round(max(latencies) * 1000, 1),
        "late_ms_p99": round(quantile(late, 0.99) * 1000, 1) if late else 0.0,
        "gen_cpu": round(gen_cpu, 2),
    }


async def delivered_count(session: aiohttp.ClientSession, base: str) -> float:
    async with session.get(f"{base}/metrics") as answer:
        text = await answer.text()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith('evolution_events_delivered_total{sink="webhook"}')
    )


async def stored_count(session: aiohttp.ClientSession, base: str) -> int:
    body = {"where": {}, "page": 1, "offset": 1}
    async with session.post(f"{base}/chat/findMessages/hooked", json=body, headers={"apikey": KEY}) as answer:
        return int((await answer.json())["messages"]["total"])


async def settled(session: aiohttp.ClientSession, base: str) -> bool:
    return await delivered_count(session, base) >= await stored_count(session, base)


async def run(base: str, args: argparse.Namespace) -> tuple[list[tuple[str, dict[str, Any]]], dict[str, float]]:
    results = []
    async with aiohttp.ClientSession() as session:
        expected = 0
        for name in ("paced", "overload"):
            if name == "paced":
                result = await phase(base, args.rate, args.seconds)
                expected += len(result["sent"])
            else:
                if not args.overload_connections:
                    continue
                delay_ms = args.overload_connections / args.overload_rate * 1000 if args.overload_rate else 0
                headers = {"apikey": KEY, "Content-Type": "application/json"}
                script = post_script(BODY, headers, count_statuses=True, delay_ms=delay_ms)
                result = await asyncio.to_thread(
                    wrk, f"{base}/message/sendText/hooked", script, args.overload_seconds, args.overload_connections
                )
                script.unlink()
                result["sent"] = {}
                result["accepted"] = result["statuses"].get("201", 0)
                expected += result["accepted"]
            deadline = time.monotonic() + 120
            while await delivered_count(session, base) < expected and time.monotonic() < deadline:  # noqa: ASYNC110 - polls another process
                await asyncio.sleep(0.5)
            # Requests in flight when wrk stopped were stored (and are delivered) without wrk seeing
            # their 201: settle until everything stored was delivered.
            while not await settled(session, base) and time.monotonic() < deadline:  # noqa: ASYNC110 - polls another process
                await asyncio.sleep(0.5)
            result["delivered_total_after"] = await delivered_count(session, base)
            result["stored_total_after"] = await stored_count(session, base)
            results.append((name, result))
    return results, {}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--overload-connections", type=int, default=512)
    parser.add_argument("--overload-rate", type=float, default=2000, help="offered rate (wrk's delay paces it)")
    parser.add_argument("--overload-seconds", type=float, default=30)
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="evo-bench-paced-")
    env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT / 'src'}:{ROOT / 'bench'}",
        "AUTHENTICATION_API_KEY": KEY,
        "DATA_DIR": data_dir,
        "LOG_LEVEL": "ERROR",
        "BENCH_CWD": data_dir,
        "PROMETHEUS_METRICS": "true",
        "SERVER_MAX_WAIT_MS": os.environ.get("SERVER_MAX_WAIT_MS", "500"),  # off by default; overload needs it
    }
    if args.db == "postgres":
        env["DATABASE_PROVIDER"] = "postgresql"
        env["DATABASE_CONNECTION_URI"] = asyncio.run(fresh_pg("hotpath_bench_paced"))
    port, hook_port = free_port(), free_port()
    arrivals = Path(data_dir) / "arrivals.txt"
    receiver = subprocess.Popen([sys.executable, str(ROOT / "bench" / "timed_receiver.py"), str(hook_port),
                                 str(arrivals)], stdout=subprocess.PIPE)  # fmt: skip
    assert receiver.stdout is not None and receiver.stdout.readline().strip() == b"ready"
    server = start(uvicorn_cmd("evolution_py.asgi:app", port), env, f"http://127.0.0.1:{port}/")
    base = f"http://127.0.0.1:{port}"
    load_before = load_average()
    try:
        setup_instances(base, f"http://127.0.0.1:{hook_port}/hook", "SEND_MESSAGE")
        results, _ = asyncio.run(run(base, args))
    finally:
        server.terminate()
        server.wait(timeout=30)
        receiver.terminate()
        receiver.wait(timeout=30)
    arrived = dict(line.split() for line in arrivals.read_text().splitlines())
    out: dict[str, Any] = {"db": args.db, "load_average": f"{load_before} -> {load_average()}"}
    for name, result in results:
        sent: dict[str, float] = result.pop("sent")
        if not sent:
            out[name] = result
            continue
        to_hook = [float(arrived[key]) - at for key, at in sent.items() if key in arrived]
        result["accepted"] = len(sent)
        result["accepted_not_delivered"] = sum(1 for key in sent if key not in arrived)
        result["to_webhook_p50_ms"] = round(statistics.median(to_hook) * 1000, 1) if to_hook else None
        result["to_webhook_p99_ms"] = round(quantile(to_hook, 0.99) * 1000, 1) if to_hook else None
        out[name] = result
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
