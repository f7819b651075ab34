"""The `WHATSAPP-BAILEYS` channel on neonize (whatsmeow). Only code under this package imports neonize."""

from __future__ import annotations

from typing import Any


def create_channel(ctx: Any, settings: Any) -> Any:
    """The registry's factory; the channel module (and neonize) load only when an instance needs them."""
    from evolution_py.channels.whatsmeow.channel import WhatsmeowChannel

    return WhatsmeowChannel(ctx, settings)
