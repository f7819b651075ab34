"""Issue 10 item 13: the OpenAPI schema is true. schemathesis (its own CLI, a real HTTP client) fuzzes
every operation the schema lists against a real running server, and checks that no answer is a 500
and every answer matches the schema: its status is declared, its content type, and its body.

General on purpose: a new route is fuzzed the day it is registered. What a route must declare to pass
is in docs/architecture.md ("Routes and the OpenAPI schema").
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.scripted_channel import scripted_factories
from tests.support.server import running_server

# Examples per operation: enough to reach every declared field, small enough for CI (< 90 s).
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "8"))
TIME_BUDGET_SECONDS = 150


# Per operation exceptions, each with its reason (schemathesis.toml's `[[operations]]`).
CONFIG = """
[checks]
not_a_server_error.enabled = true
status_code_conformance.enabled = true
content_type_conformance.enabled = true
response_schema_conformance.enabled = true
positive_data_acceptance.enabled = false
negative_data_rejection.enabled = false
missing_required_header.enabled = false
use_after_free.enabled = false
ensure_resource_availability.enabled = false
ignored_auth.enabled = false
unsupported_method.enabled = false
response_headers_conformance.enabled = false
allow_header_conformance.enabled = false

# Upstream answers an unknown `numberId` with an empty body labelled application/json (kept as is):
# not JSON, so this one answer is not checked against its schema.
[[operations]]
include-path = "/webhook/evolution"
checks.response_schema_conformance.enabled = false
checks.content_type_conformance.enabled = false
"""


def schemathesis_command(base_url: str, api_key: str, report_dir: Path) -> list[str]:
    cli = Path(sys.executable).with_name("schemathesis")
    config = report_dir / "schemathesis.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(CONFIG)
    return [
        str(cli),
        "--config-file",
        str(config),
        "run",
        f"{base_url}/schema/openapi.json",
        "--mode",
        "positive",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        "10013",
        "--generation-database",
        "none",
        "--phases",
        "examples,fuzzing",
        "--workers",
        "1",  # hypothesis' lambda descriptions are not thread-safe (a rare "AST recursion" error)
        "--request-timeout",
        "20",
        "--continue-on-failure",
        "--no-shrink",
        "--no-color",
        "--warnings",
        "off",
        "-H",
        f"apikey: {api_key}",
        "--report-dir",
        str(report_dir),
        *(["--include-path-regex", os.environ["FUZZ_ONLY"]] if os.environ.get("FUZZ_ONLY") else []),
    ]


@pytest.mark.slow
async def test_every_operation_answers_what_the_schema_says(tmp_path: Path) -> None:
    env: dict[str, Any] = {
        "DATABASE_PROVIDER": "sqlite",
        "DATABASE_CONNECTION_URI": f"sqlite:///{tmp_path / 'fuzz.db'}",
        "WEBHOOK_BLOCK_PRIVATE_NETWORKS": "true",  # fuzzed URLs must not reach this machine's services
        "WEBHOOK_REQUEST_TIMEOUT_MS": "2000",
    }
    async with running_server(tmp_path / "data", env, factories=scripted_factories()) as srv:
        started = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            *schemathesis_command(srv.base_url, srv.api_key, tmp_path / "report"),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
        )
        output, _ = await asyncio.wait_for(proc.communicate(), TIME_BUDGET_SECONDS + 60)
        elapsed = time.monotonic() - started
    text = output.decode("utf-8", "replace")
    (tmp_path / "report" / "output.txt").write_text(text)
    if os.environ.get("FUZZ_OUTPUT"):
        Path(os.environ["FUZZ_OUTPUT"]).write_text(text)
    print(f"\nschemathesis: {MAX_EXAMPLES} examples per operation, {elapsed:.1f}s\n{text[-3000:]}")
    assert proc.returncode == 0, text[-20000:]
