"""`/group/*` on WhatsApp Web: one method per route, each mapping upstream's body to neonize's group
calls and whatsmeow's `GroupInfo` back to Baileys' `GroupMetadata` shape.

Failures answer upstream's two-string errors (`["Error creating group", "Error: ..."]`) with
upstream's status for that route.
"""

from __future__ import annotations

import asyncio
from typing import Any

from evolution_py.channels.base import ChannelError, InstanceContext
from evolution_py.channels.capabilities import Groups, Messaging, Record, Records
from evolution_py.channels.jid import create_jid
from evolution_py.channels.whatsapp_web.errors import CHANNEL_LABEL, error_text, go_failures
from evolution_py.channels.whatsapp_web.jids import group_jid, jid_or_none, to_jid
from evolution_py.channels.whatsapp_web.media_files import to_jpeg
from evolution_py.channels.whatsapp_web.media_loader import load_media, picture_wording
from evolution_py.channels.whatsapp_web.numbers import check_numbers
from evolution_py.channels.whatsapp_web.session import CallTimedOut, Session, neonize
from evolution_py.dto.group import (
    CreateGroup,
    GetParticipants,
    GroupDescription,
    GroupInvite,
    GroupJid,
    GroupPicture,
    GroupSendInvite,
    GroupSubject,
    GroupToggleEphemeral,
    GroupUpdateParticipants,
    GroupUpdateSetting,
)
from evolution_py.dto.message import SendText

INVITE_PREFIX = "https://chat.whatsapp.com/"

# updateSetting action → (neonize method, value)
SETTING_CALLS = {
    "announcement": ("set_group_announce", True),
    "not_announcement": ("set_group_announce", False),
    "locked": ("set_group_locked", True),
    "unlocked": ("set_group_locked", False),
}


def unix_or_none(value: int | float) -> int | None:
    """whatsmeow encodes an unset time as Go's zero time (-62135596800); report it as unknown."""
    seconds = int(value)
    return seconds if seconds > 0 else None


# --- pure conversions ---------------------------------------------------------------------------


def participant_dict(participant: Any) -> dict[str, Any]:
    """whatsmeow GroupParticipant → Baileys `{id, admin}` (+ `lid`/`phoneNumber` when whatsmeow knows them)."""
    admin = "superadmin" if participant.IsSuperAdmin else "admin" if participant.IsAdmin else None
    out: dict[str, Any] = {"id": jid_or_none(participant.JID), "admin": admin}
    lid = jid_or_none(participant.LID)
    phone = jid_or_none(participant.PhoneNumber)
    if lid and lid != out["id"]:
        out["lid"] = lid
    if phone and phone != out["id"]:
        out["phoneNumber"] = phone
    return out


def group_metadata(info: Any) -> dict[str, Any]:
    """whatsmeow GroupInfo → Baileys GroupMetadata (what `/group/create` and `inviteInfo` answer)."""
    participants = [participant_dict(p) for p in info.Participants]
    return {
        "id": jid_or_none(info.JID),
        "subject": info.GroupName.Name,
        "subjectOwner": jid_or_none(info.GroupName.NameSetBy),
        "subjectTime": unix_or_none(info.GroupName.NameSetAt),
        "size": len(participants),
        "creation": unix_or_none(info.GroupCreated),
        "owner": jid_or_none(info.OwnerJID),
        "desc": info.GroupTopic.Topic or None,
        "descId": info.GroupTopic.TopicID or None,
        "descOwner": jid_or_none(info.GroupTopic.TopicSetBy),
        "restrict": info.GroupLocked.isLocked,
        "announce": info.GroupAnnounce.IsAnnounce,
        "isCommunity": info.GroupParent.IsParent,
        "isCommunityAnnounce": info.GroupIsDefaultSub.IsDefaultSubGroup,
        "linkedParent": jid_or_none(info.GroupLinkedParent.LinkedParentJID),
        "ephemeralDuration": info.GroupEphemeral.DisappearingTimer if info.GroupEphemeral.IsEphemeral else None,
        "participants": participants,
    }


def group_summary(info: Any, picture_url: str | None, *, with_participants: bool) -> dict[str, Any]:
    """The object `findGroupInfos` and `fetchAllGroups` answer (upstream picks these keys, in this order)."""
    meta = group_metadata(info)
    out = {
        "id": meta["id"],
        "subject": meta["subject"],
        "subjectOwner": meta["subjectOwner"],
        "subjectTime": meta["subjectTime"],
        "pictureUrl": picture_url,
        "size": meta["size"],
        "creation": meta["creation"],
        "owner": meta["owner"],
        "desc": meta["desc"],
        "descId": meta["descId"],
        "restrict": meta["restrict"],
        "announce": meta["announce"],
        "isCommunity": meta["isCommunity"],
        "isCommunityAnnounce": meta["isCommunityAnnounce"],
        "linkedParent": meta["linkedParent"],
    }
    if with_participants:
        out["participants"] = meta["participants"]
    return out


def invite_code_of(link: str) -> str:
    """whatsmeow answers the full link; upstream answers the code and builds the URL itself."""
    return link.rstrip("/").rsplit("/", 1)[-1]


def participant_results(participants: Any) -> list[dict[str, Any]]:
    """whatsmeow's per-participant answer → Baileys' `[{status:"200", jid}]` (status = WhatsApp's code)."""
    out = []
    for participant in participants:
        status = str(participant.Error) if participant.Error else "200"
        out.append({"status": status, "jid": jid_or_none(participant.JID)})
    return out


def ephemeral_timer_ns(expiration: int) -> int:
    """neonize hands an int timer to Go as a `time.Duration` (nanoseconds); a timedelta would be
    converted to milliseconds first and arrive 10^6 times too short."""
    return int(expiration) * 1_000_000_000


def invite_text(description: str, invite_url: str) -> str:
    return f"{description}\n\n{invite_url}"


# --- the feature ---------------------------------------------------------------------------------


class GroupsFeature(Groups):
    label = CHANNEL_LABEL

    def __init__(self, session: Session, ctx: InstanceContext, messaging: Messaging | None = None) -> None:
        self.session = session
        self.ctx = ctx
        # Invite texts go through the channel's own send path (upstream's sendMessageWithTyping).
        self.messaging = messaging

    async def _picture_url(self, jid: Any) -> str | None:
        try:
            picture = await self.session.call(lambda client: client.get_profile_picture(jid))
        except Exception:  # noqa: BLE001 - a group without a readable picture shows null, as upstream
            return None
        return getattr(picture, "URL", None) or None

    async def _send_invite_text(self, number: str, text: str) -> None:
        if self.messaging is not None:
            await self.ctx.record_sent(await self.messaging.send_text(SendText(number=number, text=text)))
        else:
            await self.session.call(lambda client: client.send_message(to_jid(create_jid(number)), text))

    async def group_create(self, req: CreateGroup) -> Record:
        self.session.require_open()
        call = self.session.call
        try:
            checked = await check_numbers(self.session, req.participants)
            members = [to_jid(item["jid"]) for item in checked if item["exists"]]
            info = await call(lambda client: client.create_group(req.subject, members))
            jid = info.JID
            if req.description:
                await call(lambda client: client.set_group_topic(jid, "", "", req.description))
            if req.promoteParticipants and members:
                promote = neonize().ParticipantChange.PROMOTE
                await call(lambda client: client.update_group_participants(jid, members, promote))
            if req.description or req.promoteParticipants:
                info = await call(lambda client: client.get_group_info(jid))
            return group_metadata(info)
        except ChannelError:
            raise
        except Exception as exc:  # noqa: BLE001 - any neonize/Go error becomes upstream's error answer
            raise ChannelError("Error creating group", error_text(exc), status=500) from None

    async def group_update_subject(self, req: GroupSubject) -> Record:
        self.session.require_open()
        with go_failures("Error updating group subject", status=500):
            await self.session.call(lambda client: client.set_group_name(group_jid(req.groupJid), req.subject))
        return {"update": "success"}

    async def group_update_description(self, req: GroupDescription) -> Record:
        self.session.require_open()
        with go_failures("Error updating group description", status=500):
            # Empty previous/new ids: whatsmeow looks up the current topic id and makes a new one.
            await self.session.call(
                lambda client: client.set_group_topic(group_jid(req.groupJid), "", "", req.description)
            )
        return {"update": "success"}

    async def group_update_picture(self, req: GroupPicture) -> Record:
        self.session.require_open()
        try:
            loaded = await load_media(
                req.image,
                wording=picture_wording("profilePicture"),
                client=self.ctx.outbound,
                proxy=self.ctx.proxy.url(),
            )
            jpeg = await asyncio.to_thread(to_jpeg, loaded.data)
            await self.session.call(lambda client: client.set_group_photo(group_jid(req.groupJid), jpeg))
        except CallTimedOut:
            raise
        except Exception as exc:  # noqa: BLE001 - a bad URL/base64/image included, as upstream (500, two strings)
            raise ChannelError("Error update group picture", error_text(exc), status=500) from None
        return {"update": "success"}

    async def group_find_info(self, req: GroupJid) -> Record:
        self.session.require_open()
        jid = group_jid(req.groupJid)
        with go_failures("Error fetching group", status=404):
            info = await self.session.call(lambda client: client.get_group_info(jid))
        picture = await self._picture_url(jid)
        return group_summary(info, picture, with_participants=True)

    async def group_fetch_all(self, req: GetParticipants) -> Records:
        self.session.require_open()
        groups = await self.session.call(lambda client: client.get_joined_groups())
        out = []
        for info in groups:
            picture = await self._picture_url(info.JID)
            out.append(group_summary(info, picture, with_participants=req.getParticipants == "true"))
        return out

    async def group_participants(self, req: GroupJid) -> Record:
        self.session.require_open()
        with go_failures("No participants", status=404):
            info = await self.session.call(lambda client: client.get_group_info(group_jid(req.groupJid)))
        participants = [participant_dict(p) for p in info.Participants]
        contacts = await self.ctx.store.find_contacts({}, 1, None)
        known = {c["remoteJid"]: c for c in contacts}
        for participant in participants:
            contact = known.get(participant["id"]) or {}
            participant["name"] = contact.get("pushName")
            participant["imgUrl"] = contact.get("profilePicUrl")
        return {"participants": participants}

    async def _invite_link(self, group: str, *, revoke: bool) -> str:
        link: str = await self.session.call(lambda client: client.get_group_invite_link(group_jid(group), revoke))
        return invite_code_of(link)

    async def group_invite_code(self, req: GroupJid) -> Record:
        self.session.require_open()
        with go_failures("No invite code", status=404):
            code = await self._invite_link(req.groupJid, revoke=False)
        return {"inviteUrl": INVITE_PREFIX + code, "inviteCode": code}

    async def group_invite_info(self, req: GroupInvite) -> Record:
        self.session.require_open()
        try:
            info = await self.session.call(lambda client: client.get_group_info_from_link(req.inviteCode))
        except CallTimedOut:
            raise
        except Exception:  # noqa: BLE001 - any neonize/Go error becomes upstream's error answer
            raise ChannelError("No invite info", req.inviteCode, status=404) from None
        return group_metadata(info)

    async def group_accept_invite(self, req: GroupInvite) -> Record:
        self.session.require_open()
        with go_failures("Accept invite error", status=404):
            jid = await self.session.call(lambda client: client.join_group_with_link(req.inviteCode))
        return {"accepted": True, "groupJid": jid_or_none(jid)}

    async def group_send_invite(self, req: GroupSendInvite) -> Record:
        self.session.require_open()
        try:
            code = await self._invite_link(req.groupJid, revoke=False)
            url = INVITE_PREFIX + code
            text = invite_text(req.description, url)
            for number in req.numbers:
                await self._send_invite_text(number, text)
        except CallTimedOut:
            raise
        except Exception:  # noqa: BLE001 - any neonize/Go error becomes upstream's error answer
            raise ChannelError("No send invite", status=404) from None
        return {"send": True, "inviteUrl": url}

    async def group_revoke_invite(self, req: GroupJid) -> Record:
        self.session.require_open()
        with go_failures("Revoke error", status=404):
            code = await self._invite_link(req.groupJid, revoke=True)
        return {"revoked": True, "inviteCode": code}

    async def group_update_participants(self, req: GroupUpdateParticipants) -> Record:
        self.session.require_open()
        with go_failures("Error updating participants", status=400):
            members = [to_jid(create_jid(p)) for p in req.participants]
            change = neonize().ParticipantChange(req.action)  # add / remove / promote / demote
            result = await self.session.call(
                lambda client: client.update_group_participants(group_jid(req.groupJid), members, change)
            )
        return {"updateParticipants": participant_results(result)}

    async def group_update_setting(self, req: GroupUpdateSetting) -> Record:
        self.session.require_open()
        method, value = SETTING_CALLS[req.action]
        with go_failures("Error updating setting", status=400):
            await self.session.call(lambda client: getattr(client, method)(group_jid(req.groupJid), value))
        # Upstream answers `{updateSetting: undefined}`, which serialises as `{}`.
        return {}

    async def group_toggle_ephemeral(self, req: GroupToggleEphemeral) -> Record:
        self.session.require_open()
        timer = ephemeral_timer_ns(req.expiration)
        with go_failures("Error updating setting", status=400):
            await self.session.call(lambda client: client.set_disappearing_timer(group_jid(req.groupJid), timer))
        return {"success": True}

    async def group_leave(self, req: GroupJid) -> Record:
        self.session.require_open()
        with go_failures("Unable to leave the group", status=400):
            await self.session.call(lambda client: client.leave_group(group_jid(req.groupJid)))
        return {"groupJid": req.groupJid, "leave": True}
