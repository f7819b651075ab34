"""`OutboundClient`: every request to a URL a tenant chose goes through here.

- One total time limit per request, redirects and answer included (a trickling server cannot hold
  a worker), and at most `max_bytes` of the answer read (a 1.5 GB answer once took the server to
  3 GB); when more follows, the connection is closed instead of drained.
- With `block_private_networks` (WEBHOOK_BLOCK_PRIVATE_NETWORKS) every hop is checked, redirects
  included, against the addresses the connection actually uses: the resolver itself refuses
  internal addresses, so a name that resolves to a public address when checked and to 127.0.0.1
  when connected (DNS rebinding) cannot get through, and IP literals are checked before each hop.
- Failures are `OutboundError` with a short reason that never quotes the answer's body.

Through a proxy (an instance's own: http, https, socks4 or socks5, as upstream allows), the proxy
resolves the target: the target's name is checked before each hop instead, and the proxy address
itself is the tenant's choice.

Credentials follow axios (upstream's client): a URL's `user:pass@` wins over an `Authorization`
header, which is dropped; a redirect to another origin drops `Authorization` and `Cookie`.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, TypeVar
from urllib.parse import SplitResult, urljoin, urlsplit

import aiohttp
import msgspec
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from aiohttp_socks import ProxyConnector, ProxyError

from evolution_py.outbound.addresses import IpAddress, is_internal, parse_ip
from evolution_py.outbound.http1 import AnswerFailed, BlockedAddress, ConnectFailed, Http1Pool, parse_target
from evolution_py.store.safe_text import short_reason

DEFAULT_MAX_BYTES = 1024 * 1024
DEFAULT_TIMEOUT_SECONDS = 30.0
MAX_REDIRECTS = 5
_REDIRECTS = {301, 302, 303, 307, 308}
_SOCKS = ("socks4", "socks5")
_Body = TypeVar("_Body")
# `request`'s one asyncio.timeout bounds the whole exchange; aiohttp's own (5 min total by default)
# would arm a second timer per request, which the webhook benchmark showed to cost throughput.
_NO_TIMERS = aiohttp.ClientTimeout(total=None, connect=None, sock_connect=None, sock_read=None)
# Headers a redirect to another origin does not carry (follow-redirects, under axios, does the same).
_ORIGIN_BOUND_HEADERS = {"authorization", "cookie", "proxy-authorization"}


class OutboundError(Exception):
    """A request that got no usable answer; `reason` is short, one line, and safe to store."""

    def __init__(self, reason: str, *, retryable: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]  # case-insensitive (a multidict, or the lean client's AnswerHeaders)
    body: bytes  # at most the request's max_bytes
    truncated: bool  # the answer went on past max_bytes and was cut
    url: str  # the last hop's URL

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def failure(self) -> str:
        """What a stored error may say of a receiver's answer (never its body): `status_reason`."""
        return status_reason(self.status)

    def json(self) -> Any:
        """The body decoded as JSON; OutboundError when it is not JSON or was cut."""
        if self.truncated:
            raise OutboundError(f"answer from {_origin(self.url)} is larger than the limit", retryable=False)
        try:
            return msgspec.json.decode(self.body)
        except msgspec.DecodeError:
            raise OutboundError(f"answer from {_origin(self.url)} is not JSON (HTTP {self.status})") from None


def status_reason(status: int) -> str:
    """`HTTP 500 Internal Server Error`: the status and its standard phrase, not the receiver's own
    reason phrase nor any of its body (both are the receiver's words, which a tenant pointing its URL
    at an internal service could read back through `lastError`)."""
    try:
        return f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


class _GuardedResolver(AbstractResolver):
    """The system resolver, refusing any name that resolves to an internal address."""

    def __init__(self) -> None:
        self._inner = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for result in results:
            ip = parse_ip(result["host"])
            if ip is not None and is_internal(ip):
                raise BlockedAddress(f"{host} resolves to {ip}, a loopback, private or link-local address")
        return results

    async def close(self) -> None:
        await self._inner.close()


class OutboundClient:
    def __init__(self, *, block_private_networks: bool, user_agent: str) -> None:
        self.block_private_networks = block_private_networks
        self._user_agent = user_agent
        self._session: aiohttp.ClientSession | None = None
        self._pool: Http1Pool | None = None

    def _lean(self) -> Http1Pool:
        if self._pool is None:
            self._pool = Http1Pool(guard=self.block_private_networks, default_headers=self._headers())
        return self._pool

    def _direct(self) -> aiohttp.ClientSession:
        if self._session is None:
            resolver = _GuardedResolver() if self.block_private_networks else None
            # Only answers the guard let through are cached (a refused name raises), so caching them
            # is safe; `ttl_dns_cache=None` would mean "forever", never noticing a moved receiver.
            connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=300, resolver=resolver)
            self._session = aiohttp.ClientSession(connector=connector, headers=self._headers(), timeout=_NO_TIMERS)
        return self._session

    def _headers(self) -> dict[str, str]:
        # Answers are read raw (never inflated: no zip bomb), so ask for them uncompressed.
        return {"User-Agent": self._user_agent, "Accept-Encoding": "identity"}

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def request(
        self,
        method: str,
        url: str,
        *,
        json: object = None,
        data: bytes | aiohttp.FormData | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        time_limit: float = DEFAULT_TIMEOUT_SECONDS,
        max_bytes: int = DEFAULT_MAX_BYTES,
        proxy: str | None = None,
        follow_redirects: bool = True,
    ) -> Answer:
        """One exchange, redirects followed (GET after a 303, or a 301/302 of a POST, as browsers
        do); an answer with any status is returned, only a transport failure raises."""
        body: bytes | aiohttp.FormData | None = data
        sent_headers = dict(headers or {})
        if json is not None:
            body = msgspec.json.encode(json)
            sent_headers.setdefault("Content-Type", "application/json")
        try:
            if not proxy and not isinstance(body, aiohttp.FormData) and method != "HEAD":
                # The lean client keeps the time limit itself (one watchdog, not a timer a request).
                deadline = asyncio.get_running_loop().time() + time_limit
                return await self._exchange_lean(
                    method, url, body, sent_headers, params, max_bytes, follow_redirects, deadline
                )
            async with asyncio.timeout(time_limit):
                if proxy:
                    # A proxied request is rare (media of an instance with a proxy): its own session.
                    await self._check_proxy(proxy)
                    session, http_proxy = _proxied_session(proxy, self._headers(), self.block_private_networks)
                    async with session:
                        return await self._exchange(
                            session,
                            method,
                            url,
                            body,
                            sent_headers,
                            params,
                            max_bytes,
                            http_proxy,
                            follow_redirects,
                            proxied=True,
                        )
                return await self._exchange(
                    self._direct(),
                    method,
                    url,
                    body,
                    sent_headers,
                    params,
                    max_bytes,
                    None,
                    follow_redirects,
                    proxied=False,
                )
        except TimeoutError:
            raise OutboundError(f"no answer from {_origin(url)} within {time_limit:g}s") from None

    async def _exchange(
        self,
        session: aiohttp.ClientSession,
        method: str,
        url: str,
        body: bytes | aiohttp.FormData | None,
        headers: dict[str, str],
        params: dict[str, str] | None,
        max_bytes: int,
        proxy: str | None,
        follow_redirects: bool,
        *,
        proxied: bool,
    ) -> Answer:
        for _hop in range(MAX_REDIRECTS + 1):
            parts = await self._check(url, proxied=proxied)
            if "@" in parts.netloc:
                headers = _without_authorization(headers)
            try:
                async with session.request(
                    method,
                    url,
                    data=body,
                    headers=headers,
                    params=params,
                    proxy=proxy,
                    allow_redirects=False,
                    auto_decompress=False,
                ) as response:
                    location = response.headers.get("Location")
                    if follow_redirects and response.status in _REDIRECTS and location:
                        response.close()
                        url, method, body, headers = _next_hop(url, location, response.status, method, body, headers)
                        params = None
                        continue
                    prefix, truncated = await _read_prefix(response, max_bytes)
                    return Answer(response.status, response.headers, prefix, truncated, url)
            except ProxyError as exc:
                raise OutboundError(f"proxy failed: {short_reason(str(exc).encode(), 100)}") from None
            except aiohttp.ClientConnectorError as exc:
                if isinstance(exc.os_error, BlockedAddress):
                    raise OutboundError(
                        f"{exc.os_error} (WEBHOOK_BLOCK_PRIVATE_NETWORKS=true)", retryable=False
                    ) from None
                raise OutboundError(f"cannot connect to {_origin(url)}") from None
            except aiohttp.ClientError as exc:
                # Only the error's kind: a parse error's text quotes what the server sent (a status
                # line of Redis or SMTP on an internal port), which is the answer we must not show.
                raise OutboundError(f"{type(exc).__name__} from {_origin(url)}") from None
            except ValueError as exc:
                raise OutboundError(f"request refused: {exc}", retryable=False) from None
        raise OutboundError(f"more than {MAX_REDIRECTS} redirects from {_origin(url)}", retryable=False)

    async def _exchange_lean(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: dict[str, str],
        params: dict[str, str] | None,
        max_bytes: int,
        follow_redirects: bool,
        deadline: float,
    ) -> Answer:
        """`_exchange` on the lean HTTP/1.1 client (outbound/http1.py): the same hops, checks,
        redirects and failures, without aiohttp's per-request machinery."""
        pool = self._lean()
        for _hop in range(MAX_REDIRECTS + 1):
            parts = await self._check(url, proxied=False)
            if "@" in parts.netloc:
                headers = _without_authorization(headers)
            try:
                reply = await pool.request(method, parse_target(url, params), headers, body, max_bytes, deadline)
            except BlockedAddress as exc:
                raise OutboundError(f"{exc} (WEBHOOK_BLOCK_PRIVATE_NETWORKS=true)", retryable=False) from None
            except ConnectFailed:
                raise OutboundError(f"cannot connect to {_origin(url)}") from None
            except AnswerFailed as exc:
                raise OutboundError(f"{exc.kind} from {_origin(url)}") from None
            except ValueError as exc:
                raise OutboundError(f"request refused: {exc}", retryable=False) from None
            location = reply.headers.get("Location") if reply.status in _REDIRECTS else None
            if follow_redirects and location:
                url, method, body, headers = _next_hop(url, location, reply.status, method, body, headers)
                params = None
                continue
            return Answer(reply.status, reply.headers, reply.body, reply.truncated, url)
        raise OutboundError(f"more than {MAX_REDIRECTS} redirects from {_origin(url)}", retryable=False)

    async def _check_proxy(self, proxy: str) -> None:
        """The proxy is a tenant's choice too: with the guard on, it may not sit in the server's own
        network (an http proxy is sent the whole request, and the answer comes back to the tenant)."""
        parts = urlsplit(proxy)
        if not parts.hostname:
            raise OutboundError("proxy is not usable: no host", retryable=False)
        if self.block_private_networks:
            for address in await _addresses(parts.hostname):
                if is_internal(address):
                    raise OutboundError(
                        f"proxy {parts.hostname} is {address}, a loopback, private or link-local address, "
                        "which this server refuses (WEBHOOK_BLOCK_PRIVATE_NETWORKS=true)",
                        retryable=False,
                    )

    async def _check(self, url: str, *, proxied: bool) -> SplitResult:
        """Before each hop: the scheme, and an IP literal (or, through a proxy, the name's
        addresses), since neither reaches the guarded resolver. Returns the parsed URL."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise OutboundError(f"not an http(s) url: {short_reason(url.encode(), 100)}", retryable=False)
        if not self.block_private_networks:
            return parts
        ip = parse_ip(parts.hostname)
        addresses = [ip] if ip is not None else []
        if ip is None and proxied:
            addresses = await _addresses(parts.hostname)
        for address in addresses:
            if is_internal(address):
                raise OutboundError(
                    f"{parts.hostname} is {address}, a loopback, private or link-local address, "
                    "which this server refuses (WEBHOOK_BLOCK_PRIVATE_NETWORKS=true)",
                    retryable=False,
                )
        return parts


async def _addresses(host: str) -> list[IpAddress]:
    """`host`'s addresses (itself when it is an IP literal); none when it does not resolve here."""
    ip = parse_ip(host)
    if ip is not None:
        return [ip]
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return []  # a proxy may resolve what we cannot
    return [a for a in (parse_ip(str(info[4][0])) for info in infos) if a is not None]


def _proxied_session(proxy: str, headers: dict[str, str], guarded: bool) -> tuple[aiohttp.ClientSession, str | None]:
    """A session through `proxy`, and the `proxy=` argument its requests take: socks proxies are a
    connector (aiohttp-socks), http(s) proxies aiohttp's own argument (reached through the guarded
    resolver when the guard is on)."""
    if urlsplit(proxy).scheme.lower() in _SOCKS:
        try:
            socks = ProxyConnector.from_url(proxy)
        except ValueError as exc:
            raise OutboundError(
                f"proxy is not usable: {short_reason(str(exc).encode(), 100)}", retryable=False
            ) from None
        return aiohttp.ClientSession(connector=socks, headers=headers, timeout=_NO_TIMERS), None
    connector = aiohttp.TCPConnector(resolver=_GuardedResolver()) if guarded else None
    return aiohttp.ClientSession(connector=connector, headers=headers, timeout=_NO_TIMERS), proxy


def _next_hop(
    url: str, location: str, status: int, method: str, body: _Body | None, headers: dict[str, str]
) -> tuple[str, str, _Body | None, dict[str, str]]:
    """Where a redirect leads and what goes there: another origin gets no credentials; a 303, or a
    301/302 of a POST, becomes a GET without a body, as browsers (and axios) do."""
    previous, url = url, urljoin(url, location)
    if _origin(previous) != _origin(url):
        headers = {k: v for k, v in headers.items() if k.lower() not in _ORIGIN_BOUND_HEADERS}
    if status == 303 or (status in (301, 302) and method == "POST"):
        method, body = "GET", None
        headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
    return url, method, body, headers


def _without_authorization(headers: dict[str, str]) -> dict[str, str]:
    """axios' rule for a URL with `user:pass@`: its credentials become the Basic `Authorization`, and
    an `Authorization` header given beside them is dropped (aiohttp would refuse the pair, and
    nothing would be sent)."""
    return {k: v for k, v in headers.items() if k.lower() != "authorization"}


async def _read_prefix(response: aiohttp.ClientResponse, limit: int) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = await response.content.read(limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    truncated = not response.content.at_eof()
    if truncated:
        response.close()  # the rest is never read, nor left in the pool
    return b"".join(chunks), truncated


def _origin(url: str) -> str:
    """scheme://host[:port] of a URL, without credentials, path or query (they may hold secrets)."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"
