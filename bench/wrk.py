"""wrk (the C load generator) as a library for the HTTP benches, with the machine's state beside each row.

    from wrk import run_wrk
    row = run_wrk("http://127.0.0.1:8080/x", headers={"apikey": "..."}, server_pid=pid)

One call = one wrk run (default 1 thread, 32 connections, 5 s, `--latency`). The row carries req/s,
p50/p99 latency, the non-2xx and socket-error counts, the 1-minute load average at the start, and the
CPU that wrk itself and (when given) the server process used during the run, in percent of one core
(wrk's from its rusage once reaped, the server's from /proc/<pid>/stat): the generator must stay well
below 100 % for the row to measure the server, and a server near 100 % is the one that saturates.
Linux only (wrk and /proc).
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

WRK = shutil.which("wrk") or "/usr/bin/wrk"
_TICKS = os.sysconf("SC_CLK_TCK")
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def available() -> bool:
    return Path(WRK).exists()


def cpu_seconds(pid: int) -> float:
    """utime + stime of `pid` (its threads included), from /proc/<pid>/stat."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise ValueError(f"unexpected wrk duration {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse(output: str) -> dict[str, float]:
    """req/s, percentiles and error counts from wrk's text output (`--latency`)."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if rps is None:
        raise ValueError(f"no Requests/sec in wrk output:\n{output}")
    row: dict[str, float] = {"rps": float(rps.group(1))}
    for percent, value in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)\s*$", output, re.MULTILINE):
        row[f"p{percent}_ms"] = round(_ms(value), 3)
    total = re.search(r"(\d+) requests in", output)
    row["requests"] = float(total.group(1)) if total else 0.0
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    row["non_2xx"] = float(non_2xx.group(1)) if non_2xx else 0.0
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    row["socket_errors"] = float(sum(int(n) for n in errors.groups())) if errors else 0.0
    return row


def _script(method: str, body: bytes | None) -> str:
    """A Lua script setting the method and body (wrk's -H sets the headers)."""
    lines = [f'wrk.method = "{method}"']
    if body is not None:
        lines.append(f"wrk.body = {_lua_string(body)}")
    return "\n".join(lines) + "\n"


def _lua_string(data: bytes) -> str:
    return '"' + "".join(f"\\{b:03d}" for b in data) + '"'


def run_wrk(
    url: str,
    *,
    seconds: float = 5,
    connections: int = 32,
    threads: int = 1,
    headers: dict[str, str] | None = None,
    method: str = "GET",
    body: bytes | None = None,
    server_pid: int | None = None,
) -> dict[str, Any]:
    """One wrk run against `url`; see the module's docstring for the row's fields."""
    cmd = [WRK, "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s", "--latency"]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    script_path = None
    if method != "GET" or body is not None:
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(_script(method, body))
            script_path = script.name
        cmd += ["-s", script_path]
    cmd.append(url)
    loadavg = load_average()
    server_before = cpu_seconds(server_pid) if server_pid else 0.0
    began = time.perf_counter()
    try:
        # The generator's CPU: what the children reaped during the run used (wrk is the only one).
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        generator_cpu = (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
        out, err = proc.stdout, proc.stderr
    finally:
        if script_path:
            os.unlink(script_path)
    wall = time.perf_counter() - began
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {err or out}")
    row: dict[str, Any] = parse(out)
    row["generator_cpu_pct"] = round(100 * generator_cpu / wall, 1)
    if server_pid:
        server_cpu = cpu_seconds(server_pid) - server_before
        row["server_cpu_pct"] = round(100 * server_cpu / wall, 1)
        # CPU per answer: steadier than req/s on a shared box (a starved server answers fewer, each
        # for the same CPU).
        row["server_cpu_us_per_req"] = round(1e6 * server_cpu / row["requests"], 1) if row["requests"] else 0.0
    row["loadavg"] = loadavg
    return row


def alternate(
    cases: dict[str, dict[str, Any]], *, rounds: int, seconds: float = 5, connections: int = 32
) -> dict[str, list[dict[str, Any]]]:
    """Run every case (name → run_wrk keyword arguments, `url` included) once per round, the order
    reversed every other round so that each sees the same machine noise."""
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in cases}
    names = list(cases)
    for index in range(rounds):
        for name in names if index % 2 == 0 else list(reversed(names)):
            rows[name].append(run_wrk(seconds=seconds, connections=connections, **cases[name]))
    return rows


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over a case's runs (req/s, p99), and the worst generator CPU and load seen."""

    def median(values: list[float]) -> float:
        ordered = sorted(values)
        middle = len(ordered) // 2
        return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2

    return {
        "rps": round(median([r["rps"] for r in rows]), 1),
        "p50_ms": round(median([r.get("p50_ms", 0.0) for r in rows]), 3),
        "p99_ms": round(median([r.get("p99_ms", 0.0) for r in rows]), 3),
        "errors": int(sum(r["non_2xx"] + r["socket_errors"] for r in rows)),
        "generator_cpu_pct_max": max(r["generator_cpu_pct"] for r in rows),
        "server_cpu_pct_median": round(median([r.get("server_cpu_pct", 0.0) for r in rows]), 1),
        "server_cpu_us_per_req_median": round(median([r.get("server_cpu_us_per_req", 0.0) for r in rows]), 1),
        "loadavg": [r["loadavg"] for r in rows],
        "rps_runs": [r["rps"] for r in rows],
    }
