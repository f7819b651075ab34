"""The `WHATSAPP-BAILEYS` channel on neonize: connection lifecycle (states, logout, restart, session
resume, proxy, reconnect with backoff, a watchdog for silent sockets); QR and pairing codes are in
`pairing.py`. What the channel can do is composed from feature objects (messages, media, chats,
profile, groups, labels, calls, business, inbound) that share one `Session`, the only road to neonize.

Rules that come from how neonize behaves (stack-facts §3):
- Every Go call parks a thread of the default executor; during a stalled dial `stop()`,
  `disconnect()` and `is_connected` block for up to ~60 s. So nothing awaits a Go call without a
  timeout (`Session.call` / `Session.bounded`), the state is tracked from events (never probed on a
  request path), and a stop that does not finish in time is left running in the background.
- The connect task is never cancelled: neonize's cancel path calls Go `Stop()` on the event loop
  thread itself, which would freeze the loop during a stalled dial. Watchers await it shielded.
- Handler exceptions vanish inside neonize, so each handler is wrapped and logs its failure.
- Events of a client we already replaced are ignored (a generation number per client).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

from evolution_py.channels.base import BaseChannel, ConnectionState, InstanceContext, QrCode
from evolution_py.channels.whatsapp_web import device_store, threads
from evolution_py.channels.whatsapp_web.baileys_calls import BaileysFeature
from evolution_py.channels.whatsapp_web.business import BusinessFeature
from evolution_py.channels.whatsapp_web.calls import CallsFeature
from evolution_py.channels.whatsapp_web.chats import ChatsFeature
from evolution_py.channels.whatsapp_web.errors import CHANNEL_LABEL
from evolution_py.channels.whatsapp_web.groups import GroupsFeature
from evolution_py.channels.whatsapp_web.inbound import InboundFeature
from evolution_py.channels.whatsapp_web.jids import jid_str, to_jid
from evolution_py.channels.whatsapp_web.labels import LabelsFeature
from evolution_py.channels.whatsapp_web.lanes import EventLanes, chat_of
from evolution_py.channels.whatsapp_web.media import MediaFeature
from evolution_py.channels.whatsapp_web.messages import MessagesFeature
from evolution_py.channels.whatsapp_web.pairing import Pairing
from evolution_py.channels.whatsapp_web.profile import ProfileFeature
from evolution_py.channels.whatsapp_web.receive import iso_utc
from evolution_py.channels.whatsapp_web.sender import Sender
from evolution_py.channels.whatsapp_web.session import CallTimedOut, NeonizeClient, Session, neonize
from evolution_py.config import Settings
from evolution_py.events import names

log = logging.getLogger(__name__)

QR_LIMIT_MESSAGE = "QR code limit reached, please login again"
# LoggedOut / ConnectFailure reasons that mean the session is gone for good.
_SESSION_GONE_REASONS = {2, 4, 5}  # LOGGED_OUT, MAIN_DEVICE_GONE, UNKNOWN_LOGOUT


class WhatsAppWebChannel(BaseChannel):
    integration = "WHATSAPP-BAILEYS"
    label = CHANNEL_LABEL

    def __init__(
        self, ctx: InstanceContext, settings: Settings, client_factory: device_store.ClientFactory | None = None
    ) -> None:
        super().__init__(ctx)
        env = settings.env
        self._settings = settings
        self._client_factory = client_factory or device_store.resolve_client_factory(
            env.text("WHATSMEOW_CLIENT_FACTORY")
        )
        self._sessions = device_store.instance_sessions(
            ctx.instance_id,
            ctx.name,
            settings.data_dir,
            settings.whatsmeow_session_store,
            settings.whatsmeow_session_dsn,
            getattr(getattr(ctx.store, "db", None), "engine", None),
            settings.whatsmeow_session_db_idle_seconds,
        )
        # Timings (seconds); environment-tunable so tests and operators can shorten or lengthen them.
        self.backoff_base = env.number("WHATSMEOW_RECONNECT_BASE_SECONDS", 2.0)
        self.backoff_max = env.number("WHATSMEOW_RECONNECT_MAX_SECONDS", 300.0)
        self.watchdog_seconds = env.number("WHATSMEOW_WATCHDOG_SECONDS", 90.0)
        self.call_timeout = env.number("WHATSMEOW_CALL_TIMEOUT_SECONDS", 20.0)
        self.logout_timeout = min(self.call_timeout, 5.0)
        # A fresh pairing gives up after this many failed dials; a stored session keeps retrying.
        self.qr_dial_attempts = env.integer("WHATSMEOW_QR_DIAL_ATTEMPTS", 3, minimum=1)

        self.session = Session(ctx, call_timeout=self.call_timeout)
        owner = getattr(ctx, "owner_jid", None)
        self.session.owner_jid = owner if isinstance(owner, str) else None
        # What the channel can do: one feature object per capability, all over the same session.
        sender = Sender(self.session, ctx)
        self.messaging = messages = MessagesFeature(sender)
        self.media = MediaFeature(self.session, ctx, sender)
        self.chats = ChatsFeature(self.session, ctx, sender)
        self.profile = ProfileFeature(self.session, ctx)
        self.groups = GroupsFeature(self.session, ctx, messages)
        self.labels = LabelsFeature(self.session, ctx)
        self.calls = CallsFeature()
        self.business = BusinessFeature(self.session, ctx)
        self.baileys = BaileysFeature(self.session)
        self._inbound = InboundFeature(self.session, ctx, sender)  # WhatsApp events; `self.inbound` is the HTTP webhook
        self.pairing = Pairing(
            self.session,
            ctx,
            settings,
            # whatsmeow stops offering QR codes after about a minute and a half and says so only on
            # stdout; without a new QR for this long, a fresh QR session is started (upstream keeps
            # refreshing QR codes until QRCODE_LIMIT).
            qr_timeout=env.number("WHATSMEOW_QR_TIMEOUT_SECONDS", 75.0),
            on_limit=self._qr_limit_reached,
            on_expired=self._renew_qr_session,
        )

        self._want_online = False
        self._dial_failures = 0
        # Why the last dial failed, in words: `connect` answers it beside upstream's fields
        # (`lastConnectionError`, docs/compatibility.md); cleared once the instance is open.
        self.last_failure: str | None = None
        self._last_activity = time.monotonic()
        self._profile_name: str | None = None
        self._lanes = EventLanes()  # the order events are handled in (lanes.py)
        self._watchdog: asyncio.Task[None] | None = None
        self._reconnect: asyncio.Task[None] | None = None

    # --- what the API reads -------------------------------------------------------------------

    @property
    def state(self) -> ConnectionState:
        return self.session.state

    @property
    def owner_jid(self) -> str | None:
        return self.session.owner_jid

    @property
    def qrcode(self) -> QrCode:
        return self.pairing.qrcode

    @property
    def client(self) -> NeonizeClient | None:
        """The current neonize client (None between clients); features reach it only via the session."""
        return self.session.client

    def require_open(self) -> None:
        self.session.require_open()

    # --- Channel protocol ---------------------------------------------------------------------

    async def start(self) -> None:
        if await self._sessions.has_session():
            self._want_online = True
            await self._open_client()

    async def connect(self, number: str | None = None) -> QrCode | None:
        if self.session.state == "open":
            return None
        if self.session.state == "connecting":
            return self.pairing.qrcode
        self.session.state = "connecting"  # before any await: a second connect meanwhile must not dial again
        self._want_online = True
        self._dial_failures = 0
        self.pairing.begin(number)
        await self._open_client()
        return self.pairing.qrcode

    async def logout(self) -> None:
        client = self.session.client
        paired = self.session.state == "open" or await self._sessions.has_session(if_unknown=True)
        self._want_online = False
        self._retire_client()
        if client is not None:
            if paired:  # nothing to revoke on WhatsApp before a device was linked
                try:
                    await self.session.bounded(client.logout(), self.logout_timeout)
                except Exception as exc:  # noqa: BLE001 - offline, stalled, or the session was already revoked
                    log.warning("instance %s: logout on WhatsApp failed: %r", self.ctx.name, exc)
            await self._stop_client(client)
        await self._sessions.remove()
        await self._closed(401, emit_logout=True)

    async def restart(self) -> None:
        client = self.session.client
        self._retire_client()
        await self._stop_client(client)
        self._want_online = True
        await self._open_client()

    async def close(self) -> None:
        client = self.session.client
        self._want_online = False
        self._retire_client()
        self.session.state = "close"
        await self._stop_client(client, wait=3.0)

    async def delete_session(self) -> None:
        self._want_online = False
        self._retire_client()
        await self._sessions.remove()

    # --- client lifecycle ---------------------------------------------------------------------

    def _retire_client(self) -> None:
        """Forget the current client: its late events are ignored from now on."""
        self.session.retire()
        for task in (self._watchdog, self._reconnect):
            if task is not None and task is not asyncio.current_task():
                task.cancel()
        self._watchdog = self._reconnect = None
        self.pairing.stop_timer()

    async def _open_client(self) -> None:
        self._retire_client()
        generation = self.session.generation
        try:
            target = await self._sessions.open_target()
        except Exception as exc:  # noqa: BLE001 - the store's database is unreachable: a failed dial
            log.warning("instance %s: session store not ready: %s", self.ctx.name, type(exc).__name__)
            self.last_failure = f"session store not ready: {type(exc).__name__}"
            await self._dial_failed(generation)
            return
        if generation != self.session.generation:  # replaced while the store was made ready
            return
        device = device_store.DeviceOptions(
            self._settings.session_phone_client, self._settings.session_phone_name, self.ctx.settings.syncFullHistory
        )
        # The Go side keys clients by uuid: one per client object, so a stop still blocked in a stalled
        # dial never collides with its replacement.
        client = self._client_factory(target, f"{self.ctx.instance_id}#{generation}", device)
        self.session.client = client
        self._register(client, generation)
        await self._set_state("connecting")
        proxy = self._proxy_settings()
        try:
            # no Go call yet: neonize only schedules the task that runs the blocking `Neonize()` dial
            task = await client.connect(proxy)
        except Exception as exc:  # noqa: BLE001 - logged; counts as a failed dial
            log.warning("instance %s: could not start the connection: %s", self.ctx.name, exc)
            self.last_failure = f"could not start the connection: {exc}"
            await self._dial_failed(generation)
            return
        self.session.spawn(self._watch_dial(generation, task))

    def _proxy_settings(self) -> Any:
        url = self.ctx.proxy.url()
        if url is None:
            return None
        return neonize().ProxySettings(proxy_address=url)

    async def _watch_dial(self, generation: int, task: Awaitable[Any]) -> None:
        """The connect task ends when the client stops, or at once when the dial fails."""
        threads.client_started(self._settings.executor_threads)
        try:
            await asyncio.shield(task)
            failed = False
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - logged; counts as a failed dial
            log.warning("instance %s: connection failed: %s", self.ctx.name, exc)
            self.last_failure = f"connection failed: {exc}"
            failed = True
        finally:
            threads.client_stopped()
        if generation != self.session.generation or not self._want_online:
            return
        if failed or self.session.state != "open":
            await self._dial_failed(generation)
        else:
            # the client stopped on its own while we wanted it online
            await self._schedule_reconnect(generation)

    async def _dial_failed(self, generation: int) -> None:
        self._dial_failures += 1
        resumable = await self._sessions.has_session(if_unknown=True)
        if not resumable and self._dial_failures >= self.qr_dial_attempts:
            log.warning("instance %s: giving up after %d failed dials", self.ctx.name, self._dial_failures)
            self.last_failure = f"gave up after {self._dial_failures} failed dials; last: {self.last_failure}"
            self._want_online = False
            self._retire_client()
            await self._closed(408)
            return
        await self._schedule_reconnect(generation)

    async def _schedule_reconnect(self, generation: int) -> None:
        if generation != self.session.generation:
            return
        delay = self.backoff_delay(self._dial_failures)
        log.info("instance %s: reconnecting in %.1f s", self.ctx.name, delay)
        client = self.session.client
        self._reconnect = self.session.spawn(self._reconnect_after(generation, client, delay))

    def backoff_delay(self, failures: int) -> float:
        """Exponential with ±50 % jitter, so many instances that lost the network do not redial together."""
        ceiling = min(self.backoff_max, self.backoff_base * (2 ** max(failures - 1, 0)))
        return float(ceiling * random.uniform(0.5, 1.5))

    async def _reconnect_after(self, generation: int, client: Any, delay: float) -> None:
        await asyncio.sleep(delay)
        if generation != self.session.generation or not self._want_online:
            return
        self._reconnect = None
        await self._stop_client(client)
        if generation == self.session.generation and self._want_online:
            await self._open_client()

    async def _stop_client(self, client: NeonizeClient | None, wait: float = 5.0) -> None:
        if client is None:
            return
        try:
            await self.session.bounded(client.stop(), wait)
        except CallTimedOut:  # the stop goes on in the background
            log.warning("instance %s: client stop is blocked (stalled dial); left in the background", self.ctx.name)
        except Exception as exc:  # noqa: BLE001 - logged; stopping must not fail
            log.warning("instance %s: client stop failed: %s", self.ctx.name, exc)

    # --- states -------------------------------------------------------------------------------

    async def _set_state(self, state: ConnectionState, status_reason: int = 200) -> None:
        self.session.state = state
        await self.ctx.update_connection(state)
        try:
            await self.ctx.emit(
                names.CONNECTION_UPDATE, {"instance": self.ctx.name, "state": state, "statusReason": status_reason}
            )
        except Exception as exc:  # noqa: BLE001 - logged; the connection's own course must go on
            # The event could not be accepted (the database out of reach, say). The callers are the
            # dial, the retries and the watchdog: had this raised, a redial would stop right here and
            # the instance would stay `connecting` on a dead client for good. Its state is still set
            # and stored above (update_connection keeps its own errors), and the next change emits.
            log.warning(
                "instance %s: connection.update (%s) could not be emitted: %s", self.ctx.name, state, type(exc).__name__
            )

    async def _closed(self, reason: int, *, emit_logout: bool = False) -> None:
        """Final close (upstream: status.instance → logout.instance → connection.update close)."""
        self.session.state = "close"
        self.pairing.clear()
        await self.ctx.update_connection("close", reason_code=reason, reason=f'{{"statusCode":{reason}}}')
        await self.ctx.emit(
            names.STATUS_INSTANCE,
            {
                "instance": self.ctx.name,
                "status": "closed",
                "disconnectionAt": _now_iso(),
                "disconnectionReasonCode": reason,
                "disconnectionObject": f'{{"statusCode":{reason}}}',
            },
        )
        if emit_logout:
            await self.ctx.emit(names.LOGOUT_INSTANCE, None)
        await self.ctx.emit(
            names.CONNECTION_UPDATE, {"instance": self.ctx.name, "state": "close", "statusReason": reason}
        )

    # --- handler registration -----------------------------------------------------------------

    def _register(self, client: Any, generation: int) -> None:
        ev = neonize().events

        def guarded(
            handler: Callable[[Any], Awaitable[None]], *, by_chat: bool = False
        ) -> Callable[[Any, Any], Awaitable[None]]:
            async def run(_client: Any, event: Any) -> None:
                # neonize posts each event as its own coroutine, in arrival order: its turn is taken
                # before the first await. A message or receipt follows only its own chat's earlier
                # events; any other event runs alone, after everything before it (lanes.py).
                async with self._lanes.turn(chat_of(event) if by_chat else None):
                    if generation != self.session.generation:
                        return
                    self._last_activity = time.monotonic()
                    try:
                        await handler(event)
                    except Exception:
                        log.exception("instance %s: %s handler failed", self.ctx.name, type(event).__name__)

            return run

        client.event.qr(guarded(self.pairing.on_qr))
        lifecycle: dict[Any, Callable[[Any], Awaitable[None]]] = {
            ev.PairStatusEv: self._on_pair_status,
            ev.ConnectedEv: self._on_connected,
            ev.DisconnectedEv: self._on_disconnected,
            ev.LoggedOutEv: self._on_logged_out,
            ev.StreamReplacedEv: self._on_stream_replaced,
            ev.ConnectFailureEv: self._on_connect_failure,
            ev.TemporaryBanEv: self._on_temporary_ban,
            ev.KeepAliveTimeoutEv: self._on_keepalive_timeout,
            ev.ClientOutdatedEv: self._on_client_outdated,
        }
        by_chat = {ev.MessageEv, ev.ReceiptEv}
        for event_type, handler in {**lifecycle, **self._inbound.handlers(ev)}.items():
            client.event(event_type)(guarded(handler, by_chat=event_type in by_chat))

    # --- lifecycle events ---------------------------------------------------------------------

    async def _renew_qr_session(self) -> None:
        """No new QR code for `qr_timeout` while connecting: whatsmeow stopped offering codes."""
        if not self._want_online:
            return
        log.info(
            "instance %s: no new QR code for %.0f s; starting a new QR session", self.ctx.name, self.pairing.qr_timeout
        )
        client = self.session.client
        self._retire_client()
        await self._stop_client(client)
        if self._want_online:
            await self._open_client()  # the QR count goes on: QRCODE_LIMIT still ends it

    async def _qr_limit_reached(self) -> None:
        client = self.session.client
        self._want_online = False
        self._retire_client()
        await self.ctx.emit(names.QRCODE_UPDATED, {"message": QR_LIMIT_MESSAGE, "statusCode": 500})
        await self.ctx.emit(
            names.CONNECTION_UPDATE,
            {
                "instance": self.ctx.name,
                "state": "refused",
                "statusReason": 428,
                "wuid": self.session.owner_jid,
                "profileName": self._profile_name,
                "profilePictureUrl": None,
            },
        )
        self.session.state = "close"
        self.pairing.clear()
        await self.ctx.update_connection("close")
        self.session.spawn(self._stop_client(client))

    async def _on_pair_status(self, event: Any) -> None:
        if int(event.Status) == 2 and event.ID.User:
            self.session.owner_jid = jid_str(event.ID)
            self._profile_name = event.BusinessName or self._profile_name

    async def _on_connected(self, _event: Any) -> None:
        self.pairing.linked()
        self._dial_failures = 0
        self.last_failure = None
        generation = self.session.generation
        try:
            me = await self.session.call(lambda client: client.get_me(), limit=5)
            if me.JID.User:
                self.session.owner_jid = jid_str(me.JID)
            self._profile_name = me.PushName or self._profile_name
        except Exception as exc:  # noqa: BLE001 - logged; the connection goes on
            log.warning("instance %s: could not read the own device: %s", self.ctx.name, exc)
        picture = await self._profile_picture_url(self.session.owner_jid)
        if generation != self.session.generation:
            return  # replaced (restart, logout, close) while we asked who we are
        self.session.state = "open"
        await self.ctx.update_connection(
            "open", owner_jid=self.session.owner_jid, profile_name=self._profile_name, profile_pic_url=picture
        )
        await self.ctx.emit(
            names.CONNECTION_UPDATE,
            {
                "instance": self.ctx.name,
                "wuid": self.session.owner_jid,
                "profileName": self._profile_name,
                "profilePictureUrl": picture,
                "state": "open",
                "statusReason": 200,
            },
        )
        await self._apply_online_setting()
        generation = self.session.generation
        if self._watchdog is None or self._watchdog.done():
            self._watchdog = self.session.spawn(self._watch_silence(generation))

    async def _profile_picture_url(self, jid: str | None) -> str | None:
        if not jid:
            return None
        try:
            info = await self.session.call(lambda client: client.get_profile_picture(to_jid(jid)), limit=5)
            return (info.URL or None) if info is not None else None
        except Exception:  # noqa: BLE001 - no readable picture shows null
            return None

    async def _apply_online_setting(self) -> None:
        presences = neonize().Presence
        presence = presences.AVAILABLE if self.ctx.settings.alwaysOnline else presences.UNAVAILABLE
        try:
            await self.session.call(lambda client: client.send_presence(presence), limit=5)
        except Exception as exc:  # noqa: BLE001 - logged; presence is best effort
            log.debug("instance %s: presence not sent: %s", self.ctx.name, exc)

    async def _on_disconnected(self, _event: Any) -> None:
        # whatsmeow reconnects on its own after a dropped socket; report it truthfully meanwhile.
        if self._want_online and self.session.state == "open":
            await self._set_state("connecting")

    async def _on_logged_out(self, event: Any) -> None:
        await self._session_ended(401 if int(event.Reason) in _SESSION_GONE_REASONS else 403)

    async def _on_connect_failure(self, event: Any) -> None:
        if int(event.Reason) in _SESSION_GONE_REASONS:
            await self._session_ended(401)
        else:
            log.warning("instance %s: connect failure %s: %s", self.ctx.name, event.Reason, event.Message)
            self.last_failure = f"WhatsApp refused the connection (reason {event.Reason}): {event.Message}"

    async def _on_temporary_ban(self, event: Any) -> None:
        log.warning("instance %s: temporarily banned (code %s, %s s)", self.ctx.name, event.Code, event.Expire)
        self.last_failure = f"WhatsApp banned this number temporarily (code {event.Code}, {event.Expire} s)"
        await self._stop_for_good(402)

    async def _on_client_outdated(self, _event: Any) -> None:
        # WhatsApp refuses this whatsmeow version (405): redialing cannot help until neonize is upgraded.
        log.error("instance %s: WhatsApp says the client is outdated; upgrade neonize", self.ctx.name)
        self.last_failure = "WhatsApp says this client version is outdated (405): neonize needs an upgrade"
        await self._stop_for_good(405)

    async def _stop_for_good(self, reason: int) -> None:
        client = self.session.client
        self._want_online = False
        self._retire_client()
        self.session.spawn(self._stop_client(client))
        await self._closed(reason)

    async def _on_stream_replaced(self, _event: Any) -> None:
        # Another client took this session over; whatsmeow does not reconnect, and neither do we.
        await self._stop_for_good(440)

    async def _session_ended(self, reason: int) -> None:
        client = self.session.client
        self._want_online = False
        self._retire_client()
        self.session.spawn(self._stop_client(client))
        if reason == 401:
            await self._sessions.remove()
        await self._closed(reason, emit_logout=reason == 401)

    async def _on_keepalive_timeout(self, event: Any) -> None:
        log.info("instance %s: keep-alive timeout (%s errors)", self.ctx.name, event.ErrorCount)

    # --- watchdog -----------------------------------------------------------------------------

    async def _watch_silence(self, generation: int) -> None:
        """An instance that says `open` while nothing arrives is probed, and reconnected if dead."""
        while generation == self.session.generation and self._want_online:
            await asyncio.sleep(self.watchdog_seconds / 3)
            if generation != self.session.generation or self.session.state != "open":
                continue
            if time.monotonic() - self._last_activity < self.watchdog_seconds:
                continue
            probed = self.session.client
            alive = False
            if probed is not None:
                try:
                    alive = bool(await self.session.bounded(_is_connected(probed), 10))
                except Exception:  # noqa: BLE001 - no answer, or an error: both mean "not connected"
                    alive = False
            if generation != self.session.generation:
                return
            if alive:
                self._last_activity = time.monotonic()
                continue
            log.warning("instance %s: open but silent and not connected; reconnecting", self.ctx.name)
            self._watchdog = None
            client = self.session.client
            await self._set_state("connecting")
            self._retire_client()
            await self._stop_client(client)
            if self._want_online:
                await self._open_client()
            return


async def _is_connected(client: NeonizeClient) -> Any:
    # neonize's `is_connected` is a property that returns an awaitable
    return await client.is_connected


def _now_iso() -> str:
    return iso_utc(time.time())
