"""One NATS connection kept open forever, and the choice between a JetStream and a plain publish.

Unlike upstream (one connect at start; a publish while down is lost) the connection is retried
forever, before and after it first succeeds (nats-py reconnects on its own once connected; if it ever
gives up and closes, a new connection is made). `publish` raises `NatsUnavailable` while down, so the
bus keeps the delivery and retries it.

A publish counts as done only when the server has it: a subject some JetStream stream covers gets a
JetStream publish and waits for the stream's ack (with a `Nats-Msg-Id` header, so a retried publish
is stored once); any other subject gets upstream's plain publish followed by a flush (a PING/PONG
round trip: the server has read everything before it). Which stream covers a subject is asked of the
server and remembered for `STREAM_LOOKUP_TTL` seconds, so a stream created later is found.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.js import JetStreamContext

from evolution_py.sinks.nats.config import NatsSettings

log = logging.getLogger(__name__)

STREAM_LOOKUP_TTL = 10.0


class NatsUnavailable(Exception):
    """No usable connection right now, or the server did not confirm in time: retry later."""


class NatsRefused(Exception):
    """The server will never take this publish (bad subject, payload over the server's limit)."""


class NatsConnection:
    def __init__(self, settings: NatsSettings) -> None:
        self.settings = settings
        self._client: Client | None = None
        self._ready = asyncio.Event()
        self._closed = asyncio.Event()
        self._supervisor: asyncio.Task[None] | None = None
        self._streams: dict[str, tuple[str | None, float]] = {}  # subject → (stream name or None, expiry)
        self._js: tuple[Client, JetStreamContext] | None = None  # the JetStream context of the current client
        self._stopping = False
        self.connects = 0  # first connects and reconnects so far (tests and logs)

    @property
    def connected(self) -> bool:
        return self._ready.is_set()

    async def start(self) -> None:
        if self._supervisor is None:
            self._supervisor = asyncio.create_task(self._supervise(), name="nats-supervisor")

    async def stop(self) -> None:
        self._stopping = True
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
            self._supervisor = None
        client, self._client = self._client, None
        self._ready.clear()
        if client is not None:
            with contextlib.suppress(Exception):
                await client.close()

    async def wait_ready(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self._ready.wait(), seconds)
        except TimeoutError:
            return False
        return True

    async def _supervise(self) -> None:
        while True:
            self._closed.clear()
            client = Client()
            try:
                # max_reconnect_attempts=-1: the first connect and every reconnect are tried forever.
                await client.connect(
                    servers=list(self.settings.servers),
                    name="evolution-py",
                    allow_reconnect=True,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=1,
                    connect_timeout=5,
                    ping_interval=self.settings.ping_interval,
                    max_outstanding_pings=2,
                    error_cb=self._on_error,
                    disconnected_cb=self._on_disconnected,
                    reconnected_cb=self._on_connected,
                    closed_cb=self._on_closed,
                )
            except asyncio.CancelledError:
                with contextlib.suppress(Exception):
                    await client.close()
                raise
            except Exception as exc:  # noqa: BLE001 - e.g. refused credentials: logged, tried again
                log.warning("nats: connect failed (%s); retrying in 5s", type(exc).__name__)
                with contextlib.suppress(Exception):
                    await client.close()
                await asyncio.sleep(5)
                continue
            self._client = client
            await self._on_connected()
            await self._closed.wait()
            log.warning("nats: connection closed, opening a new one")
            self._ready.clear()
            self._client = None

    async def _on_connected(self) -> None:
        self.connects += 1
        self._streams.clear()  # streams may have changed while we were away
        self._ready.set()
        log.info("nats: connected")

    async def _on_disconnected(self) -> None:
        self._ready.clear()
        if not self._stopping:
            log.warning("nats: disconnected, reconnecting")

    async def _on_closed(self) -> None:
        self._ready.clear()
        self._closed.set()

    async def _on_error(self, exc: Exception) -> None:
        log.debug("nats: %s", type(exc).__name__)

    async def publish(self, subject: str, payload: bytes, message_id: str) -> str | None:
        """Publish and wait until the server has it; the JetStream stream that stored it, or None."""
        client = self._client
        if client is None or not client.is_connected:
            raise NatsUnavailable("not connected")
        timeout = self.settings.ack_timeout
        try:
            stream = await self._stream_of(client, subject)
            if stream is not None:
                await self._jetstream(client).publish(
                    subject, payload, timeout=timeout, stream=stream, headers={"Nats-Msg-Id": message_id}
                )
                return stream
            await client.publish(subject, payload)
            await client.flush(timeout=int(max(1, timeout)))
            return None
        except (nats.errors.BadSubjectError, nats.errors.MaxPayloadError, nats.errors.BadHeaderError) as exc:
            raise NatsRefused(f"{type(exc).__name__}: {exc}") from exc
        except nats.js.errors.NoStreamResponseError as exc:
            self._streams.pop(subject, None)  # the stream went away: look again next time
            raise NatsUnavailable("no JetStream stream answered") from exc
        except nats.js.errors.APIError as exc:
            self._streams.pop(subject, None)
            raise NatsUnavailable(f"JetStream: {exc.description or exc}") from exc
        except (nats.errors.Error, OSError, TimeoutError) as exc:
            raise NatsUnavailable(type(exc).__name__) from exc

    def _jetstream(self, client: Client) -> JetStreamContext:
        if self._js is None or self._js[0] is not client:
            self._js = (client, client.jetstream(timeout=self.settings.ack_timeout))
        return self._js[1]

    async def _stream_of(self, client: Client, subject: str) -> str | None:
        loop = asyncio.get_running_loop()
        known = self._streams.get(subject)
        if known is not None and known[1] > loop.time():
            return known[0]
        stream: str | None
        try:
            stream = await self._jetstream(client).find_stream_name_by_subject(subject)
        except nats.js.errors.NotFoundError:
            stream = None
        except (nats.errors.NoRespondersError, nats.js.errors.ServiceUnavailableError):
            stream = None  # JetStream is not enabled on this server (or account)
        self._streams[subject] = (stream, loop.time() + STREAM_LOOKUP_TTL)
        return stream


def valid_subject(subject: str) -> bool:
    """A subject a publish may carry: dot-separated non-empty tokens, no whitespace, no wildcards."""
    if not subject or any(ch.isspace() for ch in subject):
        return False
    return all(token and token not in ("*", ">") for token in subject.split("."))
