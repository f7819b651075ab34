"""What a sink slice declares about itself: one `SinkKind`, registered by one line in `sinks/registry.py`.

A slice (`sinks/<name>/`) holds its settings (`config.py`), the sink the bus delivers through
(`sink.py`), its HTTP routes (`routes.py`) and its test helper (`testing.py`); its `__init__.py`
describes it with a `SinkKind`: how its settings are read, what a `/instance/create` body may ask of
it, which table `fetchInstances` shows, how the sink is built and what it serves.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, cast
from weakref import WeakKeyDictionary

from evolution_py.config import Env, Settings
from evolution_py.dto.instance import CreateInstanceRequest
from evolution_py.events.sink import Sink
from evolution_py.events.subscriptions import Subscriptions

if TYPE_CHECKING:
    from litestar.types import ControllerRouterHandler

C = TypeVar("C")  # the slice's settings, parsed once from the environment
S = TypeVar("S", bound=Sink)  # the sink object the bus delivers through

# Any ASGI application (scope, receive, send): Litestar, or socket.io in front of it.
AsgiApp = Callable[[Any, Any, Any], Awaitable[None]]


class TokenHolder(Protocol):
    @property
    def token(self) -> str | None: ...


class InstanceDirectory(Protocol):
    """The loaded instances by name (the instance registry): what a sink may ask about them."""

    def get(self, name: str) -> TokenHolder | None: ...


class ObjectStore(Protocol):
    """Media storage (S3 / MinIO, media_store/) as a sink may use it: put a file, get a link to it."""

    async def put_object(self, file_name: str, data: bytes, content_type: str) -> str: ...


@dataclass(frozen=True)
class SinkContext:
    """What a sink's factory gets from the server it is built for."""

    settings: Settings
    subscriptions: Subscriptions
    instances: InstanceDirectory
    objects: ObjectStore | None = None  # S3 / MinIO when S3_ENABLED (SQS puts oversized bodies there)


@dataclass(frozen=True, eq=False)
class SinkKind(Generic[C, S]):
    name: str  # the sink's name on the bus and the kind of its per-instance row ("webhook", "websocket", ...)
    load_config: Callable[[Env], C]
    # The row a v2 `/instance/create` body asks for (None: the body has no block for this sink, or
    # the sink is switched off); raise BadRequest or SubscriptionError for a block it refuses.
    rows_from_create: Callable[[C, CreateInstanceRequest], dict[str, Any] | None]
    # A check of the create body that needs I/O (e.g. resolving a webhook url's host); BadRequest to refuse.
    check_create: Callable[[C, CreateInstanceRequest], Awaitable[None]] | None = None
    fetch_key: str | None = None  # the `fetchInstances` key of its row, None when the row is not shown
    build: Callable[[C, SinkContext], S | None] | None = None  # None: stored rows only, no sink yet
    # Its routes, imported when the app is built: route modules import the guards, which import the
    # services, which import this registry (through the instance service).
    routes: Callable[[], Sequence[ControllerRouterHandler]] | None = None
    wrap_asgi: Callable[[S, AsgiApp], AsgiApp] | None = None  # an ASGI app the sink puts in front
    _parsed: WeakKeyDictionary[Env, C] = field(default_factory=WeakKeyDictionary, init=False, repr=False)

    def config(self, env: Env) -> C:
        """The slice's settings for this environment: read at start (building the sinks) and only
        looked up afterwards, so a request never re-reads a variable."""
        try:
            return self._parsed[env]
        except KeyError:
            value = self._parsed[env] = self.load_config(env)
            return value


class InstalledSinks:
    """The sinks one server built, by kind (typed: `installed.get(RABBITMQ)` is a `RabbitMQSink | None`)."""

    def __init__(self) -> None:
        self._sinks: dict[SinkKind[Any, Any], Sink] = {}

    def add(self, kind: SinkKind[Any, S], sink: S) -> None:
        self._sinks[kind] = sink

    def get(self, kind: SinkKind[Any, S]) -> S | None:
        # `add` stored it under its own kind, so it is that kind's sink type.
        return cast("S | None", self._sinks.get(kind))

    def items(self) -> Iterator[tuple[SinkKind[Any, Any], Sink]]:
        return iter(self._sinks.items())
