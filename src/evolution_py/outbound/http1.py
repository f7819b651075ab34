"""A lean HTTP/1.1 client for the outbound client's direct requests (no proxy, a body of bytes).

Why not aiohttp for these: a webhook post through aiohttp's request machinery cost ~200 µs of CPU
(bench: `/tmp`-free numbers in bench/RESULTS.md, "A lean HTTP/1.1 client for deliveries"), about as
much as the send it reports; this client writes one buffer and parses the answer with httptools
(llhttp, the parser uvicorn serves us with), which is a fraction of that. aiohttp stays for what
this does not do: proxies and multipart bodies.

What it keeps of the guarded client's rules (outbound/client.py applies the rest per hop):
- Pinning: with the guard on, a name is resolved here, every address it resolves to is checked, and
  the connection goes to one of those checked addresses (never resolved again by someone else), so
  DNS rebinding cannot slip an internal address in between the check and the connect.
- A bounded answer: at most `max_bytes` of the body are kept; when more arrives the connection is
  closed instead of drained, never returned to the pool.
- Keep-alive: one pool of idle connections per origin (scheme, host, port); an idle connection is
  dropped after 15 s (aiohttp's default), or as soon as its server closes it. A reused connection
  that the server closed before answering a single byte is retried once on a new one.
"""

from __future__ import annotations

import asyncio
import base64
import re
import socket
import ssl
import time
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import cast

import httptools
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from evolution_py.outbound.addresses import is_internal, parse_ip

IDLE_SECONDS = 15.0
DNS_TTL_SECONDS = 300.0  # only answers the guard let through are cached (a refused name raises)
MAX_IDLE_PER_ORIGIN = 64
WATCH_SECONDS = 0.1  # how late a time limit may fire
_TARGET_CACHE_MAX = 4096
_BODYLESS_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_FRAMING_HEADERS = frozenset({"host", "content-length", "transfer-encoding"})  # ours to say
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_TOKEN_NAMES: set[str] = set()


class BlockedAddress(OSError):
    """The name resolves into the server's own network (WEBHOOK_BLOCK_PRIVATE_NETWORKS)."""


class ConnectFailed(OSError):
    """No address of the origin accepted a connection (or its TLS handshake failed)."""


class AnswerFailed(Exception):
    """The exchange broke after connecting; `kind` names how, never what the server sent."""

    def __init__(self, kind: str, *, answered: bool = True) -> None:
        super().__init__(kind)
        self.kind = kind
        self.answered = answered  # False: not one byte of an answer came before the connection was lost


@dataclass(frozen=True, slots=True)
class Target:
    """One URL, parsed once: where to connect and what the request line and Host header say."""

    https: bool
    host: str  # IDNA / bare IP: what is resolved, and the TLS server name
    port: int
    host_header: str
    path: str  # path and query, percent-encoded as sent
    authorization: str | None  # Basic credentials of a `user:pass@` URL

    @property
    def origin(self) -> tuple[bool, str, int]:
        return (self.https, self.host, self.port)


class AnswerHeaders(Mapping[str, str]):
    """An answer's headers, case-insensitive, decoded only when first read: a delivery that
    succeeds never reads one, and decoding them into a multidict cost a tenth of its client time."""

    __slots__ = ("_decoded", "_raw")

    def __init__(self, raw: list[tuple[bytes, bytes]]) -> None:
        self._raw = raw
        self._decoded: CIMultiDictProxy[str] | None = None

    def _all(self) -> CIMultiDictProxy[str]:
        if self._decoded is None:
            self._decoded = CIMultiDictProxy(
                CIMultiDict(
                    (name.decode("utf-8", "surrogateescape"), value.decode("utf-8", "surrogateescape"))
                    for name, value in self._raw
                )
            )
        return self._decoded

    def __getitem__(self, name: str) -> str:
        return self._all()[name]  # the first of repeated headers, as a multidict answers

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def __repr__(self) -> str:
        return f"AnswerHeaders({list(self._all().items())!r})"


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    headers: AnswerHeaders
    body: bytes
    truncated: bool


_targets: dict[str, Target] = {}


def parse_target(url: str, params: dict[str, str] | None = None) -> Target:
    """`url` as a Target (yarl's parsing and quoting, the same aiohttp applies); cached by URL,
    since a webhook's URL repeats for every delivery."""
    if params is None:
        cached = _targets.get(url)
        if cached is not None:
            return cached
    parsed = URL(url)
    if params:
        parsed = parsed.extend_query(params)
    host = parsed.raw_host
    if parsed.scheme not in ("http", "https") or not host:
        raise ValueError("not an http(s) url")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    shown = f"[{host}]" if ":" in host else host
    authorization = None
    if parsed.user is not None:
        pair = f"{parsed.user}:{parsed.password or ''}".encode()
        authorization = "Basic " + base64.b64encode(pair).decode("ascii")
    target = Target(
        https=parsed.scheme == "https",
        host=host,
        port=port,
        host_header=shown if parsed.is_default_port() else f"{shown}:{port}",
        path=parsed.raw_path_qs or "/",
        authorization=authorization,
    )
    if params is None:
        if len(_targets) >= _TARGET_CACHE_MAX:
            _targets.clear()
        _targets[url] = target
    return target


async def resolve(host: str, port: int) -> list[str]:
    """The addresses of `host` (tests replace this to stand in for DNS)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class _Connection(asyncio.Protocol):
    """One TCP (or TLS) connection and the parse of the answer in flight on it."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self.deadline = 0.0  # of the exchange in flight, on the loop's clock
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future[None] | None = None
        self._reset(0)

    def _reset(self, limit: int) -> None:
        self.status = 0
        self.raw_headers: list[tuple[bytes, bytes]] = []
        self.chunks: list[bytes] = []
        self.size = 0
        self.limit = limit
        self.truncated = False
        self.keep_alive = False
        self._answered = False
        self._headers_done = False
        self._until_close = False

    # --- one exchange -------------------------------------------------------------------------

    async def exchange(self, request: bytes, body: bytes | None, limit: int) -> None:
        """Send the request and wait for the whole answer (or its first `limit` bytes of body)."""
        assert self.transport is not None
        self._reset(limit)
        waiter = self._waiter = asyncio.get_running_loop().create_future()
        if body:
            self.transport.writelines((request, body))
        else:
            self.transport.write(request)
        try:
            await waiter
        finally:
            self._waiter = None

    def expire(self) -> None:
        """Its time limit passed: the exchange fails with TimeoutError and the connection goes."""
        self._done(TimeoutError())
        self.close()

    def reusable(self) -> bool:
        return self.keep_alive and not self.truncated and not self.closed

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def _done(self, failure: BaseException | None = None) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            if failure is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(failure)

    # --- asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass it

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._headers_done and self._until_close:
            self._done()  # an answer without a length ends with its connection
        else:
            self._done(AnswerFailed("connection closed before the answer ended", answered=self._answered))

    def data_received(self, data: bytes) -> None:
        waiter = self._waiter
        if waiter is None or waiter.done():
            self.close()  # bytes nobody asked for (on an idle connection, or past a cut answer)
            return
        self._answered = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self.close()
            self._done(AnswerFailed("upgrade answer"))
        except httptools.HttpParserError:
            self.close()
            self._done(AnswerFailed("malformed HTTP answer"))

    def eof_received(self) -> bool:
        return False  # close; connection_lost decides whether the answer was whole

    # --- httptools callbacks ------------------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        self.raw_headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.status = self._parser.get_status_code()
        self._headers_done = True
        if self.status >= 200 and self.status not in (204, 304):
            framed = False
            for name, _value in self.raw_headers:
                lower = name.lower()
                if lower == b"content-length" or lower == b"transfer-encoding":
                    framed = True
                    break
            self._until_close = not framed

    def on_body(self, chunk: bytes) -> None:
        if self.truncated:
            return
        room = self.limit - self.size
        if len(chunk) > room:
            self.chunks.append(chunk[:room])
            self.size = self.limit
            self.truncated = True
            self.close()  # the rest is never read, nor the connection reused
            self._done()
            return
        self.chunks.append(chunk)
        self.size += len(chunk)

    def on_message_complete(self) -> None:
        if 100 <= self.status < 200:
            limit = self.limit  # an interim answer (100 Continue): the real one follows
            self._reset(limit)
            self._answered = True
            return
        if self.truncated:
            return
        self.keep_alive = self._parser.should_keep_alive()
        self._done()


class Http1Pool:
    """Connections to any number of origins, kept alive and reused; `guard` refuses internal
    addresses at resolution (with IP literals checked by the caller before each hop)."""

    def __init__(self, *, guard: bool, default_headers: dict[str, str]) -> None:
        self.guard = guard
        self.default_headers = default_headers
        self._idle: dict[tuple[bool, str, int], deque[_Connection]] = {}
        self._dns: dict[tuple[str, int], tuple[float, list[str]]] = {}
        self._ssl: ssl.SSLContext | None = None
        self._swept = time.monotonic()
        self._in_flight: set[_Connection] = set()
        self._watchdog: asyncio.TimerHandle | None = None

    async def close(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
        self._idle.clear()

    async def request(
        self,
        method: str,
        target: Target,
        headers: dict[str, str],
        body: bytes | None,
        max_bytes: int,
        deadline: float,
    ) -> Reply:
        """One request and its answer (no redirect followed), by `deadline` (the loop's clock).
        ValueError for a header that would break the request apart; TimeoutError, BlockedAddress,
        ConnectFailed or AnswerFailed otherwise."""
        request = _request_head(method, target, headers, body, self.default_headers)
        for attempt in (1, 2):
            conn, reused = await self._acquire(target, deadline)
            conn.deadline = deadline
            self._in_flight.add(conn)
            if self._watchdog is None:
                self._watchdog = asyncio.get_running_loop().call_later(WATCH_SECONDS, self._watch)
            try:
                await conn.exchange(request, body, max_bytes)
            except AnswerFailed as exc:
                conn.close()
                if reused and not exc.answered and attempt == 1:
                    continue  # the server had closed it while idle: once more on a new connection
                raise
            except BaseException:
                conn.close()  # timed out or cancelled mid-exchange: never reused
                raise
            finally:
                self._in_flight.discard(conn)
            reply = Reply(conn.status, AnswerHeaders(conn.raw_headers), b"".join(conn.chunks), conn.truncated)
            self._release(target.origin, conn)
            return reply
        raise AssertionError("unreachable")

    def _watch(self) -> None:
        """The time limit of every exchange in flight, checked a few times a second: one timer for
        the pool instead of one armed and cancelled per request (~9 µs each, measured)."""
        now = asyncio.get_running_loop().time()
        for conn in [c for c in self._in_flight if c.deadline <= now]:
            conn.expire()
        self._watchdog = asyncio.get_running_loop().call_later(WATCH_SECONDS, self._watch) if self._in_flight else None

    async def _acquire(self, target: Target, deadline: float) -> tuple[_Connection, bool]:
        idle = self._idle.get(target.origin)
        now = time.monotonic()
        while idle:
            conn = idle.pop()  # the most recently used: the least likely to be stale
            if not conn.closed and now - conn.idle_since < IDLE_SECONDS:
                return conn, True
            conn.close()
        async with asyncio.timeout_at(deadline):  # resolving and connecting: a new connection only
            return await self._connect(target), False

    def _release(self, origin: tuple[bool, str, int], conn: _Connection) -> None:
        if not conn.reusable():
            conn.close()
            return
        now = conn.idle_since = time.monotonic()
        idle = self._idle.get(origin)
        if idle is None:
            idle = self._idle[origin] = deque()
        if len(idle) >= MAX_IDLE_PER_ORIGIN:
            conn.close()
        else:
            idle.append(conn)
        if now - self._swept > IDLE_SECONDS:
            self._sweep(now)

    def _sweep(self, now: float) -> None:
        """Close connections idle too long, of origins no longer posted to as well."""
        self._swept = now
        for origin in list(self._idle):
            kept = deque(c for c in self._idle[origin] if not c.closed and now - c.idle_since < IDLE_SECONDS)
            for conn in self._idle[origin]:
                if conn not in kept:
                    conn.close()
            if kept:
                self._idle[origin] = kept
            else:
                del self._idle[origin]

    async def _connect(self, target: Target) -> _Connection:
        loop = asyncio.get_running_loop()
        context: ssl.SSLContext | None = None
        if target.https:
            if self._ssl is None:
                self._ssl = ssl.create_default_context()
            context = self._ssl
        failure: OSError | None = None
        for address in await self._addresses(target.host, target.port):
            try:
                _transport, conn = await loop.create_connection(
                    _Connection, address, target.port, ssl=context, server_hostname=target.host if context else None
                )
                return conn
            except OSError as exc:
                failure = exc
        raise ConnectFailed(str(failure) if failure else "no address")

    async def _addresses(self, host: str, port: int) -> list[str]:
        if parse_ip(host) is not None:
            return [host]
        now = time.monotonic()
        cached = self._dns.get((host, port))
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            addresses = await resolve(host, port)
        except OSError as exc:
            raise ConnectFailed(f"cannot resolve {host}") from exc
        if self.guard:
            for address in addresses:
                ip = parse_ip(address)
                if ip is not None and is_internal(ip):
                    raise BlockedAddress(f"{host} resolves to {ip}, a loopback, private or link-local address")
        if len(self._dns) >= _TARGET_CACHE_MAX:
            self._dns.clear()
        self._dns[(host, port)] = (now + DNS_TTL_SECONDS, addresses)
        return addresses


def _request_head(
    method: str, target: Target, headers: dict[str, str], body: bytes | None, defaults: dict[str, str]
) -> bytes:
    """The request line and headers. The caller's headers win over the defaults whatever their
    case; a name or value that could end the header early is refused (ValueError)."""
    given = {name.lower() for name in headers}
    lines = [f"{method} {target.path} HTTP/1.1\r\nHost: {target.host_header}\r\n"]
    for name, value in defaults.items():
        if name.lower() not in given:
            lines.append(f"{name}: {value}\r\n")
    parts = [f"{name}: {value}\r\n" for name, value in headers.items() if name.lower() not in _FRAMING_HEADERS]
    own = "".join(parts)
    # One look over the caller's block instead of one per header: exactly one line break per
    # header, no NUL, and names that are tokens (remembered, since the same few names repeat).
    kept = len(parts)
    if own.count("\n") != kept or own.count("\r") != kept or "\x00" in own:
        raise ValueError("a header contains a line break or a NUL")
    for name in headers:
        if name not in _TOKEN_NAMES:
            if not _TOKEN.fullmatch(name):
                raise ValueError(f"header name {name[:40]!r} is not a valid token")
            if len(_TOKEN_NAMES) < _TARGET_CACHE_MAX:
                _TOKEN_NAMES.add(name)
    lines.append(own)
    if target.authorization is not None:
        lines.append(f"Authorization: {target.authorization}\r\n")
    if "accept" not in given:
        lines.append("Accept: */*\r\n")
    if body:
        if "content-type" not in given:
            lines.append("Content-Type: application/octet-stream\r\n")
        lines.append(f"Content-Length: {len(body)}\r\n")
    elif method not in _BODYLESS_METHODS:
        lines.append("Content-Length: 0\r\n")
    lines.append("\r\n")
    return "".join(lines).encode("utf-8")
