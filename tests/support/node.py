"""Drive the npm clients under tests/node from pytest; installs them with `npm ci` on a fresh machine."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import msgspec
import pytest

NODE_DIR = Path(__file__).resolve().parent.parent / "node"


def node_clients() -> Path:
    """The tests/node folder with its node_modules installed (skips only when node itself is absent)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are not installed on this machine")
    if not (NODE_DIR / "node_modules" / "socket.io-client").is_dir():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True, capture_output=True, timeout=300
        )
    return NODE_DIR


class NodeProcess:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[dict[str, Any]] = []

    async def next_line(self, within: float = 15.0) -> dict[str, Any]:
        assert self.process.stdout is not None
        raw = await asyncio.wait_for(self.process.stdout.readline(), within)
        assert raw, f"node exited early: {await self._stderr()}"
        line: dict[str, Any] = msgspec.json.decode(raw)
        self.lines.append(line)
        return line

    async def rest(self, within: float = 20.0) -> list[dict[str, Any]]:
        """Every remaining line, after the script exits."""
        assert self.process.stdout is not None
        out = await asyncio.wait_for(self.process.stdout.read(), within)
        await asyncio.wait_for(self.process.wait(), within)
        lines = [msgspec.json.decode(raw) for raw in out.splitlines() if raw.strip()]
        self.lines.extend(lines)
        return lines

    async def _stderr(self) -> str:
        assert self.process.stderr is not None
        return (await self.process.stderr.read()).decode(errors="replace")


@asynccontextmanager
async def node_script(script: str, *args: str) -> AsyncIterator[NodeProcess]:
    folder = node_clients()
    process = await asyncio.create_subprocess_exec(
        "node", str(folder / script), *args, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        yield NodeProcess(process)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
