"""Every neonize name the WhatsApp Web channel uses (and protobuf's `json_format`), imported here
and nowhere else.

Importing neonize costs ~0.45 s and ~69 MB and has side effects (root logging, `sys.path`, a
`uname` call; stack-facts §1, §3.5), and a server can hold hundreds of channels that never connect.
So no module imports this one at import time: code reaches it through `session.neonize()`, which
is first called when a client is opened (connect, or the resume of a stored session). Feature
modules that name neonize types in annotations import them under `TYPE_CHECKING`.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format
from neonize._binder import ProxySettings
from neonize.aioze import events
from neonize.aioze.client import NewAClient
from neonize.proto.Neonize_pb2 import JID, GetProfilePictureParams
from neonize.proto.waCommon.WACommon_pb2 import MessageKey
from neonize.proto.waCompanionReg.WAWebProtobufsCompanionReg_pb2 import DeviceProps
from neonize.proto.waE2E import WAWebProtobufsE2E_pb2 as e2e
from neonize.utils.enum import (
    BlocklistAction,
    ChatPresence,
    ChatPresenceMedia,
    ClientName,
    MediaType,
    ParticipantChange,
    Presence,
    ReceiptType,
)

__all__ = [
    "EMPTY_JID",
    "JID",
    "BlocklistAction",
    "ClientName",
    "DeviceProps",
    "GetProfilePictureParams",
    "MediaType",
    "MessageKey",
    "NewAClient",
    "ParticipantChange",
    "Presence",
    "ProxySettings",
    "ReceiptType",
    "chat_presence",
    "e2e",
    "events",
    "json_format",
]

# whatsmeow's "nobody": a revoke or a read receipt with this sender means "me" / "not a group".
EMPTY_JID = JID(User="", Server="", Device=0, RawAgent=0, Integrator=0, IsEmpty=True)


def chat_presence(state: str) -> tuple[Any, Any]:
    """composing / recording / paused → whatsmeow's (ChatPresence, ChatPresenceMedia)."""
    if state == "paused":
        return ChatPresence.CHAT_PRESENCE_PAUSED, ChatPresenceMedia.CHAT_PRESENCE_MEDIA_TEXT
    media = (
        ChatPresenceMedia.CHAT_PRESENCE_MEDIA_AUDIO
        if state == "recording"
        else ChatPresenceMedia.CHAT_PRESENCE_MEDIA_TEXT
    )
    return ChatPresence.CHAT_PRESENCE_COMPOSING, media
