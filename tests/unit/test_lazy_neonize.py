"""neonize (the Go bridge) is loaded only when a WhatsApp Web channel is created: no module outside
channels/whatsapp_web imports it, so a server with only EVOLUTION instances never loads it. Run in a
fresh interpreter: this test process has long since imported neonize through other tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"

PROBE = """
import importlib, pkgutil, sys
import evolution_py
for info in pkgutil.walk_packages(evolution_py.__path__, "evolution_py."):
    name = info.name
    if ".whatsapp_web" in name or ".migrations" in name or name.endswith("__main__"):
        continue
    importlib.import_module(name)
    loaded = sorted(m for m in sys.modules if m == "neonize" or m.startswith("neonize."))
    if loaded:
        sys.exit(f"{name} loads neonize: {loaded[:3]}")
"""


def test_no_module_outside_whatsapp_web_loads_neonize(tmp_path: Path) -> None:
    # in a scratch folder: importing the ASGI entry point builds settings (and may write data/api-key)
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr or done.stdout
