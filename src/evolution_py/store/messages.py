"""Messages, contacts and chats of one instance: what channels write and the `find*` routes read."""

from __future__ import annotations

import math
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, and_, case, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from evolution_py.isotime import iso_ms
from evolution_py.store.db import INT64_MAX, INT64_MIN, Database, OutOfRange, Upsert
from evolution_py.store.models import Chat, Contact, Label, Message, MessageUpdate, new_id, utcnow
from evolution_py.store.safe_text import safe_json, safe_optional, safe_text, safe_url


def iso(moment: datetime | None) -> str | None:
    """Prisma renders DateTime as ISO-8601 with milliseconds and Z."""
    if moment is None:
        return None
    return iso_ms(moment)


def row_dict(row: Any, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in row.__table__.columns:
        if column.key in exclude:
            continue
        value = getattr(row, column.key)
        out[column.key] = iso(value) if isinstance(value, datetime) else value
    return out


_MESSAGE_HIDDEN = ("keyId", "remoteJid", "fromMe")
# Message rows per batch of a bulk store (history sync): bounds a transaction and its memory.
BATCH_ROWS = 500
_MESSAGES: Table = Message.__table__  # type: ignore[assignment]
_UPDATES: Table = MessageUpdate.__table__  # type: ignore[assignment]
_CONTACTS: Table = Contact.__table__  # type: ignore[assignment]
_CHATS: Table = Chat.__table__  # type: ignore[assignment]
# Chats whose row (id and name) a store remembers: the inbound path asks for every message and
# every receipt; a busy number's active chats fit, a long tail is read again when it comes back.
KNOWN_CHATS = 5000
_ABSENT = ("", None)  # remembered: no row for this chat yet


def message_values(record: dict[str, Any], instance_id: str) -> dict[str, Any]:
    """The `Message` row of a message record (the `messages.upsert` / `send.message` shape), built
    once: the writer inserts it as it is. Text from outside (WhatsApp, an inbound webhook) is made
    safe for every database here."""
    key = safe_json(record.get("key") or {})
    return {
        "id": new_id(),
        "key": key,
        "keyId": safe_optional(key.get("id"), 100),
        "remoteJid": safe_optional(key.get("remoteJid"), 100),
        "fromMe": bool(key.get("fromMe")),
        "pushName": safe_optional(record.get("pushName"), 100),
        "participant": safe_optional(key.get("participant"), 100),
        "messageType": safe_text(record.get("messageType") or "unknown", 100),
        "message": safe_json(record.get("message") or {}),
        "contextInfo": safe_json(record.get("contextInfo")),
        "source": safe_text(record.get("source") or "unknown", 20),
        "messageTimestamp": int(record.get("messageTimestamp") or 0),
        "instanceId": instance_id,
        "webhookUrl": safe_url(record.get("webhookUrl"), 500),
        "status": safe_optional(record.get("status"), 30),
    }


def message_dict(row: Message) -> dict[str, Any]:
    return row_dict(row, exclude=_MESSAGE_HIDDEN)


class MessageStore:
    def __init__(
        self,
        db: Database,
        instance_id: str,
        *,
        save_messages: bool = True,
        save_contacts: bool = True,
        save_chats: bool = True,
    ) -> None:
        self.db = db
        self.instance_id = instance_id
        self.save_messages = save_messages
        self.save_contacts = save_contacts
        self.save_chats = save_chats
        # jid → (row id, name) of the instance's chats as this store last read or wrote them, or
        # _ABSENT. Sound because every write of a chat row goes through this store (upsert_chat,
        # clear); an instance is written by one store at a time (its owner's runtime).
        self._chats: OrderedDict[str, tuple[str, str | None]] = OrderedDict()

    # --- writes -------------------------------------------------------------------------------

    async def save_message(self, record: dict[str, Any]) -> str | None:
        """Store a message record (the `messages.upsert` / `send.message` shape); returns its row id
        once it is committed. While the event bus runs, the row joins the outbox writer's next
        transaction (group commit with other requests and their events); no ORM unit of work."""
        if not self.save_messages:
            return None
        row = message_values(record, self.instance_id)
        await self.insert_rows([row])
        return str(row["id"])

    def rows_to_stage(self, record: dict[str, Any]) -> list[dict[str, Any]] | None:
        """The rows that store `record` when they can ride with its event in the outbox writer's
        transaction (`EventBus.publish(messages=...)`): [] when messages are not stored, None when
        there is no group writer and `save_message` must store it on its own."""
        if not self.save_messages:
            return []
        if self.db.group_writer is None:
            return None
        return [message_values(record, self.instance_id)]

    async def save_message_batch(self, records: list[dict[str, Any]]) -> None:
        """Store many message records in their order (a history sync's chat), up to `BATCH_ROWS`
        rows per statement batch instead of one transaction each."""
        if not self.save_messages:
            return
        for start in range(0, len(records), BATCH_ROWS):
            await self.insert_rows([message_values(r, self.instance_id) for r in records[start : start + BATCH_ROWS]])

    async def insert_rows(self, rows: list[dict[str, Any]]) -> None:
        """Insert `message_values` rows, committed when this returns."""
        writer = self.db.group_writer
        if writer is not None:
            await writer.insert_messages(rows)
            return
        async with self.db.writers_turn(), self.db.engine.begin() as connection:
            await connection.execute(insert(_MESSAGES), rows)

    async def save_status(
        self, *, key_id: str, remote_jid: str, from_me: bool, status: str, participant: str | None = None
    ) -> str | None:
        """Record a receipt for a stored message; returns the message row id (None if unknown).
        Core statements in one transaction: find the message, set its status, add the update row."""
        async with self.db.writers_turn(), self.db.engine.begin() as connection:
            await self.db.check_owner(connection, self.instance_id)
            message_id = (
                await connection.execute(
                    select(_MESSAGES.c.id)
                    .where(_MESSAGES.c.instanceId == self.instance_id, _MESSAGES.c.keyId == key_id)
                    .limit(1)
                )
            ).scalar()
            if message_id is None:
                return None
            await connection.execute(update(_MESSAGES).where(_MESSAGES.c.id == message_id).values(status=status))
            await connection.execute(
                insert(_UPDATES).values(
                    id=new_id(),
                    keyId=key_id,
                    remoteJid=remote_jid,
                    fromMe=from_me,
                    participant=participant,
                    status=status,
                    messageId=message_id,
                    instanceId=self.instance_id,
                )
            )
            return str(message_id)

    async def upsert_contact(
        self,
        remote_jid: str,
        *,
        push_name: str | None = None,
        profile_pic_url: str | None = None,
        picture_known: bool = False,
    ) -> tuple[dict[str, Any], bool]:
        """Create or update a contact; returns (contact fields, created). A None picture leaves the
        stored one, unless `picture_known` (WhatsApp said the picture was removed)."""
        fields: dict[str, Any] = {
            "remoteJid": remote_jid,
            "pushName": push_name,
            "profilePicUrl": profile_pic_url,
            "instanceId": self.instance_id,
        }
        if not self.save_contacts:
            return fields, False
        remote_jid, push_name = safe_text(remote_jid, 100), safe_optional(push_name, 100)
        profile_pic_url = safe_url(profile_pic_url, 500)
        changes: dict[str, Any] = {}
        if push_name:
            changes["pushName"] = push_name
        if profile_pic_url or picture_known:
            changes["profilePicUrl"] = profile_pic_url
        created = await self._upsert(
            _CONTACTS, remote_jid, {"pushName": push_name, "profilePicUrl": profile_pic_url}, changes
        )
        return fields, created

    async def upsert_chat(
        self, remote_jid: str, *, name: str | None = None, unread_delta: int = 0
    ) -> tuple[dict[str, Any], bool]:
        fields: dict[str, Any] = {"remoteJid": remote_jid, "instanceId": self.instance_id}
        if not self.save_chats:
            return fields, False
        remote_jid, name = safe_text(remote_jid, 100), safe_optional(name, 100)
        changes: dict[str, Any] = {"name": name} if name else {}
        row_id = new_id()
        try:
            created = await self._upsert(
                _CHATS,
                remote_jid,
                {"name": name, "unreadMessages": max(unread_delta, 0)},
                changes,
                unread_delta,
                row_id,
            )
        except BaseException:
            self._chats.pop(remote_jid, None)  # its row may or may not have been written
            raise
        known = self._chats.get(remote_jid)
        if created:
            self._remember_chat(remote_jid, (row_id, name))
        elif known is not None and known != _ABSENT and name:
            self._remember_chat(remote_jid, (known[0], name))
        elif known == _ABSENT:
            self._chats.pop(remote_jid, None)  # it existed after all (written before this store ran)
        return fields, created

    async def known_chat(self, remote_jid: str) -> tuple[str, str | None] | None:
        """(row id, name) of the instance's chat with this jid, or None when it has no row; from
        memory when this store has seen it, so the inbound path costs no read per message."""
        remote_jid = safe_text(remote_jid, 100)
        known = self._chats.get(remote_jid)
        if known is not None:
            self._chats.move_to_end(remote_jid)
            return None if known == _ABSENT else known
        async with self.db.engine.connect() as connection:
            row = (
                await connection.execute(
                    select(_CHATS.c.id, _CHATS.c.name)
                    .where(_CHATS.c.instanceId == self.instance_id, _CHATS.c.remoteJid == remote_jid)
                    .limit(1)
                )
            ).first()
        found = None if row is None else (str(row[0]), row[1])
        self._remember_chat(remote_jid, found or _ABSENT)
        return found

    def _remember_chat(self, remote_jid: str, value: tuple[str, str | None]) -> None:
        self._chats[remote_jid] = value
        self._chats.move_to_end(remote_jid)
        if len(self._chats) > KNOWN_CHATS:
            self._chats.popitem(last=False)

    async def _upsert(
        self,
        table: Table,
        remote_jid: str,
        new: dict[str, Any],
        changes: dict[str, Any],
        unread_delta: int = 0,
        row_id: str | None = None,
    ) -> bool:
        """Update the instance's row of `table` for the chat, or create it; True when created.
        While the event bus runs, in the outbox writer's next transaction (group commit);
        otherwise Core statements: one UPDATE when the row exists, an INSERT when not."""
        writer = self.db.group_writer
        if writer is not None:
            upsert = Upsert(table.name, self.instance_id, remote_jid, new, changes, unread_delta, row_id or new_id())
            return await writer.upsert(upsert)
        if unread_delta:
            unread = table.c.unreadMessages + unread_delta
            changes = {**changes, "unreadMessages": case((unread < 0, 0), else_=unread)}
        new = {"remoteJid": remote_jid, **new}
        now = utcnow()
        for _attempt in range(2):
            try:
                async with self.db.writers_turn(), self.db.engine.begin() as connection:
                    updated = await connection.execute(
                        update(table)
                        .where(table.c.instanceId == self.instance_id, table.c.remoteJid == remote_jid)
                        .values(**changes, updatedAt=now)
                    )
                    if updated.rowcount:
                        return False
                    await connection.execute(
                        insert(table).values(
                            id=row_id or new_id(), instanceId=self.instance_id, createdAt=now, updatedAt=now, **new
                        )
                    )
                    return True
            except IntegrityError:
                continue  # a concurrent insert won the race: update it instead
        return False

    async def mark_deleted(self, key_id: str) -> dict[str, Any] | None:
        async with self.db.transaction() as session:
            await self.db.check_owner(session, self.instance_id)
            row = (
                (
                    await session.execute(
                        select(Message).where(Message.instanceId == self.instance_id, Message.keyId == key_id)
                    )
                )
                .scalars()
                .first()
            )
            if row is None:
                return None
            row.status = "DELETED"
            row.key = {**(row.key or {}), "deleted": True}
            return message_dict(row)

    # --- reads --------------------------------------------------------------------------------

    async def find_message_by_key_id(self, key_id: str) -> dict[str, Any] | None:
        async with self.db.session() as session:
            row = (
                (
                    await session.execute(
                        select(Message).where(Message.instanceId == self.instance_id, Message.keyId == key_id)
                    )
                )
                .scalars()
                .first()
            )
            return None if row is None else message_dict(row)

    async def find_messages(self, where: dict[str, Any], page: int, offset: int) -> dict[str, Any]:
        conditions = [Message.instanceId == self.instance_id]
        if where.get("id"):
            conditions.append(Message.id == where["id"])
        if where.get("source"):
            conditions.append(Message.source == where["source"])
        if where.get("messageType"):
            conditions.append(Message.messageType == where["messageType"])
        key = where.get("key") or {}
        if key.get("id"):
            conditions.append(Message.keyId == key["id"])
        if key.get("remoteJid"):
            conditions.append(Message.remoteJid == key["remoteJid"])
        if key.get("fromMe") is not None:
            conditions.append(Message.fromMe == bool(key["fromMe"]))
        if key.get("participant"):
            conditions.append(Message.participant == key["participant"])
        stamp = where.get("messageTimestamp") or {}
        if stamp.get("gte") is not None:
            conditions.append(Message.messageTimestamp >= _to_epoch(stamp["gte"]))
        if stamp.get("lte") is not None:
            conditions.append(Message.messageTimestamp <= _to_epoch(stamp["lte"]))
        async with self.db.session() as session:
            total = await session.execute(select(func.count()).select_from(Message).where(and_(*conditions)))
            count = int(total.scalar_one())
            rows = (
                (
                    await session.execute(
                        select(Message)
                        .where(and_(*conditions))
                        .order_by(Message.messageTimestamp.desc(), Message.id.desc())
                        .offset((page - 1) * offset)
                        .limit(offset)
                    )
                )
                .scalars()
                .all()
            )
            message_ids = [row.id for row in rows]
            updates: dict[str, list[dict[str, Any]]] = {mid: [] for mid in message_ids}
            if message_ids:
                for update_row in (
                    await session.execute(select(MessageUpdate).where(MessageUpdate.messageId.in_(message_ids)))
                ).scalars():
                    updates[update_row.messageId].append({"status": update_row.status})
        records = []
        for row in rows:
            record = message_dict(row)
            if not record.get("pushName"):
                record["pushName"] = "Você" if row.fromMe else (row.participant or None)
            record["MessageUpdate"] = updates.get(row.id, [])
            records.append(record)
        return {
            "messages": {
                "total": count,
                "pages": math.ceil(count / offset) if offset else 0,
                "currentPage": page,
                "records": records,
            }
        }

    async def find_contacts(self, where: dict[str, Any], page: int | None, offset: int | None) -> list[dict[str, Any]]:
        conditions = [Contact.instanceId == self.instance_id]
        if where.get("remoteJid"):
            conditions.append(Contact.remoteJid == where["remoteJid"])
        if where.get("id"):
            conditions.append(Contact.id == where["id"])
        query = select(Contact).where(and_(*conditions)).order_by(Contact.updatedAt.desc(), Contact.id)
        if offset:
            query = query.offset(((page or 1) - 1) * offset).limit(offset)
        async with self.db.session() as session:
            rows = (await session.execute(query)).scalars().all()
        out = []
        for row in rows:
            item = row_dict(row)
            is_group = row.remoteJid.endswith("@g.us")
            is_saved = bool(row.pushName) or bool(row.profilePicUrl)
            item["isGroup"] = is_group
            item["isSaved"] = is_saved
            item["type"] = "group" if is_group else "contact" if is_saved else "group_member"
            out.append(item)
        return out

    async def find_chats(self, where: dict[str, Any], take: int | None, skip: int | None) -> list[dict[str, Any]]:
        """One entry per chat that has at least one stored message, newest first.

        One query (two when messages without a chat jid exist): each chat's newest timestamp, joined
        to the message(s) at that timestamp, the contact and the chat row.
        """
        conditions = [Message.instanceId == self.instance_id]
        if where.get("remoteJid"):
            conditions.append(Message.remoteJid == where["remoteJid"])
        stamp = where.get("messageTimestamp") or {}
        if stamp.get("gte") is not None:
            conditions.append(Message.messageTimestamp >= _to_epoch(stamp["gte"]))
        if stamp.get("lte") is not None:
            conditions.append(Message.messageTimestamp <= _to_epoch(stamp["lte"]))
        latest_query = (
            select(Message.remoteJid.label("jid"), func.max(Message.messageTimestamp).label("ts"))
            .where(and_(*conditions))
            .group_by(Message.remoteJid)
            .order_by(func.max(Message.messageTimestamp).desc(), Message.remoteJid)
        )
        if skip:
            latest_query = latest_query.offset(skip)
        if take:
            latest_query = latest_query.limit(take)
        latest = latest_query.subquery()
        last_message = aliased(Message)
        query = (
            select(latest.c.jid, latest.c.ts, last_message, Contact, Chat)
            .select_from(latest)
            .outerjoin(
                last_message,
                and_(
                    last_message.instanceId == self.instance_id,
                    last_message.remoteJid == latest.c.jid,
                    last_message.messageTimestamp == latest.c.ts,
                ),
            )
            .outerjoin(Contact, and_(Contact.instanceId == self.instance_id, Contact.remoteJid == latest.c.jid))
            .outerjoin(Chat, and_(Chat.instanceId == self.instance_id, Chat.remoteJid == latest.c.jid))
            # Ties between chats: by jid; ties within a chat: the message stored last wins.
            .order_by(latest.c.ts.desc(), latest.c.jid, last_message.id.desc())
        )
        async with self.db.session() as session:
            rows = (await session.execute(query)).all()
            seen: set[str | None] = set()
            out = []
            for remote_jid, ts, last, contact, chat in rows:
                if remote_jid in seen:
                    continue  # an older-id message with the same timestamp
                seen.add(remote_jid)
                if remote_jid is None:
                    # NULL never equals NULL in the join: find the jid-less chat's last message apart.
                    last = await self._last_without_jid(session, ts)
                out.append(_chat_entry(remote_jid, last, contact, chat))
        return out

    async def _last_without_jid(self, session: AsyncSession, ts: int) -> Message | None:
        query = (
            select(Message)
            .where(Message.instanceId == self.instance_id, Message.remoteJid.is_(None), Message.messageTimestamp == ts)
            .order_by(Message.id.desc())
            .limit(1)
        )
        return (await session.execute(query)).scalars().first()

    async def find_chat(self, remote_jid: str) -> dict[str, Any] | None:
        async with self.db.session() as session:
            row = (
                (
                    await session.execute(
                        select(Chat).where(Chat.instanceId == self.instance_id, Chat.remoteJid == remote_jid)
                    )
                )
                .scalars()
                .first()
            )
        return None if row is None else row_dict(row)

    async def find_status_messages(self, where: dict[str, Any], page: int, offset: int) -> list[dict[str, Any]]:
        conditions = [MessageUpdate.instanceId == self.instance_id]
        if where.get("remoteJid"):
            conditions.append(MessageUpdate.remoteJid == where["remoteJid"])
        if where.get("id"):
            conditions.append(MessageUpdate.keyId == where["id"])
        async with self.db.session() as session:
            rows = (
                (
                    await session.execute(
                        select(MessageUpdate)
                        .where(and_(*conditions))
                        .order_by(MessageUpdate.id)
                        .offset((page - 1) * offset)
                        .limit(offset)
                    )
                )
                .scalars()
                .all()
            )
        return [row_dict(row) for row in rows]

    async def mark_chat_read(self, remote_jid: str) -> None:
        async with self.db.transaction() as session:
            await self.db.check_owner(session, self.instance_id)
            await session.execute(
                update(Chat)
                .where(Chat.instanceId == self.instance_id, Chat.remoteJid == remote_jid)
                .values(unreadMessages=0)
            )

    async def push_names(self, remote_jids: list[str]) -> dict[str, str | None]:
        """Stored push names of these contacts (jid → pushName; contacts not stored are left out)."""
        wanted = [jid for jid in dict.fromkeys(remote_jids) if jid]
        if not wanted:
            return {}
        async with self.db.session() as session:
            rows = await session.execute(
                select(Contact.remoteJid, Contact.pushName).where(
                    Contact.instanceId == self.instance_id, Contact.remoteJid.in_(wanted)
                )
            )
            return {remote_jid: push_name for remote_jid, push_name in rows}

    async def find_labels(self) -> list[dict[str, Any]]:
        """The instance's labels as upstream answers them: `{color, name, id, predefinedId}`."""
        async with self.db.session() as session:
            rows = (await session.execute(select(Label).where(Label.instanceId == self.instance_id))).scalars()
            return [
                {"color": row.color, "name": row.name, "id": row.labelId, "predefinedId": row.predefinedId}
                for row in rows
            ]

    async def clear(self) -> None:
        self._chats.clear()
        async with self.db.transaction() as session:
            for table in (MessageUpdate, Message, Contact, Chat):
                await session.execute(delete(table).where(table.instanceId == self.instance_id))


_WINDOW = timedelta(hours=24)  # WhatsApp's customer-service window, counted from the chat's creation


def _chat_entry(
    remote_jid: str | None, last: Message | None, contact: Contact | None, chat: Chat | None
) -> dict[str, Any]:
    """One `/chat/findChats` item as upstream's fetchChats builds it."""
    updated = datetime.fromtimestamp(last.messageTimestamp, UTC) if last else None
    window_start = chat.createdAt if chat else None
    window_expires = window_start + _WINDOW if window_start else None
    entry: dict[str, Any] = {
        "id": contact.id if contact else None,
        "remoteJid": remote_jid,
        "pushName": contact.pushName if contact else None,
        "profilePicUrl": contact.profilePicUrl if contact else None,
        "updatedAt": iso(updated or (contact.updatedAt if contact else None)),
        "windowStart": iso(window_start),
        "windowExpires": iso(window_expires),
        "windowActive": window_expires is not None and window_expires > utcnow(),
    }
    if last is not None:  # upstream's `undefined`: the key is left out
        entry["lastMessage"] = last_message_dict(last)
    entry["unreadCount"] = chat.unreadMessages if chat else None
    entry["isSaved"] = contact is not None
    return entry


def last_message_dict(row: Message) -> dict[str, Any]:
    """A chat's last message as upstream's fetchChats answers it: its own field list, `pushName`
    "Você" for own messages, and media trimmed by cleanMessageData."""
    return {
        "id": row.id,
        "key": row.key,
        "pushName": "Você" if (row.key or {}).get("fromMe") is True else row.pushName,
        "participant": row.participant,
        "messageType": row.messageType,
        "message": clean_message_data(row.message),
        "contextInfo": row.contextInfo,
        "source": row.source,
        "messageTimestamp": row.messageTimestamp,
        "instanceId": row.instanceId,
        "sessionId": row.sessionId,
        "status": row.status,
    }


# upstream's cleanMessageData: the media fields it keeps (a missing one stays missing)
_MEDIA_KEPT = {
    "imageMessage": ("caption",),
    "videoMessage": ("caption",),
    "audioMessage": ("seconds",),
    "stickerMessage": (),
    "documentMessage": ("caption", "name"),
    "documentWithCaptionMessage": ("caption", "name"),
}


def clean_message_data(message: Any) -> Any:
    """Drop `base64` and every media field but a caption / name / seconds (`mediaUrl` stays)."""
    if not isinstance(message, dict):
        return message
    cleaned = {key: value for key, value in message.items() if key != "base64"}
    for kind, kept in _MEDIA_KEPT.items():
        media = cleaned.get(kind)
        if media:
            source = media if isinstance(media, dict) else {}
            cleaned[kind] = {field: source[field] for field in kept if source.get(field) is not None}
    return cleaned


def _to_epoch(value: Any) -> int:
    if isinstance(value, int | float):
        return _in_range(int(value))
    text = str(value).strip()
    if text.isdigit():
        return _in_range(int(text))
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return int(moment.timestamp())


def _in_range(number: int) -> int:
    if not INT64_MIN <= number <= INT64_MAX:
        raise OutOfRange(f"{number} is beyond 64 bits")
    return number
