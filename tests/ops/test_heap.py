"""SERVER_GC_FREEZE (ops/heap.py): the served process freezes its start-up heap, and serves as before."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from tests.support.process import SRC, ServerProcess
from tests.support.server import TEST_API_KEY, unique


def test_settle_freezes_what_is_alive_and_widens_the_young_generation() -> None:
    # In a process of its own: a frozen heap would stay frozen for the rest of this test session.
    code = (
        "import gc; from evolution_py.ops import heap; keep = [[i] for i in range(5000)]; "
        "n = heap.settle(); print(n, gc.get_freeze_count(), gc.get_threshold()[0])"
    )
    out = subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": str(SRC)}, capture_output=True, text=True)
    frozen, count, young = out.stdout.split()
    assert int(frozen) == int(count) > 5000 and int(young) == 7000


async def served(tmp_path: Path, freeze: str) -> str:
    server = ServerProcess(tmp_path, {"LOG_LEVEL": "INFO", "SERVER_GC_FREEZE": freeze})
    await server.start()
    try:
        name = unique("heap")
        async with httpx.AsyncClient(base_url=server.base_url, headers={"apikey": TEST_API_KEY}) as client:
            created = await client.post("/instance/create", json={"instanceName": name, "integration": "EVOLUTION"})
            assert created.status_code == 201, created.text
            sent = await client.post(f"/message/sendText/{name}", json={"number": "5511999990000", "text": "hi"})
            assert sent.status_code == 201, sent.text
    finally:
        server.kill()
    return server.log_path.read_text()


async def test_the_served_process_freezes_its_start_up_heap_unless_told_not_to(tmp_path: Path) -> None:
    for sub in ("on", "off"):
        (tmp_path / sub).mkdir()
    log = await served(tmp_path / "on", "true")
    assert "start-up heap frozen out of the garbage collector" in log
    log = await served(tmp_path / "off", "false")
    assert "heap frozen" not in log
