"""`/group/*` on whatsmeow: one method per route, each mapping upstream's body to neonize's group
calls and whatsmeow's `GroupInfo` back to Baileys' `GroupMetadata` shape.

Failures answer upstream's two-string errors (`["Error creating group", "Error: ..."]`) with
upstream's status for that route.
"""

from __future__ import annotations

import asyncio
from typing import Any

from neonize.utils.enum import ParticipantChange

from evolution_py.channels.base import ChannelError
from evolution_py.channels.jid import create_jid
from evolution_py.channels.whatsmeow.ops.common import (
    error_text,
    group_jid,
    jid_str,
    load_media,
    to_jid,
    to_jpeg,
    unix_or_none,
)
from evolution_py.channels.whatsmeow.ops.host import OpsMixin
from evolution_py.channels.whatsmeow.ops.numbers import check_numbers
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

PARTICIPANT_CHANGES = {
    "add": ParticipantChange.ADD,
    "remove": ParticipantChange.REMOVE,
    "promote": ParticipantChange.PROMOTE,
    "demote": ParticipantChange.DEMOTE,
}


# --- pure conversions ---------------------------------------------------------------------------


def participant_dict(participant: Any) -> dict[str, Any]:
    """whatsmeow GroupParticipant → Baileys `{id, admin}` (+ `lid`/`phoneNumber` when whatsmeow knows them)."""
    admin = "superadmin" if participant.IsSuperAdmin else "admin" if participant.IsAdmin else None
    out: dict[str, Any] = {"id": jid_str(participant.JID), "admin": admin}
    lid = jid_str(participant.LID)
    phone = jid_str(participant.PhoneNumber)
    if lid and lid != out["id"]:
        out["lid"] = lid
    if phone and phone != out["id"]:
        out["phoneNumber"] = phone
    return out


def group_metadata(info: Any) -> dict[str, Any]:
    """whatsmeow GroupInfo → Baileys GroupMetadata (what `/group/create` and `inviteInfo` answer)."""
    participants = [participant_dict(p) for p in info.Participants]
    return {
        "id": jid_str(info.JID),
        "subject": info.GroupName.Name,
        "subjectOwner": jid_str(info.GroupName.NameSetBy),
        "subjectTime": unix_or_none(info.GroupName.NameSetAt),
        "size": len(participants),
        "creation": unix_or_none(info.GroupCreated),
        "owner": jid_str(info.OwnerJID),
        "desc": info.GroupTopic.Topic or None,
        "descId": info.GroupTopic.TopicID or None,
        "descOwner": jid_str(info.GroupTopic.TopicSetBy),
        "restrict": info.GroupLocked.isLocked,
        "announce": info.GroupAnnounce.IsAnnounce,
        "isCommunity": info.GroupParent.IsParent,
        "isCommunityAnnounce": info.GroupIsDefaultSub.IsDefaultSubGroup,
        "linkedParent": jid_str(info.GroupLinkedParent.LinkedParentJID),
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
        out.append({"status": status, "jid": jid_str(participant.JID)})
    return out


def ephemeral_timer_ns(expiration: int) -> int:
    """neonize hands an int timer to Go as a `time.Duration` (nanoseconds); a timedelta would be
    converted to milliseconds first and arrive 10^6 times too short."""
    return int(expiration) * 1_000_000_000


def invite_text(description: str, invite_url: str) -> str:
    return f"{description}\n\n{invite_url}"


# --- the mixin ----------------------------------------------------------------------------------


class GroupOps(OpsMixin):
    async def _picture_url(self, jid: Any) -> str | None:
        try:
            picture = await self.client.get_profile_picture(jid)
        except Exception:
            return None
        return getattr(picture, "URL", None) or None

    async def _send_invite_text(self, number: str, text: str) -> None:
        # Through the channel's own send path when it has one (upstream's sendMessageWithTyping:
        # the text is stored and emitted as `send.message`), else straight to whatsmeow.
        if getattr(type(self), "send_text", None) is not None:
            await self.send_text(SendText(number=number, text=text))  # type: ignore[attr-defined]
        else:
            await self.client.send_message(to_jid(create_jid(number)), text)

    async def group_create(self, req: CreateGroup) -> dict[str, Any]:
        self.require_open()
        try:
            checked = await check_numbers(self.client, req.participants)
            members = [to_jid(item["jid"]) for item in checked if item["exists"]]
            info = await self.client.create_group(req.subject, members)
            jid = info.JID
            if req.description:
                await self.client.set_group_topic(jid, "", "", req.description)
            if req.promoteParticipants and members:
                await self.client.update_group_participants(jid, members, ParticipantChange.PROMOTE)
            if req.description or req.promoteParticipants:
                info = await self.client.get_group_info(jid)
            return group_metadata(info)
        except ChannelError:
            raise
        except Exception as exc:
            raise ChannelError("Error creating group", error_text(exc), status=500) from None

    async def group_update_subject(self, req: GroupSubject) -> dict[str, Any]:
        self.require_open()
        try:
            await self.client.set_group_name(group_jid(req.groupJid), req.subject)
        except Exception as exc:
            raise ChannelError("Error updating group subject", error_text(exc), status=500) from None
        return {"update": "success"}

    async def group_update_description(self, req: GroupDescription) -> dict[str, Any]:
        self.require_open()
        try:
            # Empty previous/new ids: whatsmeow looks up the current topic id and makes a new one.
            await self.client.set_group_topic(group_jid(req.groupJid), "", "", req.description)
        except Exception as exc:
            raise ChannelError("Error updating group description", error_text(exc), status=500) from None
        return {"update": "success"}

    async def group_update_picture(self, req: GroupPicture) -> dict[str, Any]:
        self.require_open()
        try:
            raw = await load_media(req.image, what="profilePicture", proxy=self.ctx.proxy.url())
            jpeg = await asyncio.to_thread(to_jpeg, raw)
            await self.client.set_group_photo(group_jid(req.groupJid), jpeg)
        except Exception as exc:  # a bad URL/base64/image included, as upstream (500, two strings)
            raise ChannelError("Error update group picture", error_text(exc), status=500) from None
        return {"update": "success"}

    async def group_find_info(self, req: GroupJid) -> dict[str, Any]:
        self.require_open()
        jid = group_jid(req.groupJid)
        try:
            info = await self.client.get_group_info(jid)
        except Exception as exc:
            raise ChannelError("Error fetching group", error_text(exc), status=404) from None
        picture = await self._picture_url(jid)
        return group_summary(info, picture, with_participants=True)

    async def group_fetch_all(self, req: GetParticipants) -> list[dict[str, Any]]:
        self.require_open()
        groups = await self.client.get_joined_groups()
        out = []
        for info in groups:
            picture = await self._picture_url(info.JID)
            out.append(group_summary(info, picture, with_participants=req.getParticipants == "true"))
        return out

    async def group_participants(self, req: GroupJid) -> dict[str, Any]:
        self.require_open()
        try:
            info = await self.client.get_group_info(group_jid(req.groupJid))
        except Exception as exc:
            raise ChannelError("No participants", error_text(exc), status=404) from None
        participants = [participant_dict(p) for p in info.Participants]
        contacts = await self.ctx.store.find_contacts({}, 1, None)
        known = {c["remoteJid"]: c for c in contacts}
        for participant in participants:
            contact = known.get(participant["id"]) or {}
            participant["name"] = contact.get("pushName")
            participant["imgUrl"] = contact.get("profilePicUrl")
        return {"participants": participants}

    async def group_invite_code(self, req: GroupJid) -> dict[str, Any]:
        self.require_open()
        try:
            code = invite_code_of(await self.client.get_group_invite_link(group_jid(req.groupJid), False))
        except Exception as exc:
            raise ChannelError("No invite code", error_text(exc), status=404) from None
        return {"inviteUrl": INVITE_PREFIX + code, "inviteCode": code}

    async def group_invite_info(self, req: GroupInvite) -> dict[str, Any]:
        self.require_open()
        try:
            info = await self.client.get_group_info_from_link(req.inviteCode)
        except Exception:
            raise ChannelError("No invite info", req.inviteCode, status=404) from None
        return group_metadata(info)

    async def group_accept_invite(self, req: GroupInvite) -> dict[str, Any]:
        self.require_open()
        try:
            jid = await self.client.join_group_with_link(req.inviteCode)
        except Exception as exc:
            raise ChannelError("Accept invite error", error_text(exc), status=404) from None
        return {"accepted": True, "groupJid": jid_str(jid)}

    async def group_send_invite(self, req: GroupSendInvite) -> dict[str, Any]:
        self.require_open()
        try:
            code = invite_code_of(await self.client.get_group_invite_link(group_jid(req.groupJid), False))
            url = INVITE_PREFIX + code
            text = invite_text(req.description, url)
            for number in req.numbers:
                await self._send_invite_text(number, text)
        except Exception:
            raise ChannelError("No send invite", status=404) from None
        return {"send": True, "inviteUrl": url}

    async def group_revoke_invite(self, req: GroupJid) -> dict[str, Any]:
        self.require_open()
        try:
            code = invite_code_of(await self.client.get_group_invite_link(group_jid(req.groupJid), True))
        except Exception as exc:
            raise ChannelError("Revoke error", error_text(exc), status=404) from None
        return {"revoked": True, "inviteCode": code}

    async def group_update_participants(self, req: GroupUpdateParticipants) -> dict[str, Any]:
        self.require_open()
        try:
            members = [to_jid(create_jid(p)) for p in req.participants]
            result = await self.client.update_group_participants(
                group_jid(req.groupJid), members, PARTICIPANT_CHANGES[req.action]
            )
        except Exception as exc:
            raise ChannelError("Error updating participants", error_text(exc), status=400) from None
        return {"updateParticipants": participant_results(result)}

    async def group_update_setting(self, req: GroupUpdateSetting) -> dict[str, Any]:
        self.require_open()
        method, value = SETTING_CALLS[req.action]
        try:
            await getattr(self.client, method)(group_jid(req.groupJid), value)
        except Exception as exc:
            raise ChannelError("Error updating setting", error_text(exc), status=400) from None
        # Upstream answers `{updateSetting: undefined}`, which serialises as `{}`.
        return {}

    async def group_toggle_ephemeral(self, req: GroupToggleEphemeral) -> dict[str, Any]:
        self.require_open()
        try:
            await self.client.set_disappearing_timer(group_jid(req.groupJid), ephemeral_timer_ns(req.expiration))
        except Exception as exc:
            raise ChannelError("Error updating setting", error_text(exc), status=400) from None
        return {"success": True}

    async def group_leave(self, req: GroupJid) -> dict[str, Any]:
        self.require_open()
        try:
            await self.client.leave_group(group_jid(req.groupJid))
        except Exception as exc:
            raise ChannelError("Unable to leave the group", error_text(exc), status=400) from None
        return {"groupJid": req.groupJid, "leave": True}
