"""What a channel may be asked, one typed protocol per capability.

Each protocol's methods carry a default body that answers upstream's "Method not available on
<channel>" (a 400): a channel class subclasses the protocols explicitly and overrides what it can
do, so the protocol is also its "unavailable" base and nothing is declared twice. Routes reach a
channel through `Channel` (all capabilities at once), so mypy checks every route → channel call;
a misspelt method is a type error, not a 400 at run time.

Answers are upstream's JSON bodies (Baileys-shaped records), built by the channel: `Record` for one
object, `Records` for a list.
"""

from __future__ import annotations

from typing import Any, Protocol

from evolution_py.dto.business import CatalogQuery
from evolution_py.dto.call import OfferCall
from evolution_py.dto.chat import (
    ArchiveChat,
    BlockStatus,
    DeleteMessage,
    GetBase64,
    MarkChatUnread,
    PrivacySettings,
    ReadMessages,
    SendPresence,
    UpdateMessage,
    WhatsappNumbers,
)
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
from evolution_py.dto.label import HandleLabel
from evolution_py.dto.message import (
    SendAudio,
    SendButtons,
    SendContact,
    SendList,
    SendLocation,
    SendMedia,
    SendPoll,
    SendPtv,
    SendReaction,
    SendStatus,
    SendSticker,
    SendTemplate,
    SendText,
    UploadedFile,
)
from evolution_py.dto.template import TemplateCreate, TemplateDelete, TemplateEdit

# A JSON object of upstream's wire shape (a sent-message record, a group, a profile, ...).
Record = dict[str, Any]
Records = list[dict[str, Any]]


class ChannelError(Exception):
    """A channel refused or failed an operation; the API answers it as `status` with `messages`."""

    def __init__(self, *messages: Any, status: int = 400) -> None:
        super().__init__(*messages)
        self.messages = list(messages)
        self.status = status


class MetaError(ChannelError):
    """Meta's Graph API refused an operation: answered in the contract's "Meta error" body (400) with
    Meta's own `error` object (code, message, type, subcode, fbtrace_id, user title and message)."""

    def __init__(self, error: dict[str, Any], *, context: str = "whatsapp_business_api") -> None:
        message = error.get("message") or "WhatsApp API Error"
        super().__init__(message, status=400)
        self.error = error
        self.context = context


class MethodNotAvailable(ChannelError):
    def __init__(self, channel_label: str) -> None:
        super().__init__(f"Method not available on {channel_label}", status=400)


def not_available(channel: object) -> MethodNotAvailable:
    """The default body of every capability operation: upstream's 400 naming the channel (its `label`)."""
    return MethodNotAvailable(str(getattr(channel, "label", "this channel")))


class Messaging(Protocol):
    """`/message/send*` without media. Each answers the sent-message record (HTTP contract §8.3)."""

    async def send_text(self, req: SendText) -> Record:
        raise not_available(self)

    async def send_location(self, req: SendLocation) -> Record:
        raise not_available(self)

    async def send_contact(self, req: SendContact) -> Record:
        raise not_available(self)

    async def send_reaction(self, req: SendReaction) -> Record:
        raise not_available(self)

    async def send_poll(self, req: SendPoll) -> Record:
        raise not_available(self)

    async def send_list(self, req: SendList) -> Record:
        raise not_available(self)

    async def send_buttons(self, req: SendButtons) -> Record:
        raise not_available(self)

    async def send_template(self, req: SendTemplate) -> Record:
        raise not_available(self)


class Media(Protocol):
    """Sends that carry a file (JSON url/base64 or a multipart upload), and reading media back."""

    async def send_media(self, req: SendMedia, file: UploadedFile | None = None) -> Record:
        raise not_available(self)

    async def send_ptv(self, req: SendPtv, file: UploadedFile | None = None) -> Record:
        raise not_available(self)

    async def send_whatsapp_audio(self, req: SendAudio, file: UploadedFile | None = None) -> Record:
        raise not_available(self)

    async def send_sticker(self, req: SendSticker, file: UploadedFile | None = None) -> Record:
        raise not_available(self)

    async def send_status(self, req: SendStatus, file: UploadedFile | None = None) -> Record:
        raise not_available(self)

    async def get_base64_from_media_message(self, req: GetBase64) -> Record:
        raise not_available(self)


class Chats(Protocol):
    """`/chat/*` operations that talk to WhatsApp (the find* routes read the store instead)."""

    async def whatsapp_numbers(self, req: WhatsappNumbers) -> Records:
        raise not_available(self)

    async def mark_message_as_read(self, req: ReadMessages) -> Record:
        raise not_available(self)

    async def archive_chat(self, req: ArchiveChat) -> Record:
        raise not_available(self)

    async def mark_chat_unread(self, req: MarkChatUnread) -> Record:
        raise not_available(self)

    async def delete_message_for_everyone(self, req: DeleteMessage) -> Record:
        raise not_available(self)

    async def update_message(self, req: UpdateMessage) -> Record:
        raise not_available(self)

    async def send_presence(self, req: SendPresence) -> Record:
        raise not_available(self)

    async def update_block_status(self, req: BlockStatus) -> Record:
        raise not_available(self)

    async def set_presence(self, presence: str) -> None:
        """The account's own presence (`/instance/setPresence`)."""
        raise not_available(self)


class Profile(Protocol):
    async def fetch_profile_picture_url(self, number: str | None) -> Record:
        raise not_available(self)

    async def fetch_profile(self, number: str | None) -> Record:
        raise not_available(self)

    async def update_profile_name(self, name: str) -> Record:
        raise not_available(self)

    async def update_profile_status(self, status: str) -> Record:
        raise not_available(self)

    async def update_profile_picture(self, picture: str | None) -> Record:
        raise not_available(self)

    async def remove_profile_picture(self) -> Record:
        raise not_available(self)

    async def fetch_privacy_settings(self) -> dict[str, str]:
        raise not_available(self)

    async def update_privacy_settings(self, req: PrivacySettings) -> Record:
        raise not_available(self)


class Groups(Protocol):
    async def group_create(self, req: CreateGroup) -> Record:
        raise not_available(self)

    async def group_update_subject(self, req: GroupSubject) -> Record:
        raise not_available(self)

    async def group_update_description(self, req: GroupDescription) -> Record:
        raise not_available(self)

    async def group_update_picture(self, req: GroupPicture) -> Record:
        raise not_available(self)

    async def group_find_info(self, req: GroupJid) -> Record:
        raise not_available(self)

    async def group_fetch_all(self, req: GetParticipants) -> Records:
        raise not_available(self)

    async def group_participants(self, req: GroupJid) -> Record:
        raise not_available(self)

    async def group_invite_code(self, req: GroupJid) -> Record:
        raise not_available(self)

    async def group_invite_info(self, req: GroupInvite) -> Record:
        raise not_available(self)

    async def group_accept_invite(self, req: GroupInvite) -> Record:
        raise not_available(self)

    async def group_send_invite(self, req: GroupSendInvite) -> Record:
        raise not_available(self)

    async def group_revoke_invite(self, req: GroupJid) -> Record:
        raise not_available(self)

    async def group_update_participants(self, req: GroupUpdateParticipants) -> Record:
        raise not_available(self)

    async def group_update_setting(self, req: GroupUpdateSetting) -> Record:
        raise not_available(self)

    async def group_toggle_ephemeral(self, req: GroupToggleEphemeral) -> Record:
        raise not_available(self)

    async def group_leave(self, req: GroupJid) -> Record:
        raise not_available(self)


class Labels(Protocol):
    async def find_labels(self) -> Records:
        raise not_available(self)

    async def handle_label(self, req: HandleLabel) -> Record:
        raise not_available(self)


class Calls(Protocol):
    async def offer_call(self, req: OfferCall) -> Record:
        raise not_available(self)


class Business(Protocol):
    async def fetch_business_profile(self, number: str | None) -> Record:
        raise not_available(self)

    async def get_catalog(self, req: CatalogQuery) -> Record:
        raise not_available(self)

    async def get_collections(self, req: CatalogQuery) -> Record:
        raise not_available(self)


class Templates(Protocol):
    """`/template/*`: message templates of the account (Meta's `message_templates`)."""

    async def create_template(self, req: TemplateCreate) -> Record:
        raise not_available(self)

    async def find_templates(self) -> Any:
        raise not_available(self)

    async def edit_template(self, req: TemplateEdit) -> Record:
        raise not_available(self)

    async def delete_template(self, req: TemplateDelete) -> Record:
        raise not_available(self)


class BaileysInternals(Protocol):
    """`/baileys/*`: the few Baileys socket calls upstream exposes that another library can answer."""

    async def on_whatsapp(self, jid: str) -> list[Record]:
        raise not_available(self)

    async def profile_picture_url(self, jid: str, preview: bool) -> str | None:
        raise not_available(self)

    async def usync_devices(self, jids: list[str], ignore_zero_devices: bool) -> list[Record]:
        raise not_available(self)

    async def auth_state(self) -> Record:
        raise not_available(self)


class InboundWebhook(Protocol):
    """Channels fed by an HTTP webhook of ours (`POST /webhook/evolution`) take the posted body here."""

    async def receive(self, payload: dict[str, Any]) -> None:
        raise not_available(self)


class NotAvailable(
    Messaging, Media, Chats, Profile, Groups, Labels, Calls, Business, Templates, BaileysInternals, InboundWebhook
):
    """Every capability, each operation answering "Method not available on <label>" (a 400)."""

    def __init__(self, label: str) -> None:
        self.label = label
