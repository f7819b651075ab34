"""The `WHATSAPP-BUSINESS` channel on Meta's WhatsApp Cloud API (Graph API over HTTPS).

- `channel.py`    lifecycle (always `open`; logout closes until the next connect); composes the features
- `graph.py`      the only road to Meta: bearer token, bounded time-limited exchanges, 429/5xx retried
                  with backoff, refusals as `MetaError` (Meta's code and message)
- `sender.py`     the one send path (`/{phone-number-id}/messages`) and the sent-message record
- features        `messages.py`, `media.py`, `chats.py`, `business.py`, `templates.py` (one capability
                  protocol each), `inbound.py` (a `/webhook/meta` change for this number)
- `config.py`     WA_BUSINESS_*; `models.py` the `Template` table; `webhook.py` what `/webhook/meta` needs
- `testing.py`    a fake Graph API for tests (aiohttp on 127.0.0.1) that checks requests as Meta documents them
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from evolution_py.channels.base import Channel, InstanceContext
    from evolution_py.config import Settings


def create_channel(ctx: InstanceContext, settings: Settings) -> Channel:
    """The registry's factory: each instance talks to Meta through its own unguarded `OutboundClient`
    (WA_BUSINESS_URL is the operator's choice, not a tenant's), and to a send's `webhookUrl` (a
    tenant's) through a guarded one (WEBHOOK_BLOCK_PRIVATE_NETWORKS); both closed with the channel."""
    from evolution_py import __version__  # noqa: PLC0415 - loaded with the kind
    from evolution_py.channels.cloud_api.channel import CloudApiChannel  # noqa: PLC0415 - loaded per kind
    from evolution_py.channels.cloud_api.config import load_config  # noqa: PLC0415 - loaded per kind
    from evolution_py.outbound import OutboundClient  # noqa: PLC0415 - loaded per kind

    agent = f"evolution-py/{__version__}"
    http = OutboundClient(block_private_networks=False, user_agent=agent)
    tenant_http = OutboundClient(
        block_private_networks=settings.env.flag("WEBHOOK_BLOCK_PRIVATE_NETWORKS", False), user_agent=agent
    )
    return CloudApiChannel(ctx, load_config(settings), http, tenant_http)
