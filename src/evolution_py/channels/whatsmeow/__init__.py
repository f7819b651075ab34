"""The `WHATSAPP-BAILEYS` channel on neonize (whatsmeow). Only code under this package imports neonize."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from evolution_py.channels.base import Channel, InstanceContext
    from evolution_py.config import Settings


def create_channel(ctx: InstanceContext, settings: Settings) -> Channel:
    """The registry's factory; the channel module (and neonize) load only when an instance needs them."""
    from evolution_py.channels.whatsmeow.channel import WhatsmeowChannel  # noqa: PLC0415 - neonize is heavy

    return WhatsmeowChannel(ctx, settings)
