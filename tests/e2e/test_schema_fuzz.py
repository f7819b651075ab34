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

# Examples per operation, valid and invalid (FUZZ_MODE=all): enough to reach every declared field,
# small enough for CI (< 90 s).
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "8"))
TIME_BUDGET_SECONDS = 240  # a hard stop; the run takes ~60 s on two busy cores


# schemathesis.toml: the checks that run (an undeclared status, content type or body, and any 500;
# not whether a 4xx was "deserved"), the instances path parameters name, and the few per-operation
# exceptions (`[[operations]]`), each with its reason.
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

# Path parameters name real instances, so operations reach their handlers' answers (not only 404s).
[parameters]
instanceName = "fuzz-evolution"
instanceId = "fuzz-evolution"

# ... but every DELETE (instance delete and logout, dead letters, chats, ...) works on another one, so
# the rest of the run keeps its instance.
[[operations]]
include-method = "DELETE"
parameters = { instanceName = "fuzz-doomed" }

# Upstream answers an unknown `numberId` with an empty body labelled application/json (kept as is):
# not JSON, so this one answer is not checked against its schema.
[[operations]]
include-path = "/webhook/evolution"
checks.response_schema_conformance.enabled = false
checks.content_type_conformance.enabled = false

# Likewise a disabled sink's routes (upstream's `res.json(undefined)`); the brokers stay off here, so
# the fuzz run does not write into the shared ones. Enabled sinks are checked like any route.
[[operations]]
include-path-regex = "^/(rabbitmq|nats|sqs|kafka|pusher)/"
checks.response_schema_conformance.enabled = false
checks.content_type_conformance.enabled = false

# The chatbot routes answer a rule their body breaks ("Trigger value is required", an unknown bot on
# delete) as upstream does: 500 in upstream's envelope, which clients match on. The envelope is still
# checked against the schema; only the status is upstream's.
[[operations]]
include-path-regex = "^/(evolutionBot|typebot|openai|dify|flowise|n8n|evoai)/"
checks.not_a_server_error.enabled = false
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
        os.environ.get("FUZZ_MODE", "all"),  # valid and invalid input alike
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


def keep_output(text: str, report_dir: Path) -> None:
    """schemathesis' whole report, beside its files and where FUZZ_OUTPUT says."""
    (report_dir / "output.txt").write_text(text)
    if os.environ.get("FUZZ_OUTPUT"):
        Path(os.environ["FUZZ_OUTPUT"]).write_text(text)


@pytest.mark.slow
async def test_every_operation_answers_what_the_schema_says(tmp_path: Path) -> None:
    env: dict[str, Any] = {
        "DATABASE_PROVIDER": "sqlite",
        "DATABASE_CONNECTION_URI": f"sqlite:///{tmp_path / 'fuzz.db'}",
        "WEBHOOK_BLOCK_PRIVATE_NETWORKS": "true",  # fuzzed URLs must not reach this machine's services
        "WEBHOOK_REQUEST_TIMEOUT_MS": "2000",
        "WEBSOCKET_ENABLED": "true",
    }
    async with running_server(tmp_path / "data", env, factories=scripted_factories()) as srv:
        await srv.create_instance("fuzz-evolution", "EVOLUTION", number="5511999990000")
        await srv.create_instance("fuzz-doomed", "EVOLUTION", number="5511999990001")
        started = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            *schemathesis_command(srv.base_url, srv.api_key, tmp_path / "report"),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            cwd=tmp_path,  # schemathesis keeps a `.schemathesis/` cache in its working directory
        )
        try:
            output, _ = await asyncio.wait_for(proc.communicate(), TIME_BUDGET_SECONDS)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise
        elapsed = time.monotonic() - started
        kept = await srv.client.get("/instance/connectionState/fuzz-evolution", headers=srv.headers())
    # Operations reached a real instance until the end (a 404 everywhere would prove little).
    assert kept.status_code == 200, kept.text
    text = output.decode("utf-8", "replace")
    keep_output(text, tmp_path / "report")
    print(f"\nschemathesis: {MAX_EXAMPLES} examples per operation, {elapsed:.1f}s\n{text[-3000:]}")
    assert proc.returncode == 0, text[-20000:]
