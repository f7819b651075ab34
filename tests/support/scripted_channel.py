"""A WhatsApp-Web-like channel for tests, driven by the test instead of by WhatsApp.

It implements the Channel protocol the way the real WhatsApp Web channel behaves as seen from the
instance service: `connect` starts a QR flow (or a pairing-code flow for a number) and reports
`connecting`; the test then plays the phone with `scan()` (pairing done: `open`), `drop()` (network
lost, session kept) or `reject_resume()` (the stored session no longer works). Every state change
goes through `InstanceContext.update_connection` and `emit`, exactly as a real channel must.
"""

from __future__ import annotations

import secrets
import string
from typing import Any

import segno

from evolution_py.channels.base import BaseChannel, ConnectionState, QrCode
from evolution_py.config import Settings
from evolution_py.events import names

# WhatsApp's pairing-code alphabet: 1-9 and A-Z without I, O, U.
_PAIR_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTVWXYZ"


def _raw_qr() -> str:
    def b64(n: int) -> str:
        return "".join(secrets.choice(string.ascii_letters + string.digits + "+/") for _ in range(n)) + "="

    return f"2@{b64(60)},{b64(43)},{b64(43)},{b64(43)}"


class ScriptedChannel(BaseChannel):
    integration = "WHATSAPP-BAILEYS"
    label = "WhatsApp Web (scripted test channel)"

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self._state: ConnectionState = "close"
        self._owner_jid: str | None = None
        self.session_valid = False
        self.resume_works = True
        self.lifecycle_calls: list[tuple[str, Any]] = []
        self.fail_connect: Exception | None = None  # raised by the next connect (then cleared)

    # --- Channel protocol ---------------------------------------------------------------------

    @property
    def state(self) -> ConnectionState:
        return self._state

    @property
    def owner_jid(self) -> str | None:
        return self._owner_jid

    async def start(self) -> None:
        self.lifecycle_calls.append(("start", None))

    async def connect(self, number: str | None = None) -> QrCode | None:
        self.lifecycle_calls.append(("connect", number))
        if self.fail_connect is not None:
            exc, self.fail_connect = self.fail_connect, None
            raise exc
        if self._state == "open":
            return None
        if self.session_valid and self.resume_works:
            await self._set_state("open")
            return None
        if self._state == "close":
            self._qrcode = QrCode()
            await self._set_state("connecting")
        if number:
            self._qrcode.pairingCode = "".join(secrets.choice(_PAIR_ALPHABET) for _ in range(8))
        if not number or self._qrcode.count == 0:
            self._new_qr()
        await self.ctx.emit(
            names.QRCODE_UPDATED, {"qrcode": {"instance": self.ctx.name, **msgspec_builtins(self._qrcode)}}
        )
        return self._qrcode

    async def logout(self) -> None:
        self.lifecycle_calls.append(("logout", None))
        self.session_valid = False
        self._owner_jid = None
        self._qrcode = QrCode()
        await self._set_state("close", reason_code=401)
        await self.ctx.emit(names.LOGOUT_INSTANCE, None)

    async def close(self) -> None:
        self.lifecycle_calls.append(("close", None))
        if self._state != "close":
            self._qrcode = QrCode()
            await self._set_state("close", reason_code=428)

    async def restart(self) -> None:
        self.lifecycle_calls.append(("restart", None))
        await self.close()
        await self.connect(None)

    async def delete_session(self) -> None:
        self.lifecycle_calls.append(("delete_session", None))
        self.session_valid = False

    # --- the test plays WhatsApp ----------------------------------------------------------------

    async def scan(self, jid: str = "5511999999999@s.whatsapp.net", push_name: str = "Minha Empresa") -> None:
        """The phone scanned the QR (or typed the pairing code): the session is open."""
        self.session_valid = True
        self._owner_jid = jid
        self._qrcode = QrCode()
        await self._set_state("open", owner_jid=jid, profile_name=push_name)

    async def drop(self) -> None:
        """The network went away; the session stays valid."""
        await self._set_state("close", reason_code=408)

    # --- helpers --------------------------------------------------------------------------------

    def _new_qr(self) -> None:
        raw = _raw_qr()
        png = segno.make_qr(raw, error="l").png_data_uri(scale=2, border=2)
        self._qrcode = QrCode(pairingCode=self._qrcode.pairingCode, code=raw, base64=png, count=self._qrcode.count + 1)

    async def _set_state(self, state: ConnectionState, **fields: Any) -> None:
        self._state = state
        await self.ctx.update_connection(state, **fields)
        data: dict[str, Any] = {
            "instance": self.ctx.name,
            "state": state,
            "statusReason": fields.get("reason_code", 200),
        }
        if fields.get("owner_jid"):
            data["wuid"] = fields["owner_jid"]
            data["profileName"] = fields.get("profile_name")
        await self.ctx.emit(names.CONNECTION_UPDATE, data)


def msgspec_builtins(qr: QrCode) -> dict[str, Any]:
    import msgspec

    return msgspec.to_builtins(qr)  # type: ignore[no-any-return]


def scripted_factories() -> dict[str, Any]:
    def factory(ctx: Any, _settings: Settings) -> ScriptedChannel:
        return ScriptedChannel(ctx)

    return {"WHATSAPP-BAILEYS": factory}
