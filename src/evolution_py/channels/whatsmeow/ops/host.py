"""What an operations mixin may use of the channel it is mixed into."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from evolution_py.channels.base import InstanceContext


class OpsHost(Protocol):
    # The neonize client: `neonize.aioze.client.NewAClient`, or in tests a fake with the same methods
    # that records calls and answers with neonize's real protobuf types.
    client: Any
    ctx: InstanceContext

    def require_open(self) -> None:
        """Raise ChannelError(f'The "{name}" instance is not connected', status=400) unless open."""


class OpsMixin:
    """Base of every operations mixin: declares, for the type checker only, what `OpsHost` gives
    (declaring them for real would shadow the channel's own attributes in the MRO)."""

    if TYPE_CHECKING:
        client: Any
        ctx: InstanceContext

        def require_open(self) -> None: ...
