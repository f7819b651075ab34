"""Our API vs bare Litestar routes under wrk: connectionState (global key, instance token) and sendText.

    .venv/bin/python bench/api.py [--seconds 5] [--connections 32] [--rounds 3] [--only state|send]
    .venv/bin/python bench/api.py --express      # also an Express 4 route (bench/express/, npm install first)
    .venv/bin/python bench/api.py --python-loadgen   # fallback without wrk (GET cases only)

Ours is `python -m evolution_py serve` (what production runs: uvloop, the guarded httptools protocol,
the metrics wrapper, SQLite store in a temporary DATA_DIR) with one EVOLUTION instance `bench` that has
its own token; the baseline is bench/bare_app.py under `uvicorn --loop uvloop --http httptools`. wrk
(1 thread, 32 connections, 5 s) runs each case in turn, the order reversed every round. Each row has
the 1-minute load average when it started and the CPU of wrk (must stay well below 100 % of a core,
else it is wrk that saturates) and of the server. Ratios are of medians over the rounds, ours / bare.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx
import wrk
from benchlib import free_port, wait_up

ROOT = Path(__file__).resolve().parents[1]
KEY = "bench-key-0123456789"
TOKEN = "bench-instance-token-abcdef012345"
SEND_BODY = json.dumps({"number": "5511999990000", "text": "hello from wrk"}).encode()


def uvicorn_cmd(target: str, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        target,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--http",
        "httptools",
        "--loop",
        "uvloop",
        "--no-access-log",
    ]


def start(cmd: list[str], env: dict[str, str], root_url: str, cwd: str | None = None) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(cmd, env=env, cwd=cwd)
    wait_up(root_url)
    return proc


def python_loadgen(url: str, seconds: float, connections: int, headers: dict[str, str]) -> dict[str, Any]:
    """The fallback generator (bench/loadgen.py, Python, its own process): GET only; saturates near
    10k req/s on a 2-core box, so its ratios understate differences."""
    cmd = [sys.executable, str(ROOT / "bench" / "loadgen.py"), url, "--seconds", str(seconds)]
    cmd += ["--concurrency", str(connections)]
    for name, value in headers.items():
        cmd += ["--header", f"{name}:{value}"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    row: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    row.update(non_2xx=row["errors"], socket_errors=0, generator_cpu_pct=-1.0, loadavg=wrk.load_average())
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=["state", "send"])
    parser.add_argument("--express", action="store_true", help="also bench/express/server.js (node)")
    parser.add_argument("--python-loadgen", action="store_true", help="fallback generator, GET cases only")
    parser.add_argument("--before", help="another tree's src/ (e.g. main's): its server too, same run, state cases")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="evo-bench-")
    ours_port, bare_port, express_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT / 'src'}:{ROOT / 'bench'}",
        "AUTHENTICATION_API_KEY": KEY,
        "DATA_DIR": data_dir,
        "LOG_LEVEL": "ERROR",
        "SERVER_PORT": str(ours_port),
        "EXPRESS_PORT": str(express_port),
    }
    ours = f"http://127.0.0.1:{ours_port}"
    bare = f"http://127.0.0.1:{bare_port}"
    express = f"http://127.0.0.1:{express_port}"
    procs = {
        "ours": start([sys.executable, "-m", "evolution_py", "serve"], env, ours + "/", data_dir),
        "bare": start(uvicorn_cmd("bare_app:app", bare_port), env, bare + "/", data_dir),
    }
    if args.before:
        before_port = free_port()
        before = f"http://127.0.0.1:{before_port}"
        before_env = {**env, "PYTHONPATH": f"{args.before}:{ROOT / 'bench'}", "SERVER_PORT": str(before_port)}
        before_dir = tempfile.mkdtemp(prefix="evo-bench-before-")
        before_env["DATA_DIR"] = before_dir
        procs["before"] = start([sys.executable, "-m", "evolution_py", "serve"], before_env, before + "/", before_dir)
    if args.express:
        server_js = ROOT / "bench" / "express" / "server.js"
        procs["express"] = start(["node", str(server_js)], env, express + "/", str(server_js.parent))
    try:
        created = httpx.post(
            ours + "/instance/create",
            headers={"apikey": KEY},
            json={"instanceName": "bench", "integration": "EVOLUTION", "token": TOKEN},
        )
        assert created.status_code == 201, created.text
        if args.before:
            created = httpx.post(
                before + "/instance/create",
                headers={"apikey": KEY},
                json={"instanceName": "bench", "integration": "EVOLUTION", "token": TOKEN},
            )
            assert created.status_code == 201, created.text
        state = "/instance/connectionState/bench"
        send = "/message/sendText/bench"
        json_post = {"method": "POST", "body": SEND_BODY}
        cases: dict[str, dict[str, Any]] = {}
        if args.only in (None, "state"):
            cases["bare state"] = {"url": bare + state, "server_pid": procs["bare"].pid}
            cases["ours state, global key"] = {
                "url": ours + state,
                "headers": {"apikey": KEY},
                "server_pid": procs["ours"].pid,
            }
            cases["ours state, instance token"] = {
                "url": ours + state,
                "headers": {"apikey": TOKEN},
                "server_pid": procs["ours"].pid,
            }
            if args.before:
                cases["before state, instance token"] = {
                    "url": before + state,
                    "headers": {"apikey": TOKEN},
                    "server_pid": procs["before"].pid,
                }
            if args.express:
                cases["express state"] = {"url": express + state, "server_pid": procs["express"].pid}
        if args.only in (None, "send") and not args.python_loadgen:
            post_headers = {"content-type": "application/json"}
            cases["bare sendText"] = {
                "url": bare + send,
                "headers": post_headers,
                "server_pid": procs["bare"].pid,
                **json_post,
            }
            cases["ours sendText, instance token"] = {
                "url": ours + send,
                "headers": {**post_headers, "apikey": TOKEN},
                "server_pid": procs["ours"].pid,
                **json_post,
            }
            if args.express:
                cases["express sendText"] = {
                    "url": express + send,
                    "headers": post_headers,
                    "server_pid": procs["express"].pid,
                    **json_post,
                }
        if args.python_loadgen:
            rows: dict[str, list[dict[str, Any]]] = {name: [] for name in cases}
            for index in range(args.rounds):
                names = list(cases) if index % 2 == 0 else list(reversed(cases))
                for name in names:
                    case = cases[name]
                    rows[name].append(
                        python_loadgen(case["url"], args.seconds, args.connections, case.get("headers", {}))
                    )
        else:
            for case in cases.values():  # warm up: imports, caches, the JIT-less first calls
                wrk.run_wrk(seconds=1, connections=args.connections, **case)
            rows = wrk.alternate(cases, rounds=args.rounds, seconds=args.seconds, connections=args.connections)
        result: dict[str, Any] = {name: wrk.summary(runs) for name, runs in rows.items()}

        def ratio(ours_case: str, base: str) -> float | None:
            if ours_case in result and base in result and result[base]["rps"]:
                return round(float(result[ours_case]["rps"]) / float(result[base]["rps"]), 3)
            return None

        def cpu_ratio(ours_case: str, base: str) -> float | None:
            if ours_case in result and base in result and result[ours_case]["server_cpu_us_per_req_median"]:
                base_cpu = result[base]["server_cpu_us_per_req_median"]
                return round(float(base_cpu) / float(result[ours_case]["server_cpu_us_per_req_median"]), 3)
            return None

        # CPU per answer, bare / ours: the capacity ratio when both servers get a whole core.
        result["cpu_ratios"] = {
            "state global / bare": cpu_ratio("ours state, global key", "bare state"),
            "state token / bare": cpu_ratio("ours state, instance token", "bare state"),
            "before state token / bare": cpu_ratio("before state, instance token", "bare state"),
            "sendText / bare": cpu_ratio("ours sendText, instance token", "bare sendText"),
            "state global / express": cpu_ratio("ours state, global key", "express state"),
            "sendText / express": cpu_ratio("ours sendText, instance token", "express sendText"),
        }
        result["ratios"] = {
            "state global / bare": ratio("ours state, global key", "bare state"),
            "state token / bare": ratio("ours state, instance token", "bare state"),
            "before state token / bare": ratio("before state, instance token", "bare state"),
            "sendText / bare": ratio("ours sendText, instance token", "bare sendText"),
            "state global / express": ratio("ours state, global key", "express state"),
            "sendText / express": ratio("ours sendText, instance token", "express sendText"),
            "bare state / express": ratio("bare state", "express state"),
        }
        result["setup"] = {
            "seconds": args.seconds,
            "connections": args.connections,
            "rounds": args.rounds,
            "generator": "python loadgen" if args.python_loadgen else "wrk -t1",
        }
        print(json.dumps(result, indent=1))
    finally:
        for proc in procs.values():
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
