"""The chatbot engine: one integration on the bus for every bot kind.

For each inbound `messages.upsert` and each switched-on kind (upstream's order), as upstream's base
chatbot controller decides: the settings row's ignoreJids; the JID's session (another integration's
open session keeps bots out); the bot (the session's, else by trigger, else the settings' fallback);
its behaviour merged over the settings row; expire, stopBotFromMe, listeningFromMe, a closed or paused
session, keywordFinish; then the backend is asked and its replies are sent through MessagingService.

Durable and once: each (message, kind) is recorded in `ChatbotTurn` before the bot is asked; the
replies are stored there before they are sent, with how many went out, so a retried delivery or a
restart resumes sending instead of asking the bot again, and a redelivered message is not answered
twice. Debounce keeps messages `pending` there until the conversation is quiet for debounceTime.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, or_, select

from evolution_py.channels.capabilities import ChannelError
from evolution_py.events import names
from evolution_py.events.event import Event
from evolution_py.integrations.base import BaseIntegration, IntegrationContext, IntegrationFailed
from evolution_py.integrations.chatbots.admin import ChatbotAdmin
from evolution_py.integrations.chatbots.dto import BEHAVIOUR_NAMES
from evolution_py.integrations.chatbots.kind import Backend, BackendContext, BackendError, BotKind, Turn
from evolution_py.integrations.chatbots.openai.speech import settings_client, transcribe_with
from evolution_py.integrations.chatbots.presence import PRESENCE
from evolution_py.integrations.chatbots.replies import send_reply
from evolution_py.integrations.chatbots.sessions import SessionStore
from evolution_py.integrations.chatbots.triggers import conversation_text, find_by_trigger, ignored
from evolution_py.outbound import OutboundError
from evolution_py.store.db import Database
from evolution_py.store.models import new_id, utcnow
from evolution_py.store.safe_text import safe_json, safe_text

log = logging.getLogger(__name__)

RESUME_WAIT_SECONDS = 30.0  # at start, how long a stored turn waits for its instance to be loaded
RESEND_DELAYS_SECONDS = (5.0, 15.0, 60.0, 300.0)
TURNS_KEPT = timedelta(days=3)
PRUNE_EVERY_SECONDS = 3600.0
MAX_CONTEXT_CHARS = 200_000  # a session's stored context (OpenAI's history) at most
MAX_JID_CHARS = 100  # IntegrationSession.remoteJid's length
MAX_MESSAGE_ID_CHARS = 255


@dataclass
class Selection:
    bot: dict[str, Any]
    session: dict[str, Any] | None
    settings: dict[str, Any]


class ChatbotEngine(BaseIntegration):
    name = "chatbots"

    def __init__(self, context: IntegrationContext, db: Database, kinds: tuple[BotKind, ...]) -> None:
        self.context = context
        self.db = db
        self.kinds = kinds
        self.sessions = SessionStore(db)
        self.backend_context = BackendContext(settings=context.settings, outbound=context.outbound, db=db)
        self.backends: dict[str, Backend] = {kind.route: kind.backend(self.backend_context) for kind in kinds}
        self._locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = weakref.WeakValueDictionary()
        self._timers: dict[tuple[str, str, str], asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        self._spawn(self._resume_stored())
        self._spawn(self._prune_forever())

    async def _prune_forever(self) -> None:
        """Finished turns are kept TURNS_KEPT (longer than any redelivery of the bus), then forgotten."""
        while True:
            await asyncio.sleep(PRUNE_EVERY_SECONDS)
            try:
                await self.sessions.prune_turns(TURNS_KEPT)
            except Exception:  # the next round tries again (a database away)
                log.debug("chatbot turns not pruned", exc_info=True)

    async def stop(self) -> None:
        for task in [*self._timers.values(), *self._tasks]:
            task.cancel()
        self._timers.clear()

    def _spawn(self, work: Any) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # --- the bus ------------------------------------------------------------------------------

    def _active(self) -> list[BotKind]:
        return [kind for kind in self.kinds if kind.enabled(self.context.settings)]

    async def wants(self, event: Event) -> bool:
        if event.event != names.MESSAGES_UPSERT or not isinstance(event.data, dict):
            return False
        key = event.data.get("key")
        if not isinstance(key, dict) or not isinstance(key.get("remoteJid"), str) or not key.get("id"):
            return False
        if key["remoteJid"] == "status@broadcast" or len(key["remoteJid"]) > MAX_JID_CHARS:
            return False
        if len(str(key["id"])) > MAX_MESSAGE_ID_CHARS:
            return False
        known = PRESENCE.get(event.instance_id)
        if known is None:
            known = await self._has_bots(event.instance_id)
            PRESENCE.set(event.instance_id, known)
        return known

    async def _has_bots(self, instance_id: str) -> bool:
        active = self._active()
        if not active:
            return False
        query = select(or_(*(exists().where(k.bot_table.instanceId == instance_id) for k in active)))
        async with self.db.session() as session:
            return bool(await session.scalar(query))

    async def handle(self, event: Event) -> None:
        runtime = self.context.registry.get(event.instance)
        if runtime is None:
            return
        data: dict[str, Any] = event.data
        remote_jid = data["key"]["remoteJid"]
        async with self._lock(runtime.id, remote_jid):
            active = self._active()
            if active:
                data = await self._with_transcription(runtime.id, data)
            for kind in active:
                await self._offer(kind, runtime, data)

    async def _with_transcription(self, instance_id: str, data: dict[str, Any]) -> dict[str, Any]:
        """upstream's OpenAI `speechToText` setting: an audio is transcribed once, for every kind."""
        message = data.get("message")
        if not isinstance(message, dict) or "audioMessage" not in message or message.get("speechToText"):
            return data
        if not self.context.settings.env.flag("OPENAI_ENABLED", False):
            return data
        client = await settings_client(self.backend_context, instance_id, only_if_on=True)
        if client is None:
            return data
        text = await transcribe_with(self.backend_context, client, data)
        return {**data, "message": {**message, "speechToText": f"[audio] {text}"}} if text else data

    def _lock(self, instance_id: str, remote_jid: str) -> asyncio.Lock:
        """One conversation's lock (kept only while someone holds a reference to it)."""
        key = (instance_id, remote_jid)
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        return lock

    # --- one kind, one message ----------------------------------------------------------------

    async def _offer(self, kind: BotKind, runtime: Any, data: dict[str, Any]) -> None:
        key = data["key"]
        turn = await self.sessions.turn(runtime.id, kind.route, str(key["id"]))
        if turn is not None:
            if turn["status"] == "answering":
                await self._send(kind, runtime, turn, data)
            return
        content = conversation_text(data) or ""
        selected = await self._select(kind, runtime, data, content)
        if selected is None:
            return
        debounce = int(selected.settings.get("debounceTime") or 0)
        status = "pending" if debounce > 0 else "taken"
        turn_id = await self.sessions.take(runtime.id, kind.route, str(key["id"]), key["remoteJid"], status, data)
        if turn_id is None:
            return
        if debounce > 0:
            self._arm(kind, runtime.id, key["remoteJid"], debounce)
            return
        await self._process(kind, runtime, data, content, [turn_id], selected=selected)

    async def _select(
        self, kind: BotKind, runtime: Any, data: dict[str, Any], content: str, forced: dict[str, Any] | None = None
    ) -> Selection | None:
        """The bot this kind answers with, or None when it stays silent (and the pause it causes)."""
        admin = ChatbotAdmin(self.db, self.context.settings, kind)
        remote_jid = data["key"]["remoteJid"]
        from_me = bool(data["key"].get("fromMe"))
        stored = await admin.settings_row(runtime.id) or {}
        if ignored(stored.get("ignoreJids"), remote_jid):
            return None
        session = await self.sessions.current(runtime.id, remote_jid)
        if session is not None and session.get("blocked"):
            return None
        if session is not None and session.get("type") != kind.session_type:
            return None  # another kind's conversation (upstream would also try this kind's fallback)
        bot: dict[str, Any] | None
        if forced is not None:
            bot = forced
        elif session is not None:
            bot = await admin.fetch(session["botId"])
        else:
            bot = await find_by_trigger(await admin.find(runtime.id), content)
            if bot is None and stored.get(kind.fallback_column):
                bot = await admin.fetch(stored[kind.fallback_column])
        if bot is None or bot["instanceId"] != runtime.id:
            return None
        merged = dict(stored)
        for name in BEHAVIOUR_NAMES:
            if bot.get(name) is not None:
                merged[name] = bot[name]
        merged.setdefault("splitMessages", False)
        merged["timePerChar"] = merged.get("timePerChar") or 0
        if session is not None and self._expired(session, merged):
            await self.sessions.end(runtime.id, remote_jid, bot["id"], session["id"], bool(merged.get("keepOpen")))
            session = None
        if merged.get("stopBotFromMe") and from_me and session is not None:
            await self.sessions.set(session["id"], status="paused")
            if kind.route == "typebot":
                await runtime.emit(
                    names.TYPEBOT_CHANGE_STATUS, {"remoteJid": remote_jid, "status": "paused", "session": session}
                )
            return None
        if not merged.get("listeningFromMe") and from_me:
            return None
        if session is not None and session["status"] in ("closed", "paused"):
            return None
        return Selection(bot=bot, session=session, settings=merged)

    @staticmethod
    def _expired(session: dict[str, Any], settings: dict[str, Any]) -> bool:
        expire = int(settings.get("expire") or 0)
        updated = session.get("updatedAt")
        if expire <= 0 or not isinstance(updated, str):
            return False
        return utcnow() - datetime.fromisoformat(updated.rstrip("Z")) > timedelta(minutes=expire)

    async def _process(
        self,
        kind: BotKind,
        runtime: Any,
        data: dict[str, Any],
        content: str,
        turn_ids: list[str],
        forced: dict[str, Any] | None = None,
        prefilled: dict[str, Any] | None = None,
        selected: Selection | None = None,
    ) -> None:
        """Asks the bot and answers; `selected` when the caller just selected (else selected anew:
        a debounced turn, whose conversation may have changed while it waited)."""
        if selected is None:
            selected = await self._select(kind, runtime, data, content, forced)
        if selected is None:
            await self.sessions.set_turns(turn_ids, status="done")
            return
        remote_jid = data["key"]["remoteJid"]
        push_name = str(data.get("pushName") or "")
        settings = selected.settings
        session = selected.session
        if not content:  # nothing a bot can read (a sticker, a reaction): the unknownMessage, if any
            replies = [{"type": "text", "text": settings["unknownMessage"]}] if settings.get("unknownMessage") else []
            await self._answer(kind, runtime, data, turn_ids, replies, settings)
            return
        new_session = session is None
        if session is None:
            session = await self.sessions.open(runtime.id, remote_jid, push_name, selected.bot["id"], kind.session_type)
        else:
            finish = str(settings.get("keywordFinish") or "")
            if finish and content.lower().strip() == finish.lower():
                change = await self.sessions.end(
                    runtime.id, remote_jid, selected.bot["id"], session["id"], bool(settings.get("keepOpen"))
                )
                if kind.route == "typebot":
                    await runtime.emit(
                        names.TYPEBOT_CHANGE_STATUS, {"remoteJid": remote_jid, "status": change, "session": session}
                    )
                await self.sessions.set_turns(turn_ids, status="done")
                return
        turn = Turn(
            instance_name=runtime.name,
            instance_id=runtime.id,
            instance_token=runtime.token or "",
            instance_number=getattr(runtime, "number", None),
            server_url=self.context.settings.server_url,
            remote_jid=remote_jid,
            push_name=push_name,
            content=content,
            message=data,
            bot=selected.bot,
            settings=settings,
            session=session,
            new_session=new_session,
            from_me=bool(data["key"].get("fromMe")),
            prefilled=prefilled or {},
        )
        try:
            answer = await self.backends[kind.route].answer(turn)
        except (BackendError, OutboundError) as exc:
            reason = exc.reason if isinstance(exc, OutboundError) else str(exc)
            await self._failed(kind, selected.bot["id"], runtime.name, remote_jid, session["id"], reason, turn_ids)
            return
        except Exception as exc:  # noqa: BLE001 - an answer of a shape the backend did not expect
            reason = f"unexpected answer ({type(exc).__name__})"
            await self._failed(kind, selected.bot["id"], runtime.name, remote_jid, session["id"], reason, turn_ids)
            return
        values: dict[str, Any] = {"status": "closed" if answer.close else "opened", "awaitUser": True}
        # What the bot server said is outside text: made safe for both databases and bounded.
        if answer.session_id is not None:
            values["sessionId"] = safe_text(str(answer.session_id), 255)
        if answer.context is not None:
            context = answer.context
            values["context"] = (
                safe_text(context, MAX_CONTEXT_CHARS) if isinstance(context, str) else safe_json(context)
            )
        if answer.parameters is not None:
            values["parameters"] = safe_json(answer.parameters)
        if answer.close and not settings.get("keepOpen"):
            await self.sessions.end(runtime.id, remote_jid, selected.bot["id"], session["id"], False)
        else:
            await self.sessions.set(session["id"], **values)
        for event_name, payload in answer.events:
            await runtime.emit(event_name, payload)
        await self._answer(kind, runtime, data, turn_ids, answer.replies, settings)

    async def _failed(
        self, kind: BotKind, bot_id: str, instance: str, remote_jid: str, session_id: str, reason: str, turns: list[str]
    ) -> None:
        """The bot server gave nothing usable: logged for this session, the message is not answered (as upstream)."""
        log.warning(
            "%s bot %s gave no answer for %s on %s (session %s): %s",
            kind.name, bot_id, remote_jid, instance, session_id, reason,
        )  # fmt: skip
        await self.sessions.set_turns(turns, status="failed")

    async def _answer(
        self,
        kind: BotKind,
        runtime: Any,
        data: dict[str, Any],
        turn_ids: list[str],
        replies: list[dict[str, Any]],
        settings: dict[str, Any],
    ) -> None:
        """Stores the replies on the last turn (the others are joined into it), then sends them."""
        last, joined = turn_ids[-1], turn_ids[:-1]
        await self.sessions.set_turns(joined, status="done")
        stored = {
            "list": safe_json(replies),
            "settings": {k: settings.get(k) for k in ("delayMessage", "timePerChar")},
        }
        await self.sessions.set_turns([last], status="answering", replies=stored, sent=0)
        await self._send(kind, runtime, {"id": last, "replies": stored, "sent": 0}, data)

    async def _send(self, kind: BotKind, runtime: Any, turn: dict[str, Any], data: dict[str, Any]) -> None:
        stored = turn.get("replies") or {}
        replies: list[dict[str, Any]] = stored.get("list") or []
        settings: dict[str, Any] = stored.get("settings") or {}
        remote_jid = data["key"]["remoteJid"]
        for index in range(int(turn.get("sent") or 0), len(replies)):
            try:
                await send_reply(self.context.messaging, runtime.name, remote_jid, replies[index], settings)
            except ChannelError as exc:
                if exc.status >= 500:
                    raise IntegrationFailed(f"{kind.name} reply not sent: {exc}") from exc
                # The channel refuses this reply for good (e.g. a list on a channel without lists).
                log.warning("%s reply %s to %s on %s refused: %s", kind.name, index, remote_jid, runtime.name, exc)
            except Exception as exc:  # any other failure: retried from this reply on
                raise IntegrationFailed(f"{kind.name} reply not sent: {type(exc).__name__}") from exc
            if index + 1 < len(replies):
                await self.sessions.set_turns([turn["id"]], sent=index + 1)
        await self.sessions.set_turns([turn["id"]], status="done", sent=len(replies))

    async def start_with(
        self, kind: BotKind, runtime: Any, bot: dict[str, Any], remote_jid: str, prefilled: dict[str, Any]
    ) -> None:
        """`/typebot/start` with startSession: a new session with `bot`, begun as if the contact wrote "init"."""
        data = {
            "key": {"remoteJid": remote_jid, "fromMe": False, "id": f"start-{new_id()}"},
            "pushName": prefilled.get("pushName", ""),
            "message": {"conversation": "init"},
        }
        async with self._lock(runtime.id, remote_jid):
            turn_id = await self.sessions.take(runtime.id, kind.route, data["key"]["id"], remote_jid, "taken", data)
            if turn_id is not None:
                await self._process(kind, runtime, data, "init", [turn_id], forced=bot, prefilled=prefilled)

    # --- debounce -----------------------------------------------------------------------------

    def _arm(self, kind: BotKind, instance_id: str, remote_jid: str, seconds: float) -> None:
        key = (instance_id, kind.route, remote_jid)
        previous = self._timers.pop(key, None)
        if previous is not None:
            previous.cancel()
        self._timers[key] = self._spawn(self._after_quiet(kind, instance_id, remote_jid, seconds))

    async def _after_quiet(self, kind: BotKind, instance_id: str, remote_jid: str, seconds: float) -> None:
        await asyncio.sleep(seconds)
        self._timers.pop((instance_id, kind.route, remote_jid), None)
        try:
            await self._flush(kind, instance_id, remote_jid)
        except Exception:
            log.exception("%s debounced turn for %s failed", kind.name, remote_jid)

    async def _flush(self, kind: BotKind, instance_id: str, remote_jid: str) -> None:
        runtime = self.context.registry.resolve(instance_id)
        if runtime is None:
            return
        async with self._lock(instance_id, remote_jid):
            pending = await self.sessions.turns(
                status="pending", instance_id=instance_id, kind=kind.route, remote_jid=remote_jid
            )
            if not pending:
                return
            ids = [t["id"] for t in pending]
            await self.sessions.set_turns(ids, status="taken")
            texts = [conversation_text(t["message"] or {}) or "" for t in pending]
            content = "\n".join(text for text in texts if text)
            try:
                await self._process(kind, runtime, pending[-1]["message"], content, ids)
            except IntegrationFailed as exc:
                log.warning("%s: %s (sent again later)", kind.name, exc)
                self._spawn(self._resend(kind, instance_id, remote_jid, ids[-1]))

    async def _resend(self, kind: BotKind, instance_id: str, remote_jid: str, turn_id: str) -> None:
        """A debounced turn's replies the channel could not take: tried again with backoff (outside
        the bus, which retries the other turns), then at the next start."""
        for delay in RESEND_DELAYS_SECONDS:
            await asyncio.sleep(delay)
            runtime = self.context.registry.resolve(instance_id)
            turns = [
                t for t in await self.sessions.turns(status="answering", instance_id=instance_id) if t["id"] == turn_id
            ]
            if runtime is None or not turns:
                return
            try:
                async with self._lock(instance_id, remote_jid):
                    await self._send(kind, runtime, turns[0], turns[0]["message"] or {})
                return
            except IntegrationFailed as exc:
                log.warning("%s: %s (sent again later)", kind.name, exc)

    # --- after a restart ----------------------------------------------------------------------

    async def _resume_stored(self) -> None:
        """Debounced messages still waiting and replies not all sent when the server stopped."""
        try:
            pending = await self.sessions.turns(status="pending")
            answering = await self.sessions.turns(status="answering")
        except Exception:
            log.debug("chatbot turns not resumed", exc_info=True)
            return
        by_kind = {kind.route: kind for kind in self.kinds}
        for turn in answering + pending:
            kind = by_kind.get(turn["kind"])
            if kind is None:
                continue
            runtime = await self._wait_for(turn["instanceId"])
            if runtime is None:
                continue
            if turn["status"] == "pending":
                self._arm(kind, turn["instanceId"], turn["remoteJid"], 0)
            else:
                try:
                    async with self._lock(turn["instanceId"], turn["remoteJid"]):
                        await self._send(kind, runtime, turn, turn["message"] or {})
                except IntegrationFailed as exc:
                    log.warning("%s: %s", kind.name, exc)

    async def _wait_for(self, instance_id: str) -> Any:
        for _ in range(int(RESUME_WAIT_SECONDS / 0.1)):
            runtime = self.context.registry.resolve(instance_id)
            if runtime is not None:
                return runtime
            await asyncio.sleep(0.1)
        return None
