"""The objects one server process shares between routes, channels and sinks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from litestar import Litestar, Request, Response
from litestar.connection import ASGIConnection

from evolution_py.channels.base import Channel
from evolution_py.config import Settings
from evolution_py.core.messaging import MessagingService
from evolution_py.events.bus import EventBus
from evolution_py.events.subscriptions import Subscriptions
from evolution_py.instances.manager import InstanceManager
from evolution_py.sinks.kind import InstalledSinks
from evolution_py.store.db import Database

# The Evolution Go dialect's create, which shares `POST /instance/create` with v2.
GoCreateHandler = Callable[[Request[Any, Any, Any], dict[str, Any]], Awaitable[Response[Any]]]


@dataclass
class Services:
    settings: Settings
    db: Database
    bus: EventBus
    manager: InstanceManager
    subscriptions: Subscriptions
    messaging: MessagingService
    sinks: InstalledSinks = field(default_factory=InstalledSinks)  # the sinks on the bus, by kind
    go_create: GoCreateHandler | None = None
    app: Litestar | None = None  # the Litestar app serving these services, once built


def services_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Services:
    return connection.app.state.services  # type: ignore[no-any-return]


def channel_of(connection: ASGIConnection[Any, Any, Any, Any], name: str) -> Channel:
    """The channel of the instance a route names (404 envelope when it is not loaded)."""
    return services_of(connection).manager.require(name).channel


def messaging_of(connection: ASGIConnection[Any, Any, Any, Any]) -> MessagingService:
    return services_of(connection).messaging
