"""The console script as a user runs it: version, migrate, serve (a subprocess on a free port)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.server import free_port


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "AUTHENTICATION_"))}
    env.update({"DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(Path(__file__).parents[2] / "src"), **extra})
    return env


def test_version_and_migrate(tmp_path: Path) -> None:
    version = subprocess.run(
        [sys.executable, "-m", "evolution_py", "version"],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        check=True,
    )
    assert version.stdout.startswith("evolution-py ")
    migrate = subprocess.run(
        [sys.executable, "-m", "evolution_py", "migrate"],
        capture_output=True,
        text=True,
        env=_env(tmp_path, AUTHENTICATION_API_KEY="cli-test-key-0123456789"),
        check=True,
        cwd=tmp_path,
    )
    assert "latest schema" in migrate.stdout
    assert (tmp_path / "data" / "evolution.db").is_file()


def test_bad_configuration_stops_the_server_with_the_variable_name(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "evolution_py", "serve"],
        capture_output=True,
        text=True,
        env=_env(tmp_path, SERVER_PORT="abc"),
        cwd=tmp_path,
        timeout=60,
    )
    assert run.returncode == 2
    assert "SERVER_PORT" in run.stderr


def test_the_upstream_example_key_stops_the_server(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "evolution_py", "serve"],
        capture_output=True,
        text=True,
        env=_env(tmp_path, AUTHENTICATION_API_KEY="429683C4C977415CAAFCCE10F7D57E11"),
        cwd=tmp_path,
        timeout=60,
    )
    assert run.returncode == 2
    assert "AUTHENTICATION_API_KEY is a published example" in run.stderr


def test_serve_prints_the_generated_key_once_and_answers(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "evolution_py", "serve", "--host", "127.0.0.1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=_env(tmp_path, SERVER_PORT=str(port)),
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        key = (tmp_path / "data" / "api-key").read_text().strip()
        ok = httpx.post(f"http://127.0.0.1:{port}/verify-creds", headers={"apikey": key})
        assert ok.status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=60)
    assert output.count(key) == 1


def _run(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "evolution_py", *args],
        capture_output=True,
        text=True,
        env=_env(tmp_path, **extra),
        cwd=tmp_path,
        timeout=60,
    )


def test_migrate_prints_the_key_it_generates_and_key_shows_it_again(tmp_path: Path) -> None:
    migrate = _run(tmp_path, "migrate")
    assert migrate.returncode == 0, migrate.stderr
    key = (tmp_path / "data" / "api-key").read_text().strip()
    assert key in migrate.stdout  # `make run`: migrate creates the key, so migrate prints it
    again = _run(tmp_path, "migrate")
    assert key not in again.stdout and "data/api-key" in again.stdout  # where it is, not the key
    shown = _run(tmp_path, "key")
    assert shown.returncode == 0 and shown.stdout.strip() == key
    from_env = _run(tmp_path, "key", AUTHENTICATION_API_KEY="an-operator-chosen-key-0123")
    assert from_env.stdout.strip() == "an-operator-chosen-key-0123"


def test_a_bad_database_uri_is_one_line_with_the_cause_first(tmp_path: Path) -> None:
    for command in ("migrate", "serve"):
        run = _run(
            tmp_path,
            command,
            AUTHENTICATION_API_KEY="cli-test-key-0123456789",
            DATABASE_PROVIDER="postgresql",
            DATABASE_CONNECTION_URI="postgresql://someone:hunter2secret@127.0.0.1:1/nowhere",
        )
        assert run.returncode == 2
        lines = [line for line in run.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, run.stderr
        assert lines[0].startswith("evolution-py: cannot use the database: ")
        assert "refused" in lines[0].lower() or "connect" in lines[0].lower()
        assert "hunter2secret" not in run.stderr + run.stdout
        assert "Traceback" not in run.stderr


def test_the_example_env_does_not_flood_debug_lines_of_libraries(tmp_path: Path) -> None:
    # .env.example's LOG_LEVEL lists DEBUG: ours may say debug lines, no library may, Alembic is quiet.
    example = (Path(__file__).parents[2] / ".env.example").read_text()
    (tmp_path / ".env").write_text(example)
    run = _run(tmp_path, "migrate", AUTHENTICATION_API_KEY="cli-test-key-0123456789", DATA_DIR=str(tmp_path / "d"))
    assert run.returncode == 0, run.stderr
    noisy = [
        line
        for line in (run.stdout + run.stderr).splitlines()
        if (" DEBUG " in line and " evolution_py" not in line) or " alembic" in line
    ]
    assert noisy == []
