"""Driving wrk from the message-path benches: one POST slice with a JSON summary from a Lua `done`
(status counts, `Retry-After` checks), its numbers and the generator's own CPU. bench/wrk.py parses
wrk's text output instead, for bench/api.py."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import tempfile
import time
from pathlib import Path

from wrk import WRK, cpu_seconds  # the same binary and /proc reading as bench/api.py's runs

_DONE = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"seconds":%f,"non2xx":%d,"errors":%d,"p50_ms":%f,"p99_ms":%f,"max_ms":%f}\n',
    summary.requests, summary.duration / 1e6, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
"""


# Counts answers by status, and 503s without Retry-After (one thread: `-t1`).
_COUNTING = r"""
local thread_ref
setup = function(thread) thread_ref = thread end
counts = {}
no_retry_after = 0
response = function(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
  if status == 503 and headers["Retry-After"] == nil and headers["retry-after"] == nil then
    no_retry_after = no_retry_after + 1
  end
end
done = function(summary, latency, requests)
  local e = summary.errors
  local parts = {}
  for status, n in pairs(thread_ref:get("counts")) do parts[#parts + 1] = string.format('"%d":%d', status, n) end
  io.write(string.format('{"requests":%d,"seconds":%f,"non2xx":%d,"errors":%d,"p50_ms":%f,"p99_ms":%f,'
    .. '"max_ms":%f,"no_retry_after":%d,"statuses":{%s}}\n',
    summary.requests, summary.duration / 1e6, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    thread_ref:get("no_retry_after"), table.concat(parts, ",")))
end
"""


def post_script(body: bytes, headers: dict[str, str], *, count_statuses: bool = False, delay_ms: float = 0) -> Path:
    """A wrk Lua script that POSTs `body` with `headers` and prints a JSON summary line
    (`count_statuses`: with the answers counted by status, at some cost in wrk's CPU; `delay_ms`:
    each connection waits that long before its next request, which paces the offered rate at about
    connections / (delay + latency))."""
    lines = ['wrk.method = "POST"', f"wrk.body = {_lua_string(body.decode())}"]
    if delay_ms:
        lines.append(f"delay = function() return {delay_ms:.3f} end")
    lines += [f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items()]
    fd, path = tempfile.mkstemp(suffix=".lua", prefix="bench-")
    with os.fdopen(fd, "w") as out:
        out.write("\n".join(lines) + "\n" + (_COUNTING if count_statuses else _DONE))
    return Path(path)


def _lua_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def wrk(url: str, script: Path, seconds: float, connections: int, server_pid: int | None = None) -> dict[str, float]:
    """One wrk slice (1 thread): its JSON summary plus `rps`, `wrk_cpu` (the generator's share of one
    core: near 1.0 means the generator, not the server, is the limit), `server_cpu` (the server's
    share of one core) and `server_cpu_seconds`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = cpu_seconds(server_pid) if server_pid else 0.0
    started = time.monotonic()
    cmd = [WRK, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", "-s", str(script), url]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    result["rps"] = result["requests"] / result["seconds"] if result["seconds"] else 0.0
    result["wrk_cpu"] = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / wall
    if server_pid:
        result["server_cpu_seconds"] = cpu_seconds(server_pid) - server_before
        result["server_cpu"] = result["server_cpu_seconds"] / wall
    return result


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])
