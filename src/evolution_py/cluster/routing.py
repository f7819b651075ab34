"""Any node answers any route for any instance: an ASGI layer in front of the app (only with
CLUSTER_ENABLED) that forwards a request for an instance this node does not own to its owner's
CLUSTER_ADVERTISE_URL over HTTP, and passes everything else through untouched.

Which instance a request is for: a path segment that names an instance (v2's
`/message/sendText/{instanceName}`, Go's `/instance/info/{instanceId}`), else the `apikey` when it
is an instance's token (Go's token routes). The channels' inbound webhooks (`POST /webhook/evolution`,
`POST /webhook/meta`) name theirs by number in the body (cluster/inbound.py). A segment or token known to
this node's registry costs no query; an unknown one is looked up in PostgreSQL (instance name/id/
token → the unexpired lease's node and its URL), remembered for a second. A forwarded request
carries `x-evolution-cluster-hop`, so it is never forwarded twice. While an instance is between
owners (handed over, not yet claimed) the request waits up to one lease period for the new owner;
then, or when the owner does not answer, it gets upstream's error envelope with 503.

Reads that the database answers are not forwarded (`LOCAL_READS`): this node builds a read-only
runtime of the instance from its stored row (id, name, token, store; no channel) and lets the app
answer with it (`core/registry.visiting`), so the guard checks the same token as on the owner.
Such an answer carries `x-evolution-cluster-read: local`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
import msgspec
from sqlalchemy import select, text

from evolution_py.cluster.inbound import INBOUND_PATHS, inbound_integrations, inbound_numbers
from evolution_py.cluster.leases import NOW
from evolution_py.cluster.listing import GO_LIST_PATH, ListingError, merge_lists
from evolution_py.cluster.node import ClusterNode
from evolution_py.core.loader import proxy_from_row, settings_from_row
from evolution_py.core.registry import InstanceRegistry, visiting
from evolution_py.core.runtime import InstanceRuntime
from evolution_py.store.db import Database
from evolution_py.store.models import Instance, Setting

log = logging.getLogger(__name__)

HOP = b"x-evolution-cluster-hop"
_HOP_BY_HOP = {b"connection", b"keep-alive", b"transfer-encoding", b"upgrade", b"host", b"content-length"}
_SKIP_SEGMENTS = {"", "instance", "message", "chat", "group", "settings", "webhook", "manager", "socket.io"}
_QUERY_NAMES = {"instanceName", "instanceId"}
READ_HERE = b"x-evolution-cluster-read"
# Routes any node answers itself, as (method, path prefix) followed by exactly the instance name
# (or, for Go's, its id): only those whose handlers touch nothing but the database through the
# instance's id (its store, its Setting / Proxy / sink rows, its dead letters, its log). Anything
# reaching `runtime.channel` (sends, connectionState, groups, profile, media, findLabels, Go's
# status, qr and info) needs the live session and is forwarded to the owner.
LOCAL_READS: frozenset[tuple[str, str]] = frozenset(
    {
        ("POST", "/chat/findMessages/"),
        ("POST", "/chat/findContacts/"),
        ("POST", "/chat/findChats/"),
        ("POST", "/chat/findStatusMessage/"),
        ("GET", "/chat/findChatByRemoteJid/"),
        ("GET", "/settings/find/"),
        ("GET", "/proxy/find/"),
        # The sinks' rows (sinks/*/routes.py: `find_row`, or an empty body when the sink is off,
        # which every node's environment says alike).
        ("GET", "/webhook/find/"),
        ("GET", "/websocket/find/"),
        ("GET", "/rabbitmq/find/"),
        ("GET", "/sqs/find/"),
        ("GET", "/nats/find/"),
        ("GET", "/kafka/find/"),
        ("GET", "/pusher/find/"),
        ("GET", "/events/dead/"),  # the outbox's dead rows (api/events.py)
        ("GET", "/instance/logs/"),  # Go: the InstanceLog rows (api/go/admin.py)
    }
)
# Go's `GET /instance/{instanceId}/advanced-settings`: the view then carries the stored Setting row,
# read for that request (a PUT through the owner is seen by the next GET on any node).
SETTINGS_READ = ("GET", "advanced-settings")


def local_read_of(method: str, path: str) -> str | None:
    """The path segment that names the instance when this is a local read, else None."""
    prefix, _, name = path.rpartition("/")
    if name and (method, prefix + "/") in LOCAL_READS:
        return name
    head, _, instance = prefix.rpartition("/")
    if head == "/instance" and instance and (method, name) == SETTINGS_READ:
        return instance
    return None


def is_local_read(method: str, path: str) -> bool:
    return local_read_of(method, path) is not None


def _needs_settings(path: str) -> bool:
    return path.endswith("/" + SETTINGS_READ[1])


# What a lookup found: (instance name, owner node id or None, owner URL or None).
Owner = tuple[str, str | None, str | None]


class OwnerLookup:
    """Instance (by path segments or token) → its owner, from PostgreSQL, memoized for `ttl` s."""

    def __init__(self, db: Database, client_name: str, ttl: float = 1.0) -> None:
        self.db = db
        self.client_name = client_name
        self.ttl = ttl
        self._memo: dict[Any, tuple[float, Owner | None]] = {}
        self._many: dict[Any, tuple[float, list[Owner]]] = {}

    async def by_segments(self, segments: tuple[str, ...]) -> Owner | None:
        return await self._memoized(
            ("s", segments),
            "i.name = ANY(:keys) OR i.id = ANY(:keys)",
            {"keys": list(segments)},
        )

    async def by_token(self, token: str) -> Owner | None:
        digest = hashlib.sha256(token.encode()).hexdigest()  # the memo holds no token
        return await self._memoized(("t", digest), "i.token = :token", {"token": token})

    async def by_numbers(self, numbers: set[str], integrations: list[str]) -> list[Owner]:
        """The instances of these integrations with these numbers (an inbound channel webhook's)."""
        key = ("n", tuple(sorted(numbers)), tuple(integrations))
        now = time.monotonic()
        held = self._many.get(key)
        if held is not None and held[0] > now:
            return held[1]
        where = "i.number = ANY(:numbers) AND i.integration = ANY(:integrations)"
        found = await self._select(where, {"numbers": sorted(numbers), "integrations": integrations}, limit=None)
        if len(self._many) > 10000:
            self._many.clear()
        if all(owner[1] is not None for owner in found):  # none between owners (as `_memoized`)
            self._many[key] = (now + self.ttl, found)
        return found

    async def _memoized(self, key: Any, where: str, params: dict[str, Any]) -> Owner | None:
        now = time.monotonic()
        held = self._memo.get(key)
        if held is not None and held[0] > now:
            return held[1]
        rows = await self._select(where, params, limit=1)
        found: Owner | None = rows[0] if rows else None
        if len(self._memo) > 10000:
            self._memo.clear()
        # An instance between owners is not remembered: the next look should see the new one.
        if found is None or found[1] is not None:
            self._memo[key] = (now + self.ttl, found)
        return found

    async def _select(self, where: str, params: dict[str, Any], *, limit: int | None) -> list[Owner]:
        async with self.db.session() as s:
            rows = (
                await s.execute(
                    text(
                        'SELECT i.name, l."nodeId", n.url FROM "Instance" i '
                        'LEFT JOIN "ClusterLease" l ON l."instanceId" = i.id '
                        f'AND l."nodeId" IS NOT NULL AND l."expiresAt" > {NOW} '
                        'LEFT JOIN "ClusterNode" n ON n.id = l."nodeId" '
                        f'WHERE i."clientName" = :client AND ({where})' + (f" LIMIT {limit}" if limit else "")
                    ),
                    {"client": self.client_name, **params},
                )
            ).all()
        return [(row[0], row[1], row[2]) for row in rows]

    def forget(self) -> None:
        self._memo.clear()
        self._many.clear()


def _envelope(status: int, message: str) -> bytes:
    error = {503: "Service Unavailable", 504: "Gateway Timeout"}.get(status, "Bad Gateway")
    return msgspec.json.encode({"status": status, "error": error, "response": {"message": [message]}})


class ClusterRouter:
    def __init__(
        self,
        app: Any,
        node: ClusterNode,
        registry: InstanceRegistry,
        lookup: OwnerLookup,
        global_key: str,
        timeout: float = 60.0,
    ) -> None:
        self.app = app
        self.node = node
        self.registry = registry
        self.lookup = lookup
        self.global_key = global_key
        self.timeout = timeout
        # aiohttp rather than httpx: under 16 concurrent forwards httpx's pool gave ~3% of the
        # owner's throughput on this machine (bench/cluster_forwarding.py), aiohttp's keeps up.
        self._session: aiohttp.ClientSession | None = None
        self._views: dict[str, tuple[float, tuple[InstanceRuntime, Instance]]] = {}  # `_view`'s memo

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=256, ttl_dns_cache=300),
                timeout=aiohttp.ClientTimeout(total=self.timeout, connect=2.0),
                auto_decompress=False,
                skip_auto_headers=("User-Agent", "Accept-Encoding", "Content-Type"),
            )
        return self._session

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or any(name == HOP for name, _ in scope["headers"]):
            await self.app(scope, receive, send)
            return
        if scope["path"] == "/instance/create" and scope["method"] == "POST":
            await self._create_elsewhere(scope, receive, send)
            return
        if scope["path"] in INBOUND_PATHS and scope["method"] == "POST":
            await self._inbound(scope, receive, send)
            return
        if scope["path"] == GO_LIST_PATH and scope["method"] == "GET":
            await self._list_everywhere(scope, receive, send)
            return
        target = await self._owner_elsewhere(scope)
        if target is None:
            await self.app(scope, receive, send)
            return
        segment = local_read_of(scope["method"], scope["path"])
        if segment is not None:
            view = await self._view(target[0])
            if view is None:  # deleted meanwhile: the app answers 404 as on any node
                await self.app(scope, receive, send)
                return
            # The lookup matched any segment; the view is used only when it is the one the route
            # reads (an instance named like a route word, e.g. `connect`, is left to its owner).
            if segment in (view[0].name, view[0].id):
                await self._read_here(scope, receive, send, view)
                return
        await self._forward(scope, receive, send, target)

    async def _read_here(
        self, scope: dict[str, Any], receive: Any, send: Any, view: tuple[InstanceRuntime, Instance]
    ) -> None:
        """Answer a database-only read for an instance held elsewhere, with a read-only runtime."""
        runtime = await self._with_settings(view[1]) if _needs_settings(scope["path"]) else view[0]

        async def marked(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (READ_HERE, b"local")]}
            await send(message)

        with visiting(runtime):
            await self.app(scope, receive, marked)

    async def _create_elsewhere(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """`POST /instance/create` goes to the node the placement names for its `instanceName`, so a
        new instance starts on its owner (its QR code included) and never moves right after."""
        body = await _read_body(receive)
        try:
            name = msgspec.json.decode(body).get("instanceName") if body else None
        except (msgspec.DecodeError, AttributeError):
            name = None
        owner = self.node.owner_for_name(name) if isinstance(name, str) and name else None
        if owner is None:
            await self.app(scope, _replay(body), send)
        else:
            await self._send_to(scope, send, body, (str(name), owner.id, owner.url))

    async def _inbound(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """A channel's inbound webhook (cluster/inbound.py): to the nodes owning the numbers it names.
        One owner elsewhere gets the request as it came; when the instances it names are on several
        nodes (a Meta batch), each of those nodes gets it too, and this node answers after them."""
        body = await _read_body(receive)
        path = scope["path"]
        numbers = inbound_numbers(path, body)
        integrations = inbound_integrations(path, self.node.loader.kinds)
        held = {r.number for r in self.registry.all() if r.integration in integrations and r.number in numbers}
        here = bool(held)  # this node holds some of them: its app answers for those
        missing = numbers - held
        elsewhere: dict[str, Owner] = {}
        unowned: list[Owner] = []
        for found in await self.lookup.by_numbers(missing, integrations) if missing else []:
            if found[1] is None:
                found = await self._await_owner(found)
            if found[1] == self.node.node_id:
                here = True  # ours, though not loaded yet: the app answers
            elif found[1] is None or found[2] is None:
                unowned.append(found)
            else:
                elsewhere.setdefault(found[1], found)
        if not elsewhere and not unowned:
            await self.app(scope, _replay(body), send)
            return
        if len(elsewhere) == 1 and not here and not unowned:
            await self._send_to(scope, send, body, next(iter(elsewhere.values())))
            return
        answers = await asyncio.gather(*(self._exchange(scope, body, owner) for owner in elsewhere.values()))
        reply = _Captured()
        await self.app(scope, _replay(body), reply)
        failed = [owner[0] for owner, answer in zip(elsewhere.values(), answers, strict=True) if answer[0] >= 500]
        failed += [owner[0] for owner in unowned]
        if failed:  # the sender delivers again; what was already taken is dropped as a duplicate
            await _answer(send, 503, _envelope(503, f"The node owning {failed[0]} does not answer"))
            return
        await reply.replay(send)

    async def _list_everywhere(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Go's `GET /instance/all` (cluster/listing.py): this node's list and every other live
        node's, merged. Any other key than the global one gets this node's refusal."""
        key = next((v for n, v in scope["headers"] if n == b"apikey"), b"")
        others = [n for n in self.node.live if n.id != self.node.node_id]
        if not others or not hmac.compare_digest(key, self.global_key.encode()):
            await self.app(scope, receive, send)
            return
        reply = _Captured()
        await self.app(scope, receive, reply)
        if reply.status != 200:
            await reply.replay(send)
            return
        answers = await asyncio.gather(*(self._exchange(scope, b"", (n.id, n.id, n.url)) for n in others))
        for node, (status, _headers, _body) in zip(others, answers, strict=True):
            if status != 200:
                await _answer(send, 503, msgspec.json.encode({"error": f"cluster node {node.id} did not answer"}))
                return
        try:
            body = merge_lists([reply.body, *(answer[2] for answer in answers)])
        except ListingError:
            await _answer(send, 502, msgspec.json.encode({"error": "a cluster node answered an unexpected list"}))
            return
        await _answer(send, 200, body)

    async def _view(self, name: str) -> tuple[InstanceRuntime, Instance] | None:
        """The read-only runtime of a stored instance (and its row), remembered as long as the owner
        lookup. Its id and token never change; an instance deleted meanwhile is still read (its
        rows, gone) for at most that second, and its id and token always belong together."""
        now = time.monotonic()
        held = self._views.get(name)
        if held is not None and held[0] > now:
            return held[1]
        deps = self.node.loader.deps
        async with deps.db.session() as s:
            query = select(Instance).where(Instance.name == name, Instance.clientName == self.lookup.client_name)
            row = (await s.execute(query)).scalars().first()
        if row is None:
            return None
        view = InstanceRuntime(deps, row, settings_from_row(None), proxy_from_row(None)), row
        if len(self._views) > 10000:
            self._views.clear()
        self._views[name] = (now + self.lookup.ttl, view)
        return view

    async def _with_settings(self, row: Instance) -> InstanceRuntime:
        """A view carrying the instance's stored settings, as the owner holds them (read each time:
        settings change, unlike the id and the token)."""
        deps = self.node.loader.deps
        async with deps.db.session() as s:
            stored = (await s.execute(select(Setting).where(Setting.instanceId == row.id))).scalars().first()
        return InstanceRuntime(deps, row, settings_from_row(stored), proxy_from_row(None))

    async def _owner_elsewhere(self, scope: dict[str, Any]) -> Owner | None:
        segments = tuple(s for s in scope["path"].split("/") if s not in _SKIP_SEGMENTS)
        if scope["query_string"]:  # `fetchInstances?instanceName=` names its instance in the query
            named = [v for k, v in parse_qsl(scope["query_string"].decode("latin-1")) if k in _QUERY_NAMES]
            segments += tuple(named)
        if any(self.registry.resolve(s) is not None for s in segments):
            return None  # ours: the single-node path
        key = next((v.decode("latin-1") for n, v in scope["headers"] if n == b"apikey"), "")
        if key and key != self.global_key and self.registry.find_by_token(key):
            return None
        found = await self.lookup.by_segments(segments) if segments else None
        if found is None and key and key != self.global_key:
            found = await self.lookup.by_token(key)
        if found is None or found[1] == self.node.node_id:
            return None  # no such instance (the app answers 404), or ours though not loaded yet
        return found

    async def _await_owner(self, found: Owner) -> Owner:
        """Between owners: wait up to one lease period for the new one."""
        deadline = time.monotonic() + self.node.settings.lease_seconds
        while found[1] is None and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            again = await self.lookup.by_segments((found[0],))
            if again is None:
                break
            found = again
        return found

    async def _forward(self, scope: dict[str, Any], receive: Any, send: Any, found: Owner) -> None:
        body = await _read_body(receive)
        if found[1] is None:
            found = await self._await_owner(found)
        if found[1] == self.node.node_id:  # it became ours meanwhile
            await self.app(scope, _replay(body), send)
            return
        if found[1] is None or found[2] is None:
            await _answer(send, 503, _envelope(503, f"The instance {found[0]} has no live owner in the cluster"))
            return
        await self._send_to(scope, send, body, found)

    async def _send_to(self, scope: dict[str, Any], send: Any, body: bytes, found: Owner) -> None:
        status, headers, content = await self._exchange(scope, body, found)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})

    async def _exchange(self, scope: dict[str, Any], body: bytes, found: Owner) -> Answer:
        """The owner's answer to this request, or our 503/504 envelope when it gives none."""
        assert found[2] is not None
        headers = [(n, v) for n, v in scope["headers"] if n.lower() not in _HOP_BY_HOP]
        headers.append((HOP, self.node.node_id.encode()))
        url = found[2] + scope["path"] + ("?" + scope["query_string"].decode() if scope["query_string"] else "")
        try:
            async with self._client().request(
                scope["method"],
                url,
                headers=[(n.decode("latin-1"), v.decode("latin-1")) for n, v in headers],
                data=body,
                allow_redirects=False,
            ) as answer:
                content = await answer.read()
                out = [(k, v) for k, v in answer.raw_headers if k.lower() not in _HOP_BY_HOP]
                return answer.status, out, content
        except TimeoutError:
            self.lookup.forget()
            return 504, _JSON, _envelope(504, f"The node owning {found[0]} did not answer in time")
        except aiohttp.ClientError:
            self.lookup.forget()
            return 503, _JSON, _envelope(503, f"The node owning {found[0]} does not answer")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


# An HTTP answer: status, headers, body.
Answer = tuple[int, list[tuple[bytes, bytes]], bytes]
_JSON = [(b"content-type", b"application/json")]


class _Captured:
    """The app's ASGI answer, held to be sent later."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    async def __call__(self, message: dict[str, Any]) -> None:
        self.messages.append(message)

    async def replay(self, send: Any) -> None:
        for message in self.messages:
            await send(message)

    @property
    def status(self) -> int:
        return next((int(m["status"]) for m in self.messages if m["type"] == "http.response.start"), 500)

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.messages if m["type"] == "http.response.body")


async def _read_body(receive: Any) -> bytes:
    body = bytearray()
    while True:
        message = await receive()
        body.extend(message.get("body", b""))
        if not message.get("more_body"):
            return bytes(body)


def _replay(body: bytes) -> Any:
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()  # the client stays connected until the answer is sent
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _answer(send: Any, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": _JSON})
    await send({"type": "http.response.body", "body": body})
