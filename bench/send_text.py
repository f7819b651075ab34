"""`POST /message/sendText/{instance}` with wrk: ours without a sink, ours with a webhook for
SEND_MESSAGE, and the raw-driver baseline (bench/raw_send_app.py), in alternating slices.

    .venv/bin/python bench/send_text.py [--db sqlite|postgres] [--seconds 3] [--rounds 4] [--connections 32]

All three run as uvicorn subprocesses configured alike (1 worker, uvloop, httptools) on an
EVOLUTION instance; the webhook receiver is bench/receiver.py. Ratios are over the summed slices.
`wrk_cpu` is the generator's share of one core (1.0 would mean wrk, not the server, is the limit).
`cpu_us_per_request` is the server's CPU per answer (all its threads) and `webhook/ours_by_cpu` the
ratio of those: on this shared box rates swing 10-15 % between runs of the same code, the CPU per
answer less; `webhook/ours_per_round` shows the spread of the rate ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from benchlib import free_port
from wrklib import load_average, post_script, wrk

from api import start, uvicorn_cmd

ROOT = Path(__file__).resolve().parents[1]
KEY = "bench-key-0123456789-abcdef"
PG_ADMIN = os.environ.get("TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")
BODY = json.dumps({"number": "5511999999999", "text": "hello from wrk " + "x" * 64}).encode()
NUMBERS = {"plain": "5511900000001", "hooked": "5511900000002"}


def inbound_body(number: str) -> bytes:
    """A `POST /webhook/evolution` message from one contact (the same chat each time: its contact and
    chat rows are updated, as for a busy conversation)."""
    return json.dumps({
        "numberId": number,
        "key": {"remoteJid": "5511988887777@s.whatsapp.net", "fromMe": False, "id": "3EB0BENCH"},
        "pushName": "Bench Sender",
        "message": {"conversation": "hello from wrk " + "x" * 64},
    }).encode()  # fmt: skip


async def fresh_pg(name: str) -> str:
    import asyncpg  # noqa: PLC0415

    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def setup_instances(base: str, hook_url: str, event: str) -> None:
    for name, number in NUMBERS.items():
        answer = httpx.post(
            f"{base}/instance/create",
            headers={"apikey": KEY},
            json={"instanceName": name, "integration": "EVOLUTION", "number": number},
            timeout=30,
        )
        assert answer.status_code == 201, answer.text
    answer = httpx.post(
        f"{base}/webhook/set/hooked",
        headers={"apikey": KEY},
        json={"webhook": {"enabled": True, "url": hook_url, "events": [event]}},
        timeout=30,
    )
    assert answer.status_code in (200, 201), answer.text


def main(inbound: bool = False) -> None:
    """sendText, or (`inbound`) messages arriving on `POST /webhook/evolution` (bench/inbound.py)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="evo-bench-send-")
    env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT / 'src'}:{ROOT / 'bench'}",
        "AUTHENTICATION_API_KEY": KEY,
        "DATA_DIR": data_dir,
        "LOG_LEVEL": "ERROR",
        "BENCH_CWD": data_dir,
        "RAW_KEY": KEY,
    }
    if args.db == "postgres":
        env["DATABASE_PROVIDER"] = "postgresql"
        env["DATABASE_CONNECTION_URI"] = asyncio.run(fresh_pg("hotpath_bench_ours"))
        env["RAW_DB"] = asyncio.run(fresh_pg("hotpath_bench_raw"))
    else:
        env["RAW_DB"] = str(Path(data_dir) / "raw.db")
    ours_port, raw_port, hook_port = free_port(), free_port(), free_port()
    receiver = subprocess.Popen([sys.executable, str(ROOT / "bench" / "receiver.py"), str(hook_port)],
                                stdout=subprocess.PIPE)  # fmt: skip
    assert receiver.stdout is not None and receiver.stdout.readline().strip() == b"ready"
    ours = start(uvicorn_cmd("evolution_py.asgi:app", ours_port), env, f"http://127.0.0.1:{ours_port}/")
    raw = start(uvicorn_cmd("raw_send_app:app", raw_port), env, f"http://127.0.0.1:{raw_port}/")
    headers = {"apikey": KEY, "Content-Type": "application/json"}
    if inbound:
        scripts = {name: post_script(inbound_body(number), headers) for name, number in NUMBERS.items()}
        paths = {name: "/webhook/evolution" for name in NUMBERS}
    else:
        scripts = {name: post_script(BODY, headers) for name in NUMBERS}
        paths = {name: f"/message/sendText/{name}" for name in NUMBERS}
    try:
        event = "MESSAGES_UPSERT" if inbound else "SEND_MESSAGE"
        setup_instances(f"http://127.0.0.1:{ours_port}", f"http://127.0.0.1:{hook_port}/hook", event)
        runs: dict[str, tuple[str, Path, int]] = {
            "raw": (f"http://127.0.0.1:{raw_port}{paths['plain']}", scripts["plain"], raw.pid),
            "ours": (f"http://127.0.0.1:{ours_port}{paths['plain']}", scripts["plain"], ours.pid),
            "ours_webhook": (f"http://127.0.0.1:{ours_port}{paths['hooked']}", scripts["hooked"], ours.pid),
        }
        for url, script, pid in runs.values():  # warm up
            wrk(url, script, 1, args.connections, pid)
        slices: dict[str, list[dict[str, float]]] = {name: [] for name in runs}
        load_before = load_average()
        for index in range(args.rounds):
            order = list(runs) if index % 2 == 0 else list(reversed(runs))
            for name in order:
                url, script, pid = runs[name]
                slices[name].append(wrk(url, script, args.seconds, args.connections, pid))
                time.sleep(0.5)
        summary: dict[str, Any] = {}
        for name, results in slices.items():
            requests = sum(r["requests"] for r in results)
            seconds = sum(r["seconds"] for r in results)
            summary[name] = {
                "rps": round(requests / seconds, 1),
                "p99_ms_max": round(max(r["p99_ms"] for r in results), 1),
                "non2xx": int(sum(r["non2xx"] for r in results)),
                "errors": int(sum(r["errors"] for r in results)),
                "wrk_cpu_max": round(max(r["wrk_cpu"] for r in results), 2),
                "server_cpu": round(sum(r["server_cpu"] for r in results) / len(results), 2),
                # The server's CPU per answer: steadier than rates on this shared box, and the
                # cost the ratios are about when the server is the limit.
                "cpu_us_per_request": round(sum(r["server_cpu_seconds"] for r in results) / max(requests, 1) * 1e6, 1),
            }
        print(json.dumps({
            "what": "inbound /webhook/evolution" if inbound else "sendText",
            "db": args.db,
            **summary,
            "ours/raw": round(summary["ours"]["rps"] / summary["raw"]["rps"], 3),
            "webhook/ours": round(summary["ours_webhook"]["rps"] / summary["ours"]["rps"], 3),
            "webhook/ours_by_cpu": round(
                summary["ours"]["cpu_us_per_request"] / summary["ours_webhook"]["cpu_us_per_request"], 3
            ),
            "webhook/ours_per_round": [
                round(h["requests"] / h["seconds"] / (o["requests"] / o["seconds"]), 2)
                for h, o in zip(slices["ours_webhook"], slices["ours"], strict=True)
            ],
            "load_average": f"{load_before} -> {load_average()}",
            "connections": args.connections,
            "slice_seconds": args.seconds,
            "rounds": args.rounds,
        }, indent=1))  # fmt: skip
    finally:
        for proc in (ours, raw, receiver):
            proc.terminate()
            proc.wait(timeout=30)
        for script in scripts.values():
            script.unlink()


if __name__ == "__main__":
    main()
