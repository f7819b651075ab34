"""A fake of `neonize.aioze.client.NewAClient` for server-level tests: nothing talks to WhatsApp.

- Same method names and signatures as the methods the channel uses; every call is recorded in
  `calls` as `(name, args, kwargs)`.
- Answers are neonize's real protobuf types (SendResponse, UploadResponse, IsOnWhatsAppResponse,
  Device, ...). `answers[name]` overrides one: a value, an exception to raise, or a callable.
- Handlers are registered through neonize's real `Event` object, and `push(event)` delivers an
  event the way neonize does: serialised, parsed back by event code, and posted to the loop
  from another thread with `run_coroutine_threadsafe`.
- `stall(seconds)` makes the dial hang and `stop()`/`is_connected` block a worker thread, like
  whatsmeow holding its socket lock during a black-holed dial.

Select it with `WHATSMEOW_CLIENT_FACTORY=tests.support.fake_neonize:create`; find the client of
an instance with `FakeClient.of(instance_id)`.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
import os
import threading
import time
from typing import Any, ClassVar

from neonize.aioze.events import Event
from neonize.events import EVENT_TO_INT, INT_TO_EVENT
from neonize.proto import Neonize_pb2 as neonize_proto
from neonize.utils.jid import build_jid


class FakeClient:
    registry: ClassVar[dict[str, list[FakeClient]]] = {}
    # Applied to every new client of an instance id (e.g. {"connect_error": "...", "stall": 5}).
    presets: ClassVar[dict[str, dict[str, Any]]] = {}

    def __init__(
        self, name: str, jid: Any = None, props: Any = None, uuid: str | None = None, new_device: bool = False
    ):
        self.name = name
        self.device_props = props
        self.uuid_str = uuid or name
        self.instance_id = self.uuid_str.split("#", 1)[0]
        self.uuid = self.uuid_str.encode()
        self.event = Event(self)
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self.answers: dict[str, Any] = {}
        self.connected = False
        self.me: Any = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.connect_task: asyncio.Task[None] | None = None
        self.own_jid = build_jid("5511999990000")
        self.push_name = "Loja Centro"
        self.not_on_whatsapp: set[str] = set()
        self.connect_error: str | None = None
        self.stall_seconds = 0.0
        self._stopped: asyncio.Event | None = None
        self._autopilot_task: asyncio.Task[None] | None = None
        for key, value in self.presets.get(self.instance_id, {}).items():
            setattr(self, key, value)
        self.registry.setdefault(self.instance_id, []).append(self)

    def __getattr__(self, name: str) -> Any:
        """Any other async method of NewAClient (groups, profile, chat operations, ...): recorded, and
        answered from `answers[name]` (None when unset). Names NewAClient does not have stay errors."""
        from neonize.aioze.client import NewAClient

        if name.startswith("_") or not asyncio.iscoroutinefunction(getattr(NewAClient, name, None)):
            raise AttributeError(name)

        async def method(*args: Any, **kwargs: Any) -> Any:
            answer = await _settled(self._record(name, *args, **kwargs))
            return None if answer is _NO_ANSWER else answer

        return method

    # --- test helpers -------------------------------------------------------------------------

    @classmethod
    def of(cls, instance_id: str) -> FakeClient:
        return cls.registry[instance_id][-1]

    @classmethod
    def all_of(cls, instance_id: str) -> list[FakeClient]:
        return cls.registry.get(instance_id, [])

    def names(self) -> list[str]:
        return [name for name, _args, _kwargs in self.calls]

    def calls_of(self, name: str) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
        return [(args, kwargs) for called, args, kwargs in self.calls if called == name]

    async def push(self, *events: Any) -> None:
        """Deliver events as neonize's Go callback thread does (in order, each handler posted to the loop
        without waiting for the one before), then wait for every handler to finish."""
        wires = [(EVENT_TO_INT[type(event)], event.SerializePartialToString()) for event in events]

        def from_go_thread() -> list[Any]:
            futures = []
            for code, wire in wires:
                message = INT_TO_EVENT[code]()
                message.MergeFromString(wire)  # neonize uses FromString; Partial allows test fixtures
                if code == 0:
                    self.me = message
                    continue
                if code == 3:
                    self.connected = True
                handler = self.event.list_func.get(code)
                if handler is not None:
                    futures.append(asyncio.run_coroutine_threadsafe(handler(self, message), self._loop()))
            return futures

        for future in await asyncio.to_thread(from_go_thread):
            await asyncio.wrap_future(future)

    async def push_qr(self, code: str) -> None:
        def from_go_thread() -> Any:
            return asyncio.run_coroutine_threadsafe(self.event._qr(self, code.encode()), self._loop())

        await asyncio.wrap_future(await asyncio.to_thread(from_go_thread))

    async def pair(self) -> None:
        """What WhatsApp does after a scan: the device is stored, PairStatus success, then Connected."""
        await asyncio.to_thread(self._store_device)
        await self.push(neonize_proto.PairStatus(ID=self.own_jid, Status=neonize_proto.PairStatus.SUCCESS))
        await self.push(neonize_proto.Connected(status=True))

    def _store_device(self) -> None:
        # whatsmeow writes the paired device into its session store; `has_session` looks for it
        store_device(self.name, f"{self.own_jid.User}:1@s.whatsapp.net")

    def _loop(self) -> asyncio.AbstractEventLoop:
        assert self.loop is not None, "connect() was not called"
        return self.loop

    def _record(self, name: str, *args: Any, **kwargs: Any) -> Any:
        self.calls.append((name, args, kwargs))
        if name in self.answers:
            answer = self.answers[name]
            if isinstance(answer, BaseException):
                raise answer
            if callable(answer):
                return answer(*args, **kwargs)
            return answer
        return _NO_ANSWER

    async def _blocked(self) -> None:
        """A Go call that waits for the socket lock held by a stalled dial."""
        if self.stall_seconds and not self.connected:
            await asyncio.to_thread(time.sleep, self.stall_seconds)

    # --- connection ---------------------------------------------------------------------------

    async def connect(self, proxy_settings: Any = None) -> asyncio.Task[None]:
        self._record("connect", proxy_settings)
        self.loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        stopped = self._stopped

        async def run() -> None:
            if self.connect_error:
                raise RuntimeError(self.connect_error)
            if self.stall_seconds:
                await asyncio.to_thread(time.sleep, self.stall_seconds)
                raise RuntimeError("failed to WebSocket dial: context deadline exceeded")
            await stopped.wait()

        self.connect_task = self.loop.create_task(run())
        journal = os.environ.get("FAKE_NEONIZE_AUTOPILOT")
        if journal:
            self._autopilot_task = self.loop.create_task(_autopilot(self, journal))
        return self.connect_task

    async def stop(self) -> None:
        self._record("stop")
        await self._blocked()
        self.connected = False
        if self._stopped is not None:
            self._stopped.set()

    async def disconnect(self) -> None:
        self._record("disconnect")
        await self._blocked()
        self.connected = False

    async def logout(self) -> None:
        answer = self._record("logout")
        await self._blocked()
        if answer is not _NO_ANSWER:
            return
        self.connected = False

    @property
    def is_connected(self) -> Any:
        async def probe() -> bool:
            answer = self._record("is_connected")
            await self._blocked()
            return self.connected if answer is _NO_ANSWER else bool(answer)

        return probe()

    @property
    def is_logged_in(self) -> Any:
        async def probe() -> bool:
            self._record("is_logged_in")
            return self.connected

        return probe()

    async def get_me(self) -> Any:
        answer = self._record("get_me")
        if answer is not _NO_ANSWER:
            return answer
        return neonize_proto.Device(JID=self.own_jid, PushName=self.push_name, Platform="android", Initialized=True)

    async def PairPhone(
        self, phone: str, show_push_notification: bool, client_name: Any = None, client_type: Any = None
    ) -> str:
        answer = self._record("PairPhone", phone, show_push_notification, client_name, client_type)
        return "WZYEH1YY" if answer is _NO_ANSWER else str(answer)

    async def set_proxy_address(
        self, proxy_address: str | None, no_websocket: bool = False, only_login: bool = False, no_media: bool = False
    ) -> None:
        self._record("set_proxy_address", proxy_address, no_websocket, only_login=only_login, no_media=no_media)

    # --- sending ------------------------------------------------------------------------------

    async def is_on_whatsapp(self, *numbers: str) -> list[Any]:
        answer = self._record("is_on_whatsapp", *numbers)
        if answer is not _NO_ANSWER:
            return list(answer)
        return [
            neonize_proto.IsOnWhatsAppResponse(
                Query=number, JID=build_jid(number.lstrip("+")), IsIn=number.lstrip("+") not in self.not_on_whatsapp
            )
            for number in numbers
        ]

    async def send_message(
        self,
        to: Any,
        message: Any,
        link_preview: bool = False,
        ghost_mentions: str | None = None,
        mentions_are_lids: bool = False,
        add_msg_secret: bool = False,
    ) -> Any:
        answer = self._record("send_message", to, message, link_preview=link_preview)
        if answer is not _NO_ANSWER:
            return answer
        from neonize.proto.waE2E.WAWebProtobufsE2E_pb2 import Message

        sent = Message(conversation=message) if isinstance(message, str) else message
        message_id = "3EB0" + hashlib.sha1(f"{time.time_ns()}{id(sent)}".encode()).hexdigest()[:18].upper()
        return neonize_proto.SendResponse(ID=message_id, Timestamp=int(time.time()), ServerID=0, Message=sent)

    async def upload(self, binary: bytes, media_type: Any = None) -> Any:
        answer = self._record("upload", len(binary), media_type)
        if answer is not _NO_ANSWER:
            return answer
        digest = hashlib.sha256(binary).digest()
        return neonize_proto.UploadResponse(
            url="https://mmg.whatsapp.net/v/t62.fake/" + digest.hex()[:16],
            DirectPath="/v/t62.fake/" + digest.hex()[:16],
            Handle="",
            MediaKey=hashlib.sha256(b"key" + binary).digest(),
            FileEncSHA256=hashlib.sha256(b"enc" + binary).digest(),
            FileSHA256=digest,
            FileLength=len(binary),
        )

    async def send_chat_presence(self, jid: Any, state: Any, media: Any) -> None:
        self._record("send_chat_presence", jid, state, media)

    async def send_presence(self, presence: Any) -> None:
        self._record("send_presence", presence)

    async def mark_read(
        self, *message_ids: str, chat: Any, sender: Any, receipt: Any, timestamp: int | None = None
    ) -> None:
        self._record("mark_read", *message_ids, chat=chat, sender=sender, receipt=receipt)

    async def reject_call(self, call_from: Any, call_id: str) -> None:
        self._record("reject_call", call_from, call_id)

    async def get_profile_picture(self, jid: Any, extra: Any = None) -> Any:
        answer = await _settled(self._record("get_profile_picture", jid, extra=extra))
        if answer is not _NO_ANSWER:
            return answer
        return neonize_proto.ProfilePictureInfo(URL="https://pps.whatsapp.net/v/t61/fake.jpg", ID="1")

    async def get_group_info(self, jid: Any) -> Any:
        answer = await _settled(self._record("get_group_info", jid))
        if answer is not _NO_ANSWER:
            return answer
        return neonize_proto.GroupInfo(JID=jid)

    async def download_any(self, message: Any, path: str | None = None) -> bytes:
        answer = self._record("download_any", message)
        return b"media-bytes" if answer is _NO_ANSWER else answer


_NO_ANSWER = object()
_lock = threading.Lock()


async def _autopilot(client: FakeClient, journal: str) -> None:
    """For a server run as a subprocess (cluster tests), where no test can drive this client: a
    stored device is resumed at once, as whatsmeow does (Connected, no QR); otherwise a QR code
    is shown and "scanned". Each step is appended to `journal` as a JSON line."""
    await asyncio.sleep(0.05)  # the channel registers its handlers right after connect()
    device = await asyncio.to_thread(stored_device, client.name)
    if device is not None:
        _note(journal, client, "resumed", device)
        await client.push(neonize_proto.Connected(status=True))
        return
    _note(journal, client, "qr", None)
    await client.push_qr("2@autopilot,key1,key2,key3")
    await asyncio.sleep(0.2)
    await client.pair()
    _note(journal, client, "paired", await asyncio.to_thread(stored_device, client.name))


def store_label(store: str) -> str:
    """Where a store is, without the DSN's password: `pg:<schema>` or `file:<path>`."""
    if _is_postgres(store):
        from urllib.parse import parse_qs, urlsplit

        return "pg:" + parse_qs(urlsplit(store).query).get("search_path", ["?"])[0]
    return f"file:{store}"


def _note(journal: str, client: FakeClient, step: str, device: str | None) -> None:
    line = {
        "node": os.environ.get("CLUSTER_NODE_ID"),
        "instance": client.instance_id,
        "step": step,
        "device": device,
        "store": store_label(client.name),
    }
    with _lock, open(journal, "a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\n")


def _is_postgres(store: str) -> bool:
    return store.startswith("postgres")  # what neonize's Go `getDB` checks to pick lib/pq over SQLite


def store_device(store: str, jid: str) -> None:
    """Write a paired device where whatsmeow would: the SQLite file, or (a PostgreSQL DSN) the tables
    of the schema its `search_path` names. Blocking: call it from a thread."""
    if _is_postgres(store):
        asyncio.run(_pg(store, "CREATE TABLE IF NOT EXISTS whatsmeow_device (jid TEXT PRIMARY KEY)"))
        asyncio.run(_pg(store, "INSERT INTO whatsmeow_device VALUES ($1) ON CONFLICT DO NOTHING", jid))
        return
    import sqlite3

    with sqlite3.connect(store) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS whatsmeow_device (jid TEXT PRIMARY KEY)")
        conn.execute("INSERT OR REPLACE INTO whatsmeow_device VALUES (?)", (jid,))


def stored_device(store: str) -> str | None:
    """The device a real client would resume from `store` (GetFirstDevice), or None. Blocking."""
    if _is_postgres(store):
        rows = asyncio.run(_pg(store, "SELECT jid FROM whatsmeow_device ORDER BY jid", missing_ok=True))
        return str(rows[0]["jid"]) if rows else None
    import sqlite3

    try:
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as conn:
            row = conn.execute("SELECT jid FROM whatsmeow_device ORDER BY jid").fetchone()
    except sqlite3.Error:
        return None
    return str(row[0]) if row else None


async def _pg(dsn: str, query: str, *args: Any, missing_ok: bool = False) -> list[Any]:
    import asyncpg  # asyncpg reads `search_path` in the DSN as a server setting, as lib/pq does

    conn = await asyncpg.connect(dsn)
    try:
        return list(await conn.fetch(query, *args))
    except asyncpg.UndefinedTableError:
        if missing_ok:
            return []
        raise
    finally:
        await conn.close()


def create(path: str, uuid: str, device: Any = None) -> FakeClient:
    """The `WHATSMEOW_CLIENT_FACTORY` entry point: (session path, uuid, device options) → client."""
    with _lock:
        return FakeClient(path, uuid=uuid, props=device.props() if device is not None else None)


async def _settled(answer: Any) -> Any:
    """An awaitable answer (a callable that returned a coroutine) is awaited: a test makes a Go call
    stall with `answers[name] = lambda *_a: release.wait()`."""
    return await answer if inspect.isawaitable(answer) else answer
