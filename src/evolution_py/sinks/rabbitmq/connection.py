"""One AMQP connection kept open forever: reconnect with backoff, a confirming channel, declared topology.

Unlike upstream (10 reconnect attempts, then silence until restart; events dropped while down) this
never gives up, and `publish` raises `BrokerUnavailable` while disconnected so the bus keeps the
delivery and retries it: nothing is lost during an outage.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from typing import Any, cast

import aio_pika
import aiormq
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractExchange

from evolution_py.events.names import wire_names_of_key
from evolution_py.sinks.rabbitmq.config import RabbitSettings

log = logging.getLogger(__name__)

# Queue arguments upstream asserts on every queue: consumers that declare the same queue must match.
QUEUE_ARGUMENTS: dict[str, Any] = {"x-queue-type": "quorum"}


class BrokerUnavailable(Exception):
    """No usable connection right now (down, reconnecting, or the publish was cut off)."""


class TopologyError(Exception):
    """The broker refused a declaration (e.g. an existing queue with other arguments): retrying won't help."""


class RabbitConnection:
    def __init__(self, settings: RabbitSettings, *, min_backoff: float = 0.2, max_backoff: float = 10.0) -> None:
        self.settings = settings
        self.min_backoff = min_backoff
        self.max_backoff = max_backoff
        self._connection: AbstractConnection | None = None
        self._channel: AbstractChannel | None = None
        self._exchanges: dict[str, AbstractExchange] = {}
        self._bound: set[tuple[str, str, str]] = set()  # (exchange, queue, routing key) declared on this channel
        self._ready = asyncio.Event()
        self._lost = asyncio.Event()
        self._supervisor: asyncio.Task[None] | None = None
        self._channel_lock = asyncio.Lock()
        self._order = asyncio.Lock()
        self.connects = 0  # successful connects so far (tests and logs)

    @property
    def connected(self) -> bool:
        return self._ready.is_set()

    async def start(self) -> None:
        if self._supervisor is None:
            self._supervisor = asyncio.create_task(self._supervise(), name="rabbitmq-supervisor")

    async def wait_ready(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self._ready.wait(), seconds)
        except TimeoutError:
            return False
        return True

    async def stop(self) -> None:
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
            self._supervisor = None
        await self._drop()

    # --- connection lifecycle -------------------------------------------------------------------

    async def _supervise(self) -> None:
        failures = 0
        while True:
            try:
                await self._connect()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - logged; reconnects with backoff
                failures += 1
                delay = min(self.max_backoff, self.min_backoff * 2 ** min(failures - 1, 16))
                log.warning("rabbitmq: connect failed (%s); retry %d in %.1fs", exc, failures, delay)
                await self._drop()
                await asyncio.sleep(delay)
                continue
            failures = 0
            self.connects += 1
            log.info("rabbitmq: connected to %s", _redacted(self.settings.uri))
            await self._lost.wait()
            log.warning("rabbitmq: connection lost, reconnecting")
            await self._drop()

    async def _connect(self) -> None:
        self._lost.clear()
        connection = await aio_pika.connect(
            self.settings.uri,
            timeout=10,
            frame_max=self.settings.frame_max,
            heartbeat=self.settings.heartbeat,
        )
        self._connection = connection
        connection.close_callbacks.add(self._on_close)
        await self._open_channel()
        await self._declare_global_queues()
        self._ready.set()

    async def _open_channel(self) -> None:
        assert self._connection is not None
        self._exchanges.clear()
        self._bound.clear()
        # on_return_raises: a message no queue took is an error, not a silent "success".
        channel = await self._connection.channel(publisher_confirms=True, on_return_raises=True)
        channel.close_callbacks.add(self._on_channel_close)
        self._channel = channel

    def _on_close(self, *_args: Any) -> None:
        self._ready.clear()
        self._lost.set()

    def _on_channel_close(self, *_args: Any) -> None:
        # A channel error (e.g. PRECONDITION_FAILED) closes only the channel; the next publish reopens it.
        self._channel = None

    async def _drop(self) -> None:
        self._ready.clear()
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), 5)

    async def _declare_global_queues(self) -> None:
        """Global mode: queues for every enabled event exist before the first event, so a consumer
        that starts early misses nothing. Named like the queues events go to (no `undefined.` ones)."""
        if not self.settings.global_enabled:
            return
        for key in sorted(self.settings.global_events):
            for wire in wire_names_of_key(key):
                await self._ensure(self.settings.exchange_name, self.settings.global_queue(wire), wire)

    # --- publishing -----------------------------------------------------------------------------

    async def _usable_channel(self) -> AbstractChannel:
        if self._connection is None or self._lost.is_set():
            raise BrokerUnavailable("not connected to RabbitMQ")
        if self._channel is None or self._channel.is_closed:
            async with self._channel_lock:
                if self._channel is None or self._channel.is_closed:
                    try:
                        await self._open_channel()
                    except Exception as exc:
                        raise BrokerUnavailable(f"could not open a channel: {exc}") from exc
        assert self._channel is not None
        return self._channel

    async def _ensure(self, exchange_name: str, queue_name: str, routing_key: str) -> AbstractExchange:
        """Declare exchange (topic, durable), quorum queue and binding once per channel, as upstream asserts them."""
        channel = await self._usable_channel()
        exchange = self._exchanges.get(exchange_name)
        try:
            if exchange is None:
                exchange = await channel.declare_exchange(
                    exchange_name, aio_pika.ExchangeType.TOPIC, durable=True, auto_delete=False
                )
                self._exchanges[exchange_name] = exchange
            binding = (exchange_name, queue_name, routing_key)
            if binding not in self._bound:
                queue = await channel.declare_queue(
                    queue_name, durable=True, auto_delete=False, arguments=QUEUE_ARGUMENTS
                )
                await queue.bind(exchange, routing_key=routing_key)
                self._bound.add(binding)
        except aiormq.exceptions.ChannelPreconditionFailed as exc:
            self._exchanges.pop(exchange_name, None)
            raise TopologyError(f"RabbitMQ refused {exchange_name!r}/{queue_name!r}: {exc}") from exc
        except (
            aiormq.exceptions.AMQPConnectionError,
            aiormq.exceptions.ChannelInvalidStateError,
            ConnectionError,
        ) as exc:
            raise BrokerUnavailable(str(exc) or type(exc).__name__) from exc
        return exchange

    def _declared(self, exchange_name: str, queue_name: str, routing_key: str) -> bool:
        """Whether the channel is open and this binding is declared on it."""
        channel = self._channel
        if channel is None or channel.is_closed or self._lost.is_set():
            return False
        return exchange_name in self._exchanges and (exchange_name, queue_name, routing_key) in self._bound

    async def publish(
        self,
        exchange_name: str,
        queue_name: str,
        routing_key: str,
        body: bytes,
        *,
        message_id: str,
        confirm_within: float,
    ) -> None:
        """Publish one persistent JSON message and wait for the broker's confirm.

        Many publishes may wait for their confirms at once; they still reach the broker in the order
        `publish` was called. Each one reaches the channel's FIFO write lock without suspending. One
        that must declare first holds `_order` (a FIFO lock) until it has taken its place there, and
        every publish that comes while `_order` is held queues behind it, so a first-time
        declaration cannot let a later event overtake an earlier one.
        """
        properties = aiormq.spec.Basic.Properties(
            content_type="application/json",
            content_encoding="utf-8",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT.value,
            message_id=message_id,
        )
        pending: Awaitable[object]
        if self._declared(exchange_name, queue_name, routing_key) and not self._order.locked():
            # The common case: no lock and no task of our own (issue 18: they were a fifth of the
            # sink's cost).
            pending = self._send(exchange_name, routing_key, body, properties, confirm_within)
        else:
            async with self._order:
                await self._ensure(exchange_name, queue_name, routing_key)
                pending = asyncio.ensure_future(
                    self._send(exchange_name, routing_key, body, properties, confirm_within)
                )
                await asyncio.sleep(0)  # one step: the publish queues its frames before the next one starts
        try:
            await pending
        except aiormq.exceptions.PublishError as exc:
            # Returned unroutable: the queue vanished behind our cache. Declare again on the retry.
            self._bound.discard((exchange_name, queue_name, routing_key))
            raise BrokerUnavailable(f"message returned by the broker: {exc}") from exc
        except aiormq.exceptions.DeliveryError as exc:
            raise BrokerUnavailable(f"broker refused the message (nack): {exc}") from exc
        except TimeoutError as exc:
            raise BrokerUnavailable("no confirm from the broker in time") from exc
        except (aiormq.exceptions.AMQPError, ConnectionError, RuntimeError) as exc:
            raise BrokerUnavailable(str(exc) or type(exc).__name__) from exc
        except asyncio.CancelledError as exc:
            _reraise_if_we_are_cancelled()
            # aiormq cancels the futures of a connection it closed (missed heartbeats, broker close):
            # the publish was cut off, not us; unhandled, this would silently drop the delivery.
            raise BrokerUnavailable(f"connection closed while waiting for the confirm: {exc}") from exc

    async def _send(
        self,
        exchange_name: str,
        routing_key: str,
        body: bytes,
        properties: aiormq.spec.Basic.Properties,
        confirm_within: float,
    ) -> None:
        """aiormq's publish, under aio-pika's channel. `wait=False`: the channel's write lock is let
        go once the frames are queued for the socket, not once they are written; with it held
        until then, a burst of publishes took one loop turn each, in turn (issue 18). The confirm
        is still awaited, and a publish the broker never saw fails with the connection."""
        channel = self._channel
        if channel is None or channel.is_closed:
            raise BrokerUnavailable("the channel closed")
        # aiormq's own channel: its publish takes `wait`, which the abstract one does not declare.
        wire = cast(aiormq.Channel, await channel.get_underlay_channel())
        await wire.basic_publish(
            body,
            exchange=exchange_name,
            routing_key=routing_key,
            properties=properties,
            mandatory=True,
            timeout=confirm_within,
            wait=False,
        )


def _reraise_if_we_are_cancelled() -> None:
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


def _redacted(uri: str) -> str:
    """The URI without its password, for logs."""
    if "@" not in uri or "://" not in uri:
        return uri
    scheme, rest = uri.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"
