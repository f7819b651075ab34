"""Which channel serves which `integration`: one `ChannelKind` descriptor per kind, registered here.

The instance service reads everything integration-specific from the descriptor (which fields
`/instance/create` requires, the stored status of a new instance, whether create shows a QR), so
adding a channel kind is its folder plus one line in `default_kinds()`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from evolution_py.channels.base import Channel, ConnectionState, InstanceContext
from evolution_py.config import Settings

ChannelFactory = Callable[[InstanceContext, Settings], Channel]


@dataclass(frozen=True)
class ChannelKind:
    integration: str  # upstream's `integration` value
    factory: ChannelFactory | None  # None: a known integration this server cannot serve yet
    initial_status: ConnectionState = "open"  # `connectionStatus` stored for a new instance
    requires_token: bool = False  # `/instance/create` refuses it without `token`
    requires_number: bool = False  # ... without `number`
    qrcode_on_create: bool = False  # `qrcode: true` on create connects and answers the first QR
    meta_webhook: bool = False  # create answers `webhookWaBusiness` / `accessTokenWaBusiness`
    # Parses the kind's own variables; run at start so a malformed one stops the server there.
    check_settings: Callable[[Settings], object] | None = None

    def create_problem(self, *, token: str | None, number: str | None) -> str | None:
        """Why `/instance/create` refuses these fields for this kind (upstream's text), or None."""
        if self.requires_token and not token:
            return "token is required"
        if self.requires_number and not number:
            return "number is required"
        if self.factory is None:
            return f"The {self.integration} integration is not available on this server yet"
        return None


class ChannelKinds:
    """The registered kinds by integration; tests swap a kind's factory for a scripted channel."""

    def __init__(self, kinds: list[ChannelKind]) -> None:
        self._kinds = {kind.integration: kind for kind in kinds}

    def get(self, integration: str) -> ChannelKind | None:
        return self._kinds.get(integration)

    def __contains__(self, integration: object) -> bool:
        return integration in self._kinds

    def __iter__(self) -> Iterator[ChannelKind]:
        return iter(self._kinds.values())

    def serves(self, integration: str) -> bool:
        kind = self._kinds.get(integration)
        return kind is not None and kind.factory is not None

    def build(self, integration: str, ctx: InstanceContext, settings: Settings) -> Channel | None:
        kind = self._kinds.get(integration)
        if kind is None or kind.factory is None:
            return None
        return kind.factory(ctx, settings)

    def check_settings(self, settings: Settings) -> None:
        """Parse every kind's variables once, at start (ConfigError names a malformed one)."""
        for kind in self._kinds.values():
            if kind.check_settings is not None:
                kind.check_settings(settings)

    def set_factory(self, integration: str, factory: ChannelFactory) -> None:
        kind = self._kinds.get(integration) or ChannelKind(integration=integration, factory=None)
        self._kinds[integration] = replace(kind, factory=factory)


def _evolution(ctx: InstanceContext, _settings: Settings) -> Channel:
    from evolution_py.channels.evolution import EvolutionChannel  # noqa: PLC0415 - loaded per kind

    return EvolutionChannel(ctx)


def _whatsmeow(ctx: InstanceContext, settings: Settings) -> Channel:
    # Imported on use: a server with only EVOLUTION instances never loads neonize.
    from evolution_py.channels.whatsapp_web import create_channel  # noqa: PLC0415 - neonize is heavy

    return create_channel(ctx, settings)


def _cloud_api(ctx: InstanceContext, settings: Settings) -> Channel:
    from evolution_py.channels.cloud_api import create_channel  # noqa: PLC0415 - loaded per kind

    return create_channel(ctx, settings)


def _cloud_api_settings(settings: Settings) -> object:
    from evolution_py.channels.cloud_api.config import load_config  # noqa: PLC0415 - loaded per kind

    return load_config(settings)


def default_kinds() -> ChannelKinds:
    return ChannelKinds(
        [
            ChannelKind("WHATSAPP-BAILEYS", _whatsmeow, initial_status="close", qrcode_on_create=True),
            ChannelKind(
                "WHATSAPP-BUSINESS",
                _cloud_api,
                requires_token=True,
                requires_number=True,
                meta_webhook=True,
                check_settings=_cloud_api_settings,
            ),
            ChannelKind("EVOLUTION", _evolution),
        ]
    )
