"""Which Chatwoot contact and conversation a WhatsApp chat lands in, found or created.

One lock per (instance, contact identifier): twenty messages from a new contact arriving together
make one contact and one conversation, not twenty. The bus already handles one chat's events in
order; the lock also covers the same person reached by phone JID and by @lid, and the bot contact.
"""

from __future__ import annotations

import asyncio
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from evolution_py.integrations.chatwoot.client import ChatwootClient
from evolution_py.integrations.chatwoot.settings import ChatwootSettings

BOT_IDENTIFIER = "123456"
_MAX_CACHED = 10_000
_BR_MOBILE = re.compile(r"^55(\d{2})(9?)(\d{8})$")


@dataclass(frozen=True)
class Who:
    """The Chatwoot side of one WhatsApp chat."""

    identifier: str  # the JID (phone JID for people, group JID for groups), or BOT_IDENTIFIER
    phone: str | None  # digits, for people only
    name: str
    avatar_url: str | None = None
    is_group: bool = False


@dataclass(frozen=True)
class Place:
    conversation_id: int
    contact_id: int
    source_id: str | None  # the contact_inbox source id (Chatwoot's public API uses it)


class Conversations:
    def __init__(self) -> None:
        self._locks: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}  # lock, how many hold or wait
        self._places: OrderedDict[tuple[str, str], Place] = OrderedDict()
        self._inboxes: dict[str, dict[str, Any]] = {}

    def clear(self, instance_id: str) -> None:
        """`clearcache` and a settings change: the next message looks everything up again."""
        self._inboxes.pop(instance_id, None)
        for key in [key for key in self._places if key[0] == instance_id]:
            del self._places[key]

    def forget_contact(self, instance_id: str, identifier: str) -> None:
        self._places.pop((instance_id, identifier), None)

    async def inbox(self, instance_id: str, client: ChatwootClient, name: str) -> dict[str, Any] | None:
        cached = self._inboxes.get(instance_id)
        if cached is not None:
            return cached
        for inbox in await client.list_inboxes():
            if inbox.get("name") == name:
                self._inboxes[instance_id] = inbox
                return inbox
        return None

    async def place(
        self, instance_id: str, client: ChatwootClient, settings: ChatwootSettings, inbox_id: int, who: Who
    ) -> Place:
        key = (instance_id, who.identifier)
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                cached = self._places.get(key)
                if cached is not None:
                    self._places.move_to_end(key)
                    return cached
                place = await self._find_or_create(client, settings, inbox_id, who)
                self._places[key] = place
                if len(self._places) > _MAX_CACHED:
                    self._places.popitem(last=False)
                return place
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]  # nobody else holds or waits: the table stays as small as the traffic
            else:
                self._locks[key] = (lock, users - 1)

    async def _find_or_create(
        self, client: ChatwootClient, settings: ChatwootSettings, inbox_id: int, who: Who
    ) -> Place:
        contact = await self._contact(client, settings, inbox_id, who)
        contact_id = int(contact["id"])
        conversations = [c for c in await client.contact_conversations(contact_id) if c.get("inbox_id") == inbox_id]
        conversations.sort(key=lambda c: int(c.get("id") or 0), reverse=True)
        chosen = next((c for c in conversations if c.get("status") != "resolved"), None)
        if chosen is None and settings.reopenConversation and conversations:
            chosen = conversations[0]
            await client.toggle_status(int(chosen["id"]), "pending" if settings.conversationPending else "open")
        if chosen is None:
            chosen = await client.create_conversation(
                contact_id, inbox_id, "pending" if settings.conversationPending else None
            )
        return Place(conversation_id=int(chosen["id"]), contact_id=contact_id, source_id=_source_id(contact, chosen))

    async def _contact(
        self, client: ChatwootClient, settings: ChatwootSettings, inbox_id: int, who: Who
    ) -> dict[str, Any]:
        variants = [who.phone] if who.phone else []
        if who.phone and settings.mergeBrazilContacts:
            variants = brazil_variants(who.phone)
        found: list[dict[str, Any]] = []
        for query in variants or [who.identifier]:
            for contact in await client.search_contacts(query):
                if _matches(contact, who, query) and all(c.get("id") != contact.get("id") for c in found):
                    found.append(contact)
        if len(found) > 1 and settings.mergeBrazilContacts:
            # upstream keeps the contact with the ninth digit and merges the other into it
            found.sort(key=lambda c: len(str(c.get("phone_number") or "")), reverse=True)
            for mergee in found[1:]:
                await client.merge_contacts(int(found[0]["id"]), int(mergee["id"]))
            return found[0]
        if found:
            contact = found[0]
            if who.phone and who.name != who.phone and str(contact.get("name") or "").lstrip("+") == who.phone:
                # known only by number until now: the person's WhatsApp name, as upstream does
                await client.update_contact(int(contact["id"]), {"name": who.name})
            return contact
        body: dict[str, Any] = {"inbox_id": inbox_id, "name": who.name, "identifier": who.identifier}
        if who.phone:
            body["phone_number"] = f"+{who.phone}"
        if who.avatar_url:
            body["avatar_url"] = who.avatar_url
        return await client.create_contact(body)


def brazil_variants(phone: str) -> list[str]:
    """A Brazilian mobile number with and without the ninth digit (the same person, two forms)."""
    match = _BR_MOBILE.match(phone)
    if not match:
        return [phone]
    area, _nine, rest = match.groups()
    return [f"55{area}9{rest}", f"55{area}{rest}"]


def _matches(contact: dict[str, Any], who: Who, query: str) -> bool:
    if contact.get("identifier") == who.identifier:
        return True
    phone = str(contact.get("phone_number") or "").lstrip("+")
    return bool(query) and phone == query


def _source_id(contact: dict[str, Any], conversation: dict[str, Any]) -> str | None:
    contact_inbox = conversation.get("contact_inbox")
    if isinstance(contact_inbox, dict) and contact_inbox.get("source_id"):
        return str(contact_inbox["source_id"])
    for item in contact.get("contact_inboxes") or []:
        if isinstance(item, dict) and item.get("source_id"):
            return str(item["source_id"])
    return None
