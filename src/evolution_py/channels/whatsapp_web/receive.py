"""neonize events → Evolution API payloads (events contract §3). Pure functions: no I/O here.

The channel decides what to do with them (filters, store, emit); these only shape the data.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from evolution_py.channels.jid import user_part
from evolution_py.channels.whatsapp_web.jids import jid_str
from evolution_py.channels.whatsapp_web.message_json import normalise, proto_to_json, source_of
from evolution_py.isotime import iso_ms


def iso_utc(seconds: float) -> str:
    return iso_ms(datetime.fromtimestamp(seconds, tz=UTC))


# --- messages ---------------------------------------------------------------------------------


def message_key(info: Any) -> dict[str, Any]:
    source = info.MessageSource
    key: dict[str, Any] = {
        "remoteJid": jid_str(source.Chat),
        "fromMe": bool(source.IsFromMe),
        "id": info.ID,
    }
    if source.IsGroup or source.Chat.Server == "broadcast":
        key["participant"] = jid_str(source.Sender)
        if source.SenderAlt.User:
            key["participantAlt"] = jid_str(source.SenderAlt)
    elif source.SenderAlt.User and not source.IsFromMe:
        key["remoteJidAlt"] = jid_str(source.SenderAlt)
    if source.HasField("AddressingMode") and source.AddressingMode:
        key["addressingMode"] = "lid" if source.AddressingMode == 2 else "pn"
    return key


def message_record(ev: Any, instance_id: str) -> dict[str, Any]:
    """A neonize `Message` event → the `messages.upsert` record (§3.1)."""
    info = ev.Info
    key = message_key(info)
    message, kind, context = normalise(proto_to_json(ev.Message))
    push_name: str | None = info.Pushname or None
    if not push_name:
        if key["fromMe"]:
            push_name = "Você"
        elif key.get("participant"):
            push_name = user_part(key["participant"])
    record: dict[str, Any] = {
        "key": key,
        "pushName": push_name,
        "status": "SERVER_ACK" if key["fromMe"] else "DELIVERY_ACK",
        "message": message,
    }
    if context is not None:
        record["contextInfo"] = context
    record.update(
        {
            "messageType": kind,
            "messageTimestamp": int(info.Timestamp),
            "instanceId": instance_id,
            "source": source_of(info.ID),
        }
    )
    return record


def protocol_payload(ev: Any) -> dict[str, Any] | None:
    """`messages.edited` data: the Baileys `protocolMessage` object, or None if there is none."""
    message = ev.Message
    if message.HasField("protocolMessage"):
        return proto_to_json(message.protocolMessage)
    if message.HasField("editedMessage"):
        inner = message.editedMessage.message
        if inner.HasField("protocolMessage"):
            return proto_to_json(inner.protocolMessage)
    return None


def revoked_key(ev: Any) -> dict[str, Any] | None:
    """The key `messages.delete` carries for a message revoked for everyone (protocolMessage type
    REVOKE = 0): Baileys' key of the revoke message itself with the revoked message's id, so
    `fromMe` / `participant` say who revoked it, as upstream sends."""
    message = ev.Message
    if not message.HasField("protocolMessage"):
        return None
    protocol = message.protocolMessage
    if protocol.type != 0 or not protocol.HasField("key"):
        return None
    return {**message_key(ev.Info), "id": protocol.key.ID}


# --- receipts ---------------------------------------------------------------------------------

# neonize Receipt.Type → Baileys status name; other types (sender, retry, inactive, …) are not updates.
_RECEIPT_STATUS = {1: "DELIVERY_ACK", 4: "READ", 5: "READ", 6: "PLAYED", 7: "PLAYED", 8: "ERROR"}
_SELF_RECEIPTS = {5, 7}  # read-self / played-self: we read someone else's message on another device


def receipt_updates(ev: Any, instance_id: str) -> list[dict[str, Any]]:
    """A `Receipt` event → one `messages.update` item per message id (§3.3, without `messageId`)."""
    status = _RECEIPT_STATUS.get(int(ev.Type))
    if status is None:
        return []
    source = ev.MessageSource
    from_me = int(ev.Type) not in _SELF_RECEIPTS
    out = []
    for message_id in ev.MessageIDs:
        item: dict[str, Any] = {"keyId": message_id, "remoteJid": jid_str(source.Chat), "fromMe": from_me}
        if source.IsGroup:
            item["participant"] = jid_str(source.Sender)
        item["status"] = status
        item["instanceId"] = instance_id
        out.append(item)
    return out


# --- presence ---------------------------------------------------------------------------------


def presence_payload(ev: Any) -> dict[str, Any]:
    """`Presence` (online / offline) → `presence.update` (§3.10)."""
    who = jid_str(ev.From)
    entry: dict[str, Any] = {"lastKnownPresence": "unavailable" if ev.Unavailable else "available"}
    if ev.LastSeen:
        entry["lastSeen"] = int(ev.LastSeen)
    return {"id": who, "presences": {who: entry}}


def chat_presence_payload(ev: Any) -> dict[str, Any]:
    """`ChatPresence` (typing / recording / paused) → `presence.update`."""
    source = ev.MessageSource
    if int(ev.State) == 1:
        state = "recording" if int(ev.Media) == 2 else "composing"
    else:
        state = "paused"
    return {"id": jid_str(source.Chat), "presences": {jid_str(source.Sender): {"lastKnownPresence": state}}}


# --- calls ------------------------------------------------------------------------------------


def node_attr(node: Any, name: str) -> str | None:
    """An attribute of a whatsmeow binary node (neonize `Node`) as text; JIDs as `user@server`."""
    for attr in node.Attrs:
        if attr.name != name:
            continue
        if attr.HasField("jid"):
            return jid_str(attr.jid) or None
        if attr.text:
            return str(attr.text)
        if attr.HasField("integer"):
            return str(attr.integer)
        return "true" if attr.boolean else None
    return None


def call_status(tag: str, reason: str | None = None) -> str:
    """Baileys' getCallStatusFromNode: the call stanza's tag → the `call` event's status."""
    if tag in ("offer", "offer_notice"):
        return "offer"
    if tag == "terminate":
        return "timeout" if reason == "timeout" else "terminate"
    if tag in ("reject", "accept"):
        return tag
    return "ringing"  # preaccept, transport, relaylatency, …


def call_payload(
    *, chat_id: str, creator: str, caller_pn: str | None, call_id: str, timestamp: int, status: str
) -> dict[str, Any]:
    """Baileys' `call` object before the offer details: `{chatId, from, callerPn?, id, date,
    offline, status}` (`chatId` is the stanza's sender, `from` the call's creator)."""
    payload: dict[str, Any] = {"chatId": chat_id, "from": creator or chat_id}
    if caller_pn:
        payload["callerPn"] = caller_pn
    payload.update({"id": call_id, "date": iso_utc(timestamp), "offline": False, "status": status})
    return payload


def meta_fields(meta: Any) -> dict[str, Any]:
    """A whatsmeow `BasicCallMeta` → the arguments of `call_payload` but the status."""
    caller_alt = jid_str(meta.callCreatorAlt)
    return {
        "chat_id": jid_str(meta.__getattribute__("from")),
        "creator": jid_str(meta.callCreator),
        "caller_pn": caller_alt if caller_alt.endswith("@s.whatsapp.net") else None,
        "call_id": meta.callID,
        "timestamp": int(meta.timestamp),
    }


def offer_details(data: Any, *, media: str | None = None, kind: str | None = None) -> dict[str, Any]:
    """What Baileys adds to an offer: `isVideo`, `isGroup`, and `groupJid` when the offer names one
    (left out otherwise). `data` is the offer stanza; an offer notice says `media` / `type` itself."""
    group_jid = node_attr(data, "group-jid")
    details: dict[str, Any] = {
        "isVideo": media == "video" or any(child.Tag == "video" for child in data.Nodes),
        "isGroup": (kind or node_attr(data, "type")) == "group" or bool(group_jid),
    }
    if group_jid:
        details["groupJid"] = group_jid
    return details


# --- groups -----------------------------------------------------------------------------------


def group_participant(participant: Any) -> dict[str, Any]:
    """A whatsmeow `GroupParticipant` → Baileys 7's `{id, phoneNumber?, lid?, admin}`: the phone
    number beside a LID id, the LID beside a phone-number id, each only when known."""
    jid = jid_str(participant.JID)
    entry: dict[str, Any] = {"id": jid}
    phone, lid = jid_str(participant.PhoneNumber), jid_str(participant.LID)
    if jid.endswith("@lid") and phone.endswith("@s.whatsapp.net"):
        entry["phoneNumber"] = phone
    if jid.endswith("@s.whatsapp.net") and lid.endswith("@lid"):
        entry["lid"] = lid
    entry["admin"] = "superadmin" if participant.IsSuperAdmin else ("admin" if participant.IsAdmin else None)
    return entry


def group_metadata(info: Any) -> dict[str, Any]:
    """A neonize `GroupInfo` → Baileys 7's `GroupMetadata` (extractGroupMetadata), in its key
    order; what Baileys leaves undefined is left out, a missing time is null (Baileys' NaN).
    `memberAddMode` and `joinApprovalMode` are left out: neonize's GroupInfo does not carry them."""
    participants = [group_participant(p) for p in info.Participants]
    lid_addressed = any(p["id"].endswith("@lid") for p in participants) or jid_str(info.OwnerJID).endswith("@lid")
    meta: dict[str, Any] = {
        "id": jid_str(info.JID),
        "addressingMode": "lid" if lid_addressed else "pn",
        "subject": info.GroupName.Name,
    }
    optional = (
        ("subjectOwner", jid_str(info.GroupName.NameSetBy)),
        ("subjectTime", int(info.GroupName.NameSetAt) or None),
        ("size", len(participants)),
        ("creation", int(info.GroupCreated) or None),
        ("owner", jid_str(info.OwnerJID)),
        ("ownerPn", jid_str(info.OwnerPN)),
    )
    for field, value in optional:
        if value or field in ("subjectTime", "creation", "size"):
            meta[field] = value
    topic = info.GroupTopic
    if topic.TopicID or topic.Topic:  # Baileys fills the desc fields only when there is a description
        meta["desc"] = topic.Topic
        meta["descId"] = topic.TopicID or None
        if jid_str(topic.TopicSetBy):
            meta["descOwner"] = jid_str(topic.TopicSetBy)
        meta["descTime"] = int(topic.TopicSetAt) or None
    linked_parent = jid_str(info.GroupLinkedParent.LinkedParentJID)
    if linked_parent:
        meta["linkedParent"] = linked_parent
    meta.update(
        {
            "restrict": bool(info.GroupLocked.isLocked),
            "announce": bool(info.GroupAnnounce.IsAnnounce),
            "isCommunity": bool(info.GroupParent.IsParent),
            "isCommunityAnnounce": bool(info.GroupIsDefaultSub.IsDefaultSubGroup),
            "participants": participants,
        }
    )
    if info.GroupEphemeral.IsEphemeral and info.GroupEphemeral.DisappearingTimer:
        meta["ephemeralDuration"] = int(info.GroupEphemeral.DisappearingTimer)
    return meta


_PARTICIPANT_ACTIONS = (("Join", "add"), ("Leave", "remove"), ("Promote", "promote"), ("Demote", "demote"))


def group_participant_updates(ev: Any) -> list[dict[str, Any]]:
    """A `GroupInfoEvent` → one `group-participants.update` per kind of change, as upstream really
    sends it with Baileys 7: `participants` are objects `{id, admin}` (the channel adds
    `phoneNumber` / `lid` when it knows them) and there is no `participantsData` (upstream's
    enrichment expects strings, throws on the objects and sends the raw payload)."""
    out = []
    for field, action in _PARTICIPANT_ACTIONS:
        jids = [jid_str(jid) for jid in getattr(ev, field)]
        if not jids:
            continue
        payload: dict[str, Any] = {"id": jid_str(ev.JID)}
        if ev.HasField("Sender") and ev.Sender.User:
            payload["author"] = jid_str(ev.Sender)
        payload["participants"] = [{"id": jid, "admin": None} for jid in jids]
        payload["action"] = action
        out.append(payload)
    return out


def group_update(ev: Any) -> dict[str, Any] | None:
    """A `GroupInfoEvent` with a settings change → a `groups.update` item (partial metadata)."""
    update: dict[str, Any] = {}
    if ev.HasField("Name"):
        update["subject"] = ev.Name.Name
    if ev.HasField("Topic"):
        update["desc"] = ev.Topic.Topic
    if ev.HasField("Locked"):
        update["restrict"] = bool(ev.Locked.isLocked)
    if ev.HasField("Announce"):
        update["announce"] = bool(ev.Announce.IsAnnounce)
    if ev.HasField("Ephemeral"):
        update["ephemeralDuration"] = int(ev.Ephemeral.DisappearingTimer)
    if not update:
        return None
    if ev.HasField("Sender") and ev.Sender.User:
        update["author"] = jid_str(ev.Sender)
    return {"id": jid_str(ev.JID), **update}
