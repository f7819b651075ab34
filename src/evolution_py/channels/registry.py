"""Which channel serves which `integration`."""

from __future__ import annotations

from typing import Any

from evolution_py.channels.base import Channel
from evolution_py.channels.evolution import EvolutionChannel
from evolution_py.config import Settings


def _evolution(ctx: Any, _settings: Settings) -> Channel:
    return EvolutionChannel(ctx)  # type: ignore[return-value]


def _whatsmeow(ctx: Any, settings: Settings) -> Channel:
    # Imported on use: a server with only EVOLUTION instances never loads neonize.
    from evolution_py.channels.whatsmeow import create_channel

    return create_channel(ctx, settings)  # type: ignore[no-any-return]


def default_factories() -> dict[str, Any]:
    factories: dict[str, Any] = {"EVOLUTION": _evolution, "WHATSAPP-BAILEYS": _whatsmeow}
    return factories
