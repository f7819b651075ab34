"""requests/s and p99 of `GET /instance/connectionState/{name}` vs a bare Litestar route.

    .venv/bin/python bench/api.py [--seconds 8] [--concurrency 32] [--rounds 3]

Both servers run as uvicorn subprocesses configured alike (1 worker, uvloop if installed, httptools),
one at a time, alternating, with the same load generator (bench/loadgen.py, its own process). The
result is the ratio ours / bare per round and the median ratio; absolute numbers are only context.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
KEY = "bench-key"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
        import uvloop  # noqa: F401

        cmd += ["--loop", "uvloop"]
    except ImportError:
        pass
    if factory:
        cmd.append("--factory")
    return cmd


def wait_up(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


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


def measure(
    cmd: list[str], env: dict[str, str], url: str, setup: object, seconds: float, concurrency: int, headers: list[str]
) -> dict[str, float]:
    proc = subprocess.Popen(cmd, env=env, cwd=env.get("BENCH_CWD", str(ROOT)))
    try:
        wait_up(url.rsplit("/instance", 1)[0] + "/")
        if callable(setup):
            setup()
        load(url, 1.0, concurrency, headers)  # warm-up
        return load(url, seconds, concurrency, headers)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
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

    ours_cmd = uvicorn_cmd("evolution_py.asgi:app", ours_port, factory=False)
    bare_cmd = uvicorn_cmd("bare_app:app", bare_port)
    rounds = []
    for index in range(args.rounds):
        bare = measure(bare_cmd, env, bare_url, None, args.seconds, args.concurrency, [])
        ours = measure(ours_cmd, env, ours_url, create_instance, args.seconds, args.concurrency, [f"apikey:{KEY}"])
        ratio = ours["rps"] / bare["rps"] if bare["rps"] else 0.0
        rounds.append(
            {
                "round": index + 1,
                "ours": ours,
                "bare": bare,
                "rps_ratio": round(ratio, 3),
                "p99_ratio": round(ours["p99_ms"] / bare["p99_ms"], 3) if bare["p99_ms"] else None,
            }
        )
        print(json.dumps(rounds[-1]), flush=True)
    median = statistics.median(r["rps_ratio"] for r in rounds)
    print(
        json.dumps(
            {
                "median_rps_ratio": round(median, 3),
                "concurrency": args.concurrency,
                "seconds": args.seconds,
                "rounds": args.rounds,
            }
        )
    )


if __name__ == "__main__":
    main()
