"""Every integration this server runs: one line each in `default_integrations`.

Chatwoot (issue 13) and the chatbot engine (issue 12, `integrations/chatbots/`). The seam itself is
tested end to end with an integration defined in the tests (`tests/integrations/test_integration_seam.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from evolution_py.events.bus import EventBus
from evolution_py.integrations.base import Integration, IntegrationContext, IntegrationSink
from evolution_py.integrations.chatbots.registry import chatbot_engine, chatbot_routes
from evolution_py.integrations.chatwoot import integration as chatwoot
from evolution_py.integrations.chatwoot import routes as chatwoot_routes

IntegrationFactory = Callable[[IntegrationContext], Integration | None]  # None: switched off by configuration


def default_integrations() -> list[IntegrationFactory]:
    return [
        chatwoot.build,
        chatbot_engine,  # issue 12: the seven bot kinds on one engine
    ]


def integration_routes() -> list[Any]:
    """Each integration's HTTP routes (mounted whether or not it is switched on, as upstream does)."""
    return [*chatwoot_routes.ROUTES, *chatbot_routes()]


def install_integrations(
    context: IntegrationContext, bus: EventBus, factories: Sequence[IntegrationFactory]
) -> list[Integration]:
    """Build each switched-on integration and put it on the bus (durable like every sink)."""
    installed: list[Integration] = []
    for factory in factories:
        integration = factory(context)
        if integration is not None:
            bus.add_sink(IntegrationSink(integration))
            installed.append(integration)
    return installed
