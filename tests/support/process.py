"""The server as a real subprocess (`python -m evolution_py serve`), for restarts and `kill -9`."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.support.server import TEST_API_KEY, free_port

SRC = Path(__file__).resolve().parents[2] / "src"


class ServerProcess:
    def __init__(self, data_dir: Path, env: dict[str, str], port: int | None = None) -> None:
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "PYTHONPATH": str(SRC),
            "AUTHENTICATION_API_KEY": TEST_API_KEY,
            "SERVER_PORT": str(self.port),
            "SERVER_URL": self.base_url,
            "DATA_DIR": str(data_dir),
            "LOG_LEVEL": "WARN",
            **env,
        }
        self.log_path = data_dir / f"server-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def spawn(self) -> subprocess.Popen[bytes]:
        with self.log_path.open("ab") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "evolution_py", "--env-file", "/dev/null", "serve", "--host", "127.0.0.1"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def start(self, within: float = 30.0) -> None:
        self.proc = self.spawn()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        async with httpx.AsyncClient(base_url=self.base_url, timeout=2) as client:
            while loop.time() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(
                        f"server exited with {self.proc.returncode}: {self.log_path.read_text()[-3000:]}"
                    )
                try:
                    if (await client.get("/")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError(f"server did not start in {within}s: {self.log_path.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown hook runs."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    async def signal(self, sig: signal.Signals, within: float = 30.0) -> int:
        """Send `sig` and wait for the exit without blocking the loop (a graceful stop may still
        need this process's receivers to answer)."""
        assert self.proc is not None
        self.proc.send_signal(sig)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while self.proc.poll() is None:
            if loop.time() > deadline:
                raise RuntimeError(f"server did not exit within {within}s after {sig.name}")
            await asyncio.sleep(0.05)
        return self.proc.returncode

    def ensure_stopped(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
