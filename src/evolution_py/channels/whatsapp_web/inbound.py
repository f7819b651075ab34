"""Inbound neonize events → stored rows and emitted events, with the instance settings applied
(groupsIgnore, readMessages, readStatus, rejectCall + msgCall, webhookBase64)."""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from evolution_py.aio import both
from evolution_py.channels.base import InstanceContext
from evolution_py.channels.whatsapp_web import receive
from evolution_py.channels.whatsapp_web.jids import jid_str, to_jid
from evolution_py.channels.whatsapp_web.message_json import STATUS_NAMES, normalise, proto_to_json, source_of
from evolution_py.channels.whatsapp_web.pictures import PictureCache
from evolution_py.channels.whatsapp_web.sender import Sender, webhook_wants_base64
from evolution_py.channels.whatsapp_web.session import Session, neonize
from evolution_py.events import names

log = logging.getLogger(__name__)

STATUS_BROADCAST = "status@broadcast"
MEDIA_TYPES = {
    "imageMessage",
    "videoMessage",
    "audioMessage",
    "documentMessage",
    "stickerMessage",
    "ptvMessage",
}
# protocolMessage types that are device-to-device plumbing (history sync, app-state keys, peer data,
# LID mappings): whatsmeow consumes them, and they are not news for anyone listening.
_INTERNAL_PROTOCOL_TYPES = {5, 6, 7, 8, 9, 10, 16, 17, 22}
_DEDUPE_SECONDS = 300.0
_DEDUPE_MAX = 5000


EventHandler = Callable[[Any], Awaitable[None]]


class InboundFeature:
    """What arrives from WhatsApp (messages, receipts, presences, calls, groups, pictures, history).
    The channel registers `handlers()` on each client it opens, wrapped so that failures are logged
    and events of a replaced client are dropped."""

    def __init__(self, session: Session, ctx: InstanceContext, sender: Sender | None = None) -> None:
        self.session = session
        self.ctx = ctx
        self.sender = sender
        self._seen: OrderedDict[str, float] = OrderedDict()
        self.pictures = PictureCache(self._fetch_picture)
        self._offers: OrderedDict[str, dict[str, Any]] = OrderedDict()  # call id → offer details

    def handlers(self, ev: Any) -> dict[Any, EventHandler]:
        """neonize event class → handler; `ev` is `neonize.aioze.events`."""
        return {
            ev.MessageEv: self._on_message,
            ev.ReceiptEv: self._on_receipt,
            ev.PresenceEv: self._on_presence,
            ev.ChatPresenceEv: self._on_chat_presence,
            ev.CallOfferEv: self._on_call_offer,
            ev.CallOfferNoticeEv: self._on_call_offer_notice,
            ev.CallAcceptEv: self._on_call_step,
            ev.CallPreAcceptEv: self._on_call_step,
            ev.CallTransportEv: self._on_call_step,
            ev.CallRelayLatencyEv: self._on_call_step,
            ev.CallTerminateEv: self._on_call_terminate,
            ev.UnknownCallEventEv: self._on_unknown_call_event,
            ev.GroupInfoEv: self._on_group_info,
            ev.JoinedGroupEv: self._on_joined_group,
            ev.HistorySyncEv: self._on_history_sync,
            ev.PictureEv: self._on_picture,
        }

    # --- messages -----------------------------------------------------------------------------

    def _duplicate(self, key_id: str) -> bool:
        seen = self._seen
        now = time.monotonic()
        while seen and (len(seen) > _DEDUPE_MAX or next(iter(seen.values())) < now - _DEDUPE_SECONDS):
            seen.popitem(last=False)
        if key_id in seen:
            return True
        seen[key_id] = now
        return False

    async def _on_message(self, event: Any) -> None:
        source = event.Info.MessageSource
        chat = jid_str(source.Chat)
        settings = self.ctx.settings
        if chat == STATUS_BROADCAST and not settings.readStatus:
            return
        if source.Chat.Server == "newsletter":
            return
        if source.IsGroup and settings.groupsIgnore:
            return
        message = event.Message
        if message.HasField("protocolMessage") or message.HasField("editedMessage"):
            await self._on_protocol_message(event)
            return
        if message.HasField("pollUpdateMessage"):
            return
        record = receive.message_record(event, self.ctx.instance_id)
        if not record["message"]:
            return
        if self._duplicate(event.Info.ID):
            return
        await self._rename_chat(record, event.Info.Pushname)
        if record["messageType"] in MEDIA_TYPES and await webhook_wants_base64(self.ctx):
            media = await self._download(message)
            if media is not None:
                record["message"]["base64"] = media
        # The event, the message row and the contact and chat rows go to the outbox writer at once,
        # so they share one group commit instead of taking one each in turn (on PostgreSQL the
        # message path waited on commits, not on the CPU: bench/RESULTS.md). The writer stores a
        # message before the events of its transaction, so no event is committed without its row.
        _accepted, touched = await both(
            self.ctx.emit(names.MESSAGES_UPSERT, record, stores_message=True),
            self._touch_contact_and_chat_rows(record, event.Info.Pushname),
        )
        await self._announce_contact_and_chat(record, touched)
        if not source.IsFromMe and (settings.readMessages if chat != STATUS_BROADCAST else settings.readStatus):
            self.session.spawn(self._mark_read(event))  # never holds up the next event

    async def _on_protocol_message(self, event: Any) -> None:
        payload = receive.protocol_payload(event)
        # upstream's quirk: every protocol message goes out as messages.edited, not only edits (a
        # revoke too, before its messages.delete); device plumbing is left out.
        if payload is not None and payload.get("type") not in _INTERNAL_PROTOCOL_TYPES:
            await self.ctx.emit(names.MESSAGES_EDITED, payload)
        revoked = receive.revoked_key(event)
        if revoked is not None:
            deleted = await self.ctx.store.mark_deleted(revoked["id"])
            if deleted is None and self.ctx.store.save_messages:
                return  # upstream skips updates of messages it never stored
            await self.ctx.emit(names.MESSAGES_DELETE, revoked)

    async def _rename_chat(self, record: dict[str, Any], push_name: str) -> None:
        """A known one-to-one chat whose contact changed its push name → upstream's `chats.upsert
        [{id, name}]` (the chat row's id) before the message, and the chat renamed."""
        key = record["key"]
        remote_jid = key["remoteJid"]
        if key["fromMe"] or not push_name.strip() or remote_jid.endswith("@g.us") or remote_jid == STATUS_BROADCAST:
            return
        chat = await self.ctx.store.known_chat(remote_jid)
        if chat is None or chat[1] == push_name:
            return
        await self.ctx.emit(names.CHATS_UPSERT, [{"id": chat[0], "name": push_name}])
        await self.ctx.store.upsert_chat(remote_jid, name=push_name)

    async def _touch_contact_and_chat_rows(
        self, record: dict[str, Any], push_name: str
    ) -> tuple[dict[str, Any], bool] | None:
        """After a message, as upstream: the chat's JID (the group for a group message) is upserted
        as a contact with its picture (one object, not an array), and its chat row touched. Returns
        the contact event and whether it was created (None: status broadcast, nothing to touch)."""
        key = record["key"]
        remote_jid = key["remoteJid"]
        if remote_jid == STATUS_BROADCAST:
            return None
        from_me = bool(key["fromMe"])
        contact: dict[str, Any] = {"remoteJid": remote_jid}
        if from_me:
            contact["pushName"] = ""
        elif push_name:
            contact["pushName"] = push_name  # upstream's `received.pushName`: left out when there is none
        contact["profilePicUrl"] = await self.pictures.url_of(remote_jid)
        contact["instanceId"] = self.ctx.instance_id
        # upstream also stores a group sender's push name as the group contact's name; we keep the
        # event as upstream sends it but never store a member's name on the group.
        stored_name = None if remote_jid.endswith("@g.us") else contact.get("pushName") or None
        (_fields, created), _chat = await both(
            self.ctx.store.upsert_contact(remote_jid, push_name=stored_name, profile_pic_url=contact["profilePicUrl"]),
            self.ctx.store.upsert_chat(remote_jid, unread_delta=0 if from_me else 1),
        )
        return contact, created

    async def _announce_contact_and_chat(
        self, record: dict[str, Any], touched: tuple[dict[str, Any], bool] | None
    ) -> None:
        """Then `contacts.upsert` (or `.update`) and `chats.update`, in upstream's order."""
        if touched is None:
            return
        contact, created = touched
        remote_jid = record["key"]["remoteJid"]
        await self.ctx.emit_all(
            [
                (names.CONTACTS_UPSERT if created else names.CONTACTS_UPDATE, contact),
                (names.CHATS_UPDATE, [{"remoteJid": remote_jid, "instanceId": self.ctx.instance_id}]),
            ]
        )

    async def _fetch_picture(self, jid: str) -> str | None:
        info = await self.session.call(lambda client: client.get_profile_picture(to_jid(jid)), limit=10)
        return (info.URL or None) if info is not None else None

    async def _download(self, message: Any) -> str | None:
        for _attempt in range(2):  # upstream retries the download once
            try:
                data = await self.session.call(lambda client: client.download_any(message), limit=60)
                return base64.b64encode(data).decode()
            except Exception as exc:  # noqa: BLE001 - logged; the download is retried once, then null
                log.warning("instance %s: media download failed: %s", self.ctx.name, exc)
        return None

    async def _mark_read(self, event: Any) -> None:
        read = neonize().ReceiptType.READ
        source = event.Info.MessageSource
        await self.session.call(
            lambda client: client.mark_read(event.Info.ID, chat=source.Chat, sender=source.Sender, receipt=read)
        )

    # --- receipts -----------------------------------------------------------------------------

    async def _on_receipt(self, event: Any) -> None:
        source = event.MessageSource
        # Baileys raises group and status receipts as `message-receipt.update`, which upstream only
        # stores: no messages.update per member (one message to a 200-member group would give 400).
        stored_only = bool(source.IsGroup) or source.Chat.Server == "broadcast"
        for update in receive.receipt_updates(event, self.ctx.instance_id):
            message_id = await self.ctx.store.save_status(
                key_id=update["keyId"],
                remote_jid=update["remoteJid"],
                from_me=update["fromMe"],
                status=update["status"],
                participant=update.get("participant"),
            )
            if stored_only or (message_id is None and self.ctx.store.save_messages):
                continue  # upstream skips updates of messages it never stored
            if message_id is not None:
                update["messageId"] = message_id
            await self.ctx.emit(names.MESSAGES_UPDATE, update)
            if await self.ctx.store.known_chat(update["remoteJid"]) is not None:
                await self.ctx.store.mark_chat_read(update["remoteJid"])
                await self.ctx.emit(
                    names.CHATS_UPSERT,
                    [{"remoteJid": update["remoteJid"], "instanceId": self.ctx.instance_id, "unreadMessages": 0}],
                )

    # --- presence -----------------------------------------------------------------------------

    async def _on_presence(self, event: Any) -> None:
        await self.ctx.emit(names.PRESENCE_UPDATE, receive.presence_payload(event))

    async def _on_chat_presence(self, event: Any) -> None:
        await self.ctx.emit(names.PRESENCE_UPDATE, receive.chat_presence_payload(event))

    # --- calls --------------------------------------------------------------------------------

    async def _on_call_offer(self, event: Any) -> None:
        meta = event.basicCallMeta
        await self._emit_call(receive.meta_fields(meta), "offer", receive.offer_details(event.data))
        await self._refuse_call(meta)

    async def _on_call_offer_notice(self, event: Any) -> None:
        meta = event.basicCallMeta
        offer = receive.offer_details(event.data, media=event.media, kind=event.type)
        await self._emit_call(receive.meta_fields(meta), "offer", offer)
        await self._refuse_call(meta)

    async def _on_call_step(self, event: Any) -> None:
        """accept, and the stanzas Baileys reports as "ringing" (preaccept, transport, latency)."""
        tag = event.data.Tag or ("accept" if isinstance(event, neonize().events.CallAcceptEv) else "")
        await self._emit_call(receive.meta_fields(event.basicCallMeta), receive.call_status(tag))

    async def _on_call_terminate(self, event: Any) -> None:
        status = receive.call_status("terminate", event.reason)
        await self._emit_call(receive.meta_fields(event.basicCallMeta), status)

    async def _on_unknown_call_event(self, event: Any) -> None:
        """Call stanzas neonize has no event for (a reject among them), read from the raw node."""
        node = event.node
        if not node.Nodes:
            return
        child = node.Nodes[0]
        stamp = receive.node_attr(node, "t") or ""
        fields = {
            "chat_id": receive.node_attr(node, "from") or "",
            "creator": receive.node_attr(child, "call-creator") or "",
            "caller_pn": receive.node_attr(child, "caller_pn"),
            "call_id": receive.node_attr(child, "call-id") or "",
            "timestamp": int(stamp) if stamp.isdigit() else 0,
        }
        await self._emit_call(fields, receive.call_status(child.Tag, receive.node_attr(child, "reason")))

    async def _emit_call(self, fields: dict[str, Any], status: str, offer: dict[str, Any] | None = None) -> None:
        """Baileys' call event: an offer's details are remembered and repeated on the call's later
        events (isVideo / isGroup / callerPn), and forgotten when the call ends."""
        call_id = fields["call_id"]
        known = self._offers.get(call_id)
        if offer is None and known is not None and not fields["caller_pn"]:
            fields = {**fields, "caller_pn": known.get("callerPn")}
        payload = receive.call_payload(**fields, status=status)
        if offer is not None:
            self._offers[call_id] = {**offer, "callerPn": fields["caller_pn"]}
            while len(self._offers) > 1000:
                self._offers.popitem(last=False)
            payload.update(offer)
        elif known is not None:
            payload["isVideo"], payload["isGroup"] = known["isVideo"], known["isGroup"]
        if status in ("reject", "accept", "timeout", "terminate"):
            self._offers.pop(call_id, None)
        await self.ctx.emit(names.CALL, payload)

    async def _refuse_call(self, meta: Any) -> None:
        settings = self.ctx.settings
        if not settings.rejectCall:
            return
        caller = getattr(meta, "from")
        try:
            await self.session.call(lambda client: client.reject_call(caller, meta.callID))
        except Exception as exc:  # noqa: BLE001 - logged; the call event goes on
            log.warning("instance %s: call not rejected: %s", self.ctx.name, exc)
        if settings.msgCall and settings.msgCall.strip() and self.sender is not None:
            message = neonize().e2e.Message(conversation=settings.msgCall)
            jid = jid_str(caller)
            try:
                record = await self.sender.send(jid, message, None, checked_jid=jid)
            except Exception as exc:  # noqa: BLE001 - logged; the call event goes on
                log.warning("instance %s: msgCall not sent: %s", self.ctx.name, exc)
                return
            # upstream feeds the sent answer back into its messages.upsert handler
            await self.ctx.emit(names.MESSAGES_UPSERT, record)
            await self.ctx.store.save_message(record)

    # --- groups -------------------------------------------------------------------------------

    async def _on_group_info(self, event: Any) -> None:
        if self.ctx.settings.groupsIgnore:
            return
        update = receive.group_update(event)
        if update is not None:
            await self.ctx.emit(names.GROUPS_UPDATE, [update])
        for payload in receive.group_participant_updates(event):
            for participant in payload["participants"]:
                await self._add_other_address(participant)
            await self.ctx.emit(names.GROUP_PARTICIPANTS_UPDATE, payload)

    async def _add_other_address(self, participant: dict[str, Any]) -> None:
        """Baileys 7 gives a participant's phone number beside its LID (or the LID beside its phone
        number) when WhatsApp sent both; whatsmeow keeps that pairing in its LID map."""
        jid: str = participant["id"]
        lid_side = jid.endswith("@lid")
        try:
            other = await self.session.call(
                lambda client: client.get_pn_from_lid(to_jid(jid)) if lid_side else client.get_lid_from_pn(to_jid(jid)),
                limit=5,
            )
        except Exception as exc:  # noqa: BLE001 - logged; the participant goes out with its id only
            log.debug("instance %s: no other address of %s: %s", self.ctx.name, jid, exc)
            return
        other_jid = jid_str(other)
        if not other_jid or other_jid == jid:
            return
        admin = participant.pop("admin")
        participant["phoneNumber" if lid_side else "lid"] = other_jid
        participant["admin"] = admin  # Baileys' key order: id, phoneNumber / lid, admin

    async def _on_joined_group(self, event: Any) -> None:
        if self.ctx.settings.groupsIgnore:
            return
        metadata = receive.group_metadata(event.GroupInfo)
        author = jid_str(event.Sender)
        if author:
            metadata["author"] = author  # Baileys adds who created / added us
        await self.ctx.emit(names.GROUPS_UPSERT, [metadata])
        _chat, created = await self.ctx.store.upsert_chat(metadata["id"], name=metadata["subject"])
        if created:
            await self.ctx.emit(
                names.CHATS_UPSERT,
                [
                    {
                        "remoteJid": metadata["id"],
                        "instanceId": self.ctx.instance_id,
                        "name": metadata["subject"],
                        "unreadMessages": 0,
                    }
                ],
            )

    # --- profile pictures ---------------------------------------------------------------------

    async def _on_picture(self, event: Any) -> None:
        """A contact or group changed (or removed) its picture → contacts.update with the new URL."""
        jid = jid_str(event.JID)
        if not jid or (jid.endswith("@g.us") and self.ctx.settings.groupsIgnore):
            return
        url: str | None = None
        if not event.Remove:
            try:
                info = await self.session.call(lambda client: client.get_profile_picture(event.JID), limit=10)
                url = (info.URL or None) if info is not None else None
            except Exception as exc:  # noqa: BLE001 - logged; the contact is stored without picture
                log.debug("instance %s: picture of %s not fetched: %s", self.ctx.name, jid, exc)
        self.pictures.remember(jid, url)
        await self.ctx.store.upsert_contact(jid, profile_pic_url=url, picture_known=True)
        await self.ctx.emit(
            names.CONTACTS_UPDATE, [{"remoteJid": jid, "profilePicUrl": url, "instanceId": self.ctx.instance_id}]
        )

    # --- history ------------------------------------------------------------------------------

    async def _on_history_sync(self, event: Any) -> None:
        """Store the conversations and messages of a history sync; emit chats.set / messages.set."""
        data = event.Data
        chats: list[dict[str, Any]] = []
        messages: list[dict[str, Any]] = []
        for conversation in data.conversations:
            remote_jid = conversation.ID
            if not remote_jid or remote_jid == STATUS_BROADCAST:
                continue
            if remote_jid.endswith("@g.us") and self.ctx.settings.groupsIgnore:
                continue
            name = conversation.name or conversation.displayName or None
            await self.ctx.store.upsert_chat(remote_jid, name=name)
            chats.append({"remoteJid": remote_jid, "instanceId": self.ctx.instance_id, "name": name})
            records = [history_record(item.message, self.ctx.instance_id) for item in conversation.messages]
            stored = [record for record in records if record is not None]
            messages.extend(stored)
            # in the chat's order, a bounded batch per transaction (store/messages.py)
            await self.ctx.store.save_message_batch(stored)
            await asyncio.sleep(0)  # a large sync must not starve the loop
        contacts: list[dict[str, Any]] = []
        for entry in data.pushnames:
            if not entry.ID or not entry.pushname or entry.ID.endswith("@g.us"):
                continue
            await self.ctx.store.upsert_contact(entry.ID, push_name=entry.pushname)
            contacts.append(
                {"remoteJid": entry.ID, "pushName": entry.pushname, "profilePicUrl": None,
                 "instanceId": self.ctx.instance_id}
            )  # fmt: skip
        if chats:
            await self.ctx.emit(names.CHATS_SET, chats)
        if messages:
            await self.ctx.emit(names.MESSAGES_SET, messages)
        if contacts:
            await self.ctx.emit(names.CONTACTS_UPSERT, contacts)


def history_record(info: Any, instance_id: str) -> dict[str, Any] | None:
    """A waWeb `WebMessageInfo` of a history sync → the message record shape."""
    if not info.HasField("message"):
        return None
    message, kind, context = normalise(proto_to_json(info.message))
    if not message:
        return None
    key: dict[str, Any] = {"remoteJid": info.key.remoteJID, "fromMe": bool(info.key.fromMe), "id": info.key.ID}
    if info.key.participant:
        key["participant"] = info.key.participant
    elif info.participant:
        key["participant"] = info.participant
    status_index = int(info.status) if info.HasField("status") else (2 if key["fromMe"] else 3)
    record: dict[str, Any] = {
        "key": key,
        "pushName": info.pushName or ("Você" if key["fromMe"] else None),
        "status": STATUS_NAMES[status_index] if 0 <= status_index < len(STATUS_NAMES) else "DELIVERY_ACK",
        "message": message,
    }
    if context is not None:
        record["contextInfo"] = context
    record.update(
        {
            "messageType": kind,
            "messageTimestamp": int(info.messageTimestamp),
            "instanceId": instance_id,
            "source": source_of(key["id"]),
        }
    )
    return record
