"""Every integration this server runs: one line each in `default_integrations`.

None is built yet (Chatwoot and the chatbots come with issues 12 and 13); the seam is tested with an
integration defined in the tests (`tests/integrations/`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from evolution_py.integrations.base import Integration, IntegrationSink

if TYPE_CHECKING:
    from evolution_py.services import Services

IntegrationFactory = Callable[["Services"], Integration | None]  # None: switched off by configuration


def default_integrations() -> list[IntegrationFactory]:
    return []


def install_integrations(services: Services, factories: list[IntegrationFactory]) -> list[Integration]:
    """Build each switched-on integration and put it on the bus (durable like every sink)."""
    installed: list[Integration] = []
    for factory in factories:
        integration = factory(services)
        if integration is not None:
            services.bus.add_sink(IntegrationSink(integration))
            installed.append(integration)
    return installed
