"""Which channel serves which `integration`."""

from __future__ import annotations

from typing import Any

from evolution_py.channels.base import Channel
from evolution_py.channels.evolution import EvolutionChannel
from evolution_py.config import Settings


def _evolution(ctx: Any, _settings: Settings) -> Channel:
    return EvolutionChannel(ctx)  # type: ignore[return-value]


def default_factories() -> dict[str, Any]:
    factories: dict[str, Any] = {"EVOLUTION": _evolution}
    return factories
