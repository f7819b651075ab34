"""Sinks upstream has and we do not deliver to yet (SQS): their rows are stored and reported.

A `/instance/create` block is stored while the sink's `*_ENABLED` variable is true, and
`fetchInstances` shows the row, as upstream does; no events go anywhere until the sink gets its slice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from evolution_py.config import Env
from evolution_py.dto.instance import CreateInstanceRequest, EventsBlock
from evolution_py.events.sink import Sink
from evolution_py.sinks.event_rows import row_from_create_block
from evolution_py.sinks.kind import SinkKind


class SinkSwitch(msgspec.Struct, kw_only=True, frozen=True):
    enabled: bool = False


def stored_only(
    name: str, variable: str, fetch_key: str, block_of: Callable[[CreateInstanceRequest], EventsBlock | None]
) -> SinkKind[SinkSwitch, Sink]:
    def load(env: Env) -> SinkSwitch:
        return SinkSwitch(enabled=env.flag(variable, False))

    def rows_from_create(switch: SinkSwitch, req: CreateInstanceRequest) -> dict[str, Any] | None:
        return row_from_create_block(name, switch.enabled, block_of(req))

    return SinkKind(name=name, load_config=load, rows_from_create=rows_from_create, fetch_key=fetch_key)


SQS = stored_only("sqs", "SQS_ENABLED", "Sqs", lambda req: req.sqs)
