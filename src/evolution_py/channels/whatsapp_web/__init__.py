"""The `WHATSAPP-BAILEYS` channel on WhatsApp Web through neonize (whatsmeow). Only code under this
package imports neonize.

- `channel.py`    connection lifecycle; composes the features below over one `Session`
- `pairing.py`    QR codes and the pairing code while a device is being linked
- `session.py`    the only road to neonize: current client, generation, `call()` with a timeout,
                  `neonize()` (loads `neonize_api.py`, the one module importing neonize and its
                  protobufs, when a client is first opened: unconnected channels never load it)
- features        `messages.py`, `media.py`, `chats.py`, `profile.py`, `groups.py`, `labels.py`,
                  `calls.py`, `business.py` (one capability protocol each), `inbound.py` (events)
- `sender.py`     the one send path the messages and media features share
- helpers         `jids.py`, `media_loader.py`, `media_files.py`, `numbers.py`, `receive.py`,
                  `message_json.py` + `proto_json.py` (+ `field_renames.py`), `errors.py`
- process-wide    `device_store.py` (where a session lives, client factory), `pg_sessions.py` (a
                  PostgreSQL schema per instance), `session_adopt.py` (a file moved into it),
                  `threads.py`, `qr.py`
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from evolution_py.channels.base import Channel, InstanceContext
    from evolution_py.config import Settings


def create_channel(ctx: InstanceContext, settings: Settings) -> Channel:
    """The registry's factory; the channel module (and neonize) load only when an instance needs them."""
    from evolution_py.channels.whatsapp_web.channel import WhatsAppWebChannel  # noqa: PLC0415 - neonize is heavy

    return WhatsAppWebChannel(ctx, settings)
