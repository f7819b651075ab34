"""The one send path: channel → store → `send.message`.

Both HTTP dialects, the chatbots and Chatwoot send through here, so every message that leaves is
stored and seen by every sink the same way. A channel only builds and sends; it neither stores nor
emits what it sent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from evolution_py.channels.base import Channel
from evolution_py.channels.capabilities import Record
from evolution_py.core.registry import InstanceRegistry
from evolution_py.dto.message import SendMedia, SendText, UploadedFile

SendAction = Callable[[Channel], Awaitable[Record]]


class MessagingService:
    def __init__(self, registry: InstanceRegistry) -> None:
        self._registry = registry

    async def send(self, instance_name: str, action: SendAction) -> Record:
        """Run one send operation on the named instance's channel, then store and emit what it sent."""
        runtime = self._registry.require(instance_name)
        record = await action(runtime.channel)
        await runtime.record_sent(record)
        return record

    async def send_text(self, instance_name: str, req: SendText) -> Record:
        return await self.send(instance_name, lambda channel: channel.messaging.send_text(req))

    async def send_media(self, instance_name: str, req: SendMedia, file: UploadedFile | None = None) -> Record:
        return await self.send(instance_name, lambda channel: channel.media.send_media(req, file))
