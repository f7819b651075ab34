"""requests/s and p99 of `GET /instance/connectionState/{name}` vs a bare Litestar route.

    .venv/bin/python bench/api.py [--seconds 1.5] [--concurrency 32] [--rounds 12]

Both servers run as uvicorn subprocesses configured alike (1 worker, uvloop if installed, httptools),
and the same load generator (bench/loadgen.py, its own process) alternates short slices between them.
The result is the ratio ours / bare; absolute numbers are only context.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
from benchlib import free_port, wait_up

ROOT = Path(__file__).resolve().parents[1]
KEY = "bench-key-0123456789"


def uvicorn_cmd(target: str, port: int, factory: bool = False) -> list[str]:
    cmd = [
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
        "--no-access-log",
    ]
    try:
        import uvloop  # noqa: F401, PLC0415 - optional: used if installed

        cmd += ["--loop", "uvloop"]
    except ImportError:
        pass
    if factory:
        cmd.append("--factory")
    return cmd


def load(url: str, seconds: float, concurrency: int, headers: list[str]) -> dict[str, float]:
    cmd = [
        sys.executable,
        str(ROOT / "bench" / "loadgen.py"),
        url,
        "--seconds",
        str(seconds),
        "--concurrency",
        str(concurrency),
    ]
    for header in headers:
        cmd += ["--header", header]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def start(cmd: list[str], env: dict[str, str], root_url: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(cmd, env=env, cwd=env.get("BENCH_CWD", str(ROOT)))
    wait_up(root_url)
    return proc


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=1.5)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=12)
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="evo-bench-")
    env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT / 'src'}:{ROOT / 'bench'}",
        "AUTHENTICATION_API_KEY": KEY,
        "DATA_DIR": data_dir,
        "LOG_LEVEL": "ERROR",
        "BENCH_CWD": data_dir,
    }
    ours_port, bare_port = free_port(), free_port()
    ours_url = f"http://127.0.0.1:{ours_port}/instance/connectionState/bench"
    bare_url = f"http://127.0.0.1:{bare_port}/instance/connectionState/bench"

    def create_instance() -> None:
        response = httpx.post(
            f"http://127.0.0.1:{ours_port}/instance/create",
            headers={"apikey": KEY},
            json={"instanceName": "bench", "integration": "EVOLUTION"},
        )
        assert response.status_code in (201, 403), response.text

    ours_cmd = uvicorn_cmd("evolution_py.asgi:app", ours_port)
    bare_cmd = uvicorn_cmd("bare_app:app", bare_port)
    # Both servers stay up; short slices alternate between them so that both see the same machine
    # noise (these machines are shared), and the ratio is taken over the sums.
    procs = [
        start(ours_cmd, env, f"http://127.0.0.1:{ours_port}/"),
        start(bare_cmd, env, f"http://127.0.0.1:{bare_port}/"),
    ]
    try:
        create_instance()
        load(ours_url, 1.0, args.concurrency, [f"apikey:{KEY}"])
        load(bare_url, 1.0, args.concurrency, [])
        totals: dict[str, list[dict[str, float]]] = {"ours": [], "bare": []}
        for index in range(args.rounds):
            order = [("bare", bare_url, []), ("ours", ours_url, [f"apikey:{KEY}"])]
            for name, url, headers in order if index % 2 == 0 else reversed(order):
                totals[name].append(load(url, args.seconds, args.concurrency, headers))
        summary = {}
        for name, runs in totals.items():
            requests = sum(r["requests"] for r in runs)
            seconds = sum(r["seconds"] for r in runs)
            summary[name] = {
                "rps": round(requests / seconds, 1),
                "p99_ms_median": round(statistics.median(r["p99_ms"] for r in runs), 2),
                "errors": sum(r["errors"] for r in runs),
            }
        ratios = [o["rps"] / b["rps"] for o, b in zip(totals["ours"], totals["bare"], strict=True) if b["rps"]]
        print(
            json.dumps(
                {
                    "ours": summary["ours"],
                    "bare": summary["bare"],
                    "rps_ratio": round(summary["ours"]["rps"] / summary["bare"]["rps"], 3),
                    "slice_ratio_median": round(statistics.median(ratios), 3),
                    "p99_ratio": round(summary["ours"]["p99_ms_median"] / summary["bare"]["p99_ms_median"], 3),
                    "concurrency": args.concurrency,
                    "slice_seconds": args.seconds,
                    "slices_each": args.rounds,
                }
            )
        )
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
