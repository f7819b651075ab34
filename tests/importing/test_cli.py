"""`evolution-py import` as an operator runs it: a subprocess, --dry-run writes nothing, then the
import prints per-instance progress and the summary table; a bad source URL is one line, exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.importing import upstream_data as data
from tests.importing.sources import fill_postgres, postgres_source


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "evolution_py", "--env-file", "/nonexistent", "import", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_cli_dry_run_then_import(tmp_path: Path) -> None:
    env = {
        "DATABASE_PROVIDER": "sqlite",
        "DATABASE_CONNECTION_URI": f"sqlite:///{tmp_path / 'evolution.db'}",
        "DATA_DIR": str(tmp_path),
        "AUTHENTICATION_API_KEY": "test-global-key-0123456789",
        "LOG_LEVEL": "WARN",
    }
    async with postgres_source() as source:
        await fill_postgres(source, [data.Spec("one", 300, 5, 4), data.Spec("two", 10, 2, 2)], updates=3)
        dry = _cli(["evolution-api", "--source-url", source, "--dry-run", "--instances", "one,ghost"], env)
        assert dry.returncode == 0, dry.stderr
        assert "Would import (nothing written)" in dry.stdout and "no instance 'ghost'" in dry.stdout
        assert [ln.split() for ln in dry.stdout.splitlines() if ln.startswith("one ") and " Message " in ln] == [
            ["one", "Message", "300"]
        ]
        assert not any(ln.startswith("two ") for ln in dry.stdout.splitlines())
        assert not (tmp_path / "evolution.db").exists()

        done = _cli(["evolution-api", "--source-url", source, "--batch-size", "100"], env)
        assert done.returncode == 0, done.stderr
        assert "[1/2] one: " in done.stdout and "[2/2] two: " in done.stdout
        rows = [ln.split() for ln in done.stdout.splitlines() if ln.startswith("one ") and " Message " in ln]
        assert rows == [["one", "Message", "300", "300", "0"]]
        assert "Session: Baileys credentials: converted into the WhatsApp session file" in done.stdout

    bad = _cli(["evolution-go", "--source-url", "oracle://x"], env)
    assert bad.returncode == 2 and bad.stderr.startswith("evolution-py import: --source-url: unsupported")
