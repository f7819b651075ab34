"""`Chats` on the Cloud API: read receipts (`/chat/markMessageAsRead`). Meta has no archive, unread
mark, delete for everyone, edit, presence or block: those answer "not available"."""

from __future__ import annotations

from evolution_py.channels.capabilities import ChannelError, Chats, Record
from evolution_py.channels.cloud_api.sender import Sender
from evolution_py.dto.chat import ReadMessages


class ChatsFeature(Chats):
    def __init__(self, sender: Sender, label: str) -> None:
        self.sender = sender
        self.label = label

    async def mark_message_as_read(self, req: ReadMessages) -> Record:
        ids = [key.id for key in req.readMessages if not key.fromMe and key.id]
        if not req.readMessages:
            raise ChannelError("readMessages is required")
        for message_id in ids:
            await self.sender.mark_read(message_id)
        return {"message": "Read messages", "read": "success"}
