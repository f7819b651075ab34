"""QR codes and the pairing code of one WhatsApp Web channel while it links a device.

whatsmeow hands out a new QR code every ~20 s; each one is rendered (upstream's `base64` PNG),
kept as the answer of `/instance/connect` and emitted as `qrcode.updated`. With a number, the
first QR also asks WhatsApp for a pairing code. Two things end a QR session, and the channel
decides what follows through its callbacks:
- `on_limit`: more than QRCODE_LIMIT codes (upstream then refuses the connection);
- `on_expired`: no new code for `qr_timeout` seconds while still connecting (whatsmeow stopped
  offering codes and says so only on stdout), so a fresh QR session is needed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from evolution_py.channels.base import InstanceContext, QrCode
from evolution_py.channels.whatsapp_web.session import Session, neonize
from evolution_py.config import Settings
from evolution_py.events import names

log = logging.getLogger(__name__)


class Pairing:
    def __init__(
        self,
        session: Session,
        ctx: InstanceContext,
        settings: Settings,
        *,
        qr_timeout: float,
        on_limit: Callable[[], Awaitable[None]],
        on_expired: Callable[[], Awaitable[None]],
    ) -> None:
        self.session = session
        self.ctx = ctx
        self.qr_timeout = qr_timeout
        self._limit = settings.qrcode_limit
        self._color = settings.qrcode_color
        self._on_limit = on_limit
        self._on_expired = on_expired
        self.qrcode = QrCode()  # what `/instance/connect` answers while connecting
        self._count = 0
        self._number: str | None = None
        self._code: str | None = None
        self._timer: asyncio.Task[None] | None = None

    def begin(self, number: str | None) -> None:
        """A new connect: codes counted from zero; a pairing code for `number` (digits only) if given."""
        self._count = 0
        self._code = None
        self._number = "".join(ch for ch in number if ch.isdigit()) if number else None
        self.qrcode = QrCode()

    def clear(self) -> None:
        """No QR code to show (closed, refused)."""
        self.qrcode = QrCode()

    def linked(self) -> None:
        """The device is connected: no more codes, and the next QR session counts from zero."""
        self.stop_timer()
        self._count = 0
        self.qrcode = QrCode()

    def stop_timer(self) -> None:
        timer, self._timer = self._timer, None
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()

    async def on_qr(self, data: bytes) -> None:
        """whatsmeow's QR event (inside the channel's guarded, ordered handler)."""
        code = data.decode() if isinstance(data, bytes | bytearray) else str(data)
        self._count += 1
        if self._count > self._limit:
            await self._on_limit()
            return
        if self._number and self._code is None:
            self._code = await self._request_pairing_code(self._number)
        from evolution_py.channels.whatsapp_web.qr import qr_data_url  # noqa: PLC0415 - qrcode + Pillow: on first QR

        generation = self.session.generation
        picture = await asyncio.to_thread(qr_data_url, code, self._color)
        if generation != self.session.generation:
            return  # the client was replaced while the picture was drawn
        self.qrcode = QrCode(pairingCode=self._code, code=code, base64=picture, count=self._count)
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self.session.spawn(self._expire(self.session.generation))
        await self.ctx.emit(
            names.QRCODE_UPDATED,
            {"qrcode": {"instance": self.ctx.name, "pairingCode": self._code, "code": code, "base64": picture}},
        )

    async def _expire(self, generation: int) -> None:
        await asyncio.sleep(self.qr_timeout)
        if generation != self.session.generation or self.session.state != "connecting":
            return
        self._timer = None
        await self._on_expired()

    async def _request_pairing_code(self, number: str) -> str | None:
        linux = neonize().ClientName.LINUX
        try:
            code = await self.session.call(lambda client: client.PairPhone(number, True, linux))
            return str(code)
        except Exception as exc:  # noqa: BLE001 - logged; no pairing code then
            log.warning("instance %s: pairing code request failed: %s", self.ctx.name, exc)
            return None
