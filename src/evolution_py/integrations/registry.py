"""Every integration this server runs: one line each in `default_integrations`.

The chatbot engine (issue 12, `integrations/chatbots/`); Chatwoot comes with issue 13. The seam itself
is tested end to end with an integration defined in the tests (`tests/integrations/test_integration_seam.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from evolution_py.events.bus import EventBus
from evolution_py.integrations.base import Integration, IntegrationContext, IntegrationSink
from evolution_py.integrations.chatbots.registry import chatbot_engine

IntegrationFactory = Callable[[IntegrationContext], Integration | None]  # None: switched off by configuration


def default_integrations() -> list[IntegrationFactory]:
    return [
        chatbot_engine,  # issue 12: the seven bot kinds on one engine
    ]


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
