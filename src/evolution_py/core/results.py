"""What the instance service takes and answers: typed values, never wire JSON (the dialects in api/
turn these into their own envelopes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from evolution_py.channels.base import ConnectionState, InstanceSettings, ProxyConfig, QrCode
from evolution_py.channels.registry import ChannelKind
from evolution_py.core.runtime import InstanceRuntime


@dataclass(frozen=True)
class NewInstance:
    """A validated create request, whichever dialect sent it."""

    name: str
    integration: str
    token: str
    instance_id: str
    settings: InstanceSettings = field(default_factory=InstanceSettings)
    proxy: ProxyConfig = field(default_factory=ProxyConfig)
    sinks: dict[str, dict[str, Any]] = field(default_factory=dict)  # sink rows by sink name
    number: str | None = None
    business_id: str | None = None
    unique_token: bool = False  # refuse a token another instance holds (token-only routes need it)
    connect: bool = False  # connect right away and wait briefly for the first QR (if the kind shows one)


@dataclass(frozen=True)
class Created:
    runtime: InstanceRuntime
    kind: ChannelKind
    token: str
    settings: InstanceSettings
    status: ConnectionState  # the channel's state when create answered
    qrcode: QrCode | None = None  # set when `connect` was asked and the kind shows a QR on create


@dataclass(frozen=True)
class ConnectOutcome:
    """After connect or restart: the session is open, or a QR / pairing code is (being) shown."""

    is_open: bool
    qrcode: QrCode


@dataclass(frozen=True)
class StoredProxy:
    """The stored proxy row of an instance."""

    id: str
    config: ProxyConfig
    created_at: datetime | None
    updated_at: datetime | None
    instance_id: str
