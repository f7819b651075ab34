"""Which bot of a kind takes a message, as upstream's findBotByTrigger and checkIgnoreJids decide:
an enabled `all`/`none` bot first, then `advanced` expressions, then keyword operators in the order
equals, regex, startsWith, endsWith, contains."""

from __future__ import annotations

import asyncio
import unicodedata
from collections.abc import Sequence
from typing import Any

import regex

REGEX_MAX_CHARS = 4096  # a tenant's regex runs on at most this much text
REGEX_TIMEOUT_SECONDS = 0.25


async def find_by_trigger(bots: Sequence[dict[str, Any]], content: str) -> dict[str, Any] | None:
    enabled = [b for b in bots if b.get("enabled")]
    for bot in enabled:
        if bot.get("triggerType") in ("all", "none"):
            return bot
    for bot in enabled:
        if bot.get("triggerType") == "advanced" and advanced_match(content, bot.get("triggerValue") or ""):
            return bot
    keyword = [b for b in enabled if b.get("triggerType") == "keyword"]

    def by(operator: str) -> list[dict[str, Any]]:
        return [b for b in keyword if b.get("triggerOperator") == operator and b.get("triggerValue") is not None]

    for bot in by("equals"):
        if content == bot["triggerValue"]:
            return bot
    for bot in by("regex"):
        if await _regex_match(bot["triggerValue"], content):
            return bot
    for bot in by("startsWith"):
        if content.startswith(bot["triggerValue"]):
            return bot
    for bot in by("endsWith"):
        if content.endswith(bot["triggerValue"]):
            return bot
    for bot in by("contains"):
        if bot["triggerValue"] in content:
            return bot
    return None


async def _regex_match(pattern: str, content: str) -> bool:
    """A tenant's pattern, off the event loop (the `regex` module releases the GIL) with a time limit:
    a catastrophic pattern costs its own conversation a fraction of a second, not the server."""
    try:
        found = await asyncio.to_thread(
            regex.search, pattern, content[:REGEX_MAX_CHARS], concurrent=True, timeout=REGEX_TIMEOUT_SECONDS
        )
    except (regex.error, TimeoutError):
        return False  # upstream throws and answers nothing; a bad or too slow pattern matches nothing
    return found is not None


def _normalize(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def advanced_match(content: str, query: str) -> bool:
    """`contains:a,b startswith:x exact:y notcontains:z`: every operator holds for one of its values,
    every comma-separated part of that value."""
    filters: dict[str, list[str]] = {}
    for part in query.split(" "):
        operator, _, value = part.partition(":")
        filters.setdefault(operator, []).append(value)
    item = _normalize(content)

    def holds(operator: str, sub: str) -> bool:
        wanted = _normalize(sub)
        match operator.lower():
            case "contains":
                return wanted in item
            case "notcontains":
                return wanted not in item
            case "startswith":
                return item.startswith(wanted)
            case "endswith":
                return item.endswith(wanted)
            case "exact":
                return item == wanted
        return False

    return all(
        any(all(holds(op, sub) for sub in value.split(",")) for value in values) for op, values in filters.items()
    )


def ignored(ignore_jids: Any, remote_jid: str) -> bool:
    """`@g.us` ignores every group, `@s.whatsapp.net` every contact, else the listed JIDs."""
    if not isinstance(ignore_jids, list) or not ignore_jids:
        return False
    if "@g.us" in ignore_jids and remote_jid.endswith("@g.us"):
        return True
    if "@s.whatsapp.net" in ignore_jids and remote_jid.endswith("@s.whatsapp.net"):
        return True
    return remote_jid in ignore_jids


def conversation_text(data: dict[str, Any]) -> str | None:
    """upstream's getConversationMessage: the text a bot is asked, `<type>|<id>[|caption]` for media."""
    msg = data.get("message") or {}
    if not isinstance(msg, dict):
        return None
    media_id = (data.get("key") or {}).get("id", "")

    def caption(kind: str) -> str | None:
        block = msg.get(kind)
        if not isinstance(block, dict):
            return None
        text = block.get("caption")
        return f"{kind}|{media_id}" + (f"|{text}" if text else "")

    extended = msg.get("extendedTextMessage")
    list_reply = msg.get("listResponseMessage")
    location = msg.get("locationMessage")
    candidates: list[Any] = [
        msg.get("conversation"),
        extended.get("text") if isinstance(extended, dict) else None,
        (msg.get("contactMessage") or {}).get("displayName") if isinstance(msg.get("contactMessage"), dict) else None,
        str(location.get("degreesLatitude")) if isinstance(location, dict) else None,
        list_reply.get("title") if isinstance(list_reply, dict) else None,
        ((list_reply or {}).get("singleSelectReply") or {}).get("selectedRowId")
        if isinstance(list_reply, dict)
        else None,
        (msg.get("templateButtonReplyMessage") or {}).get("selectedId")
        or (msg.get("buttonsResponseMessage") or {}).get("selectedButtonId"),
        msg.get("speechToText") or (f"audioMessage|{media_id}" if msg.get("audioMessage") is not None else None),
        caption("imageMessage"),
        caption("videoMessage"),
        caption("documentMessage"),
    ]
    for value in candidates:
        if value is not None:
            return str(value)
    return None
