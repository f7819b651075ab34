"""neonize's `JID` message ↔ `user@server` text. Channel-neutral number → JID rules are in
`channels/jid.py`; these are the neonize-specific halves."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from evolution_py.channels.jid import create_jid
from evolution_py.channels.whatsapp_web.session import neonize

if TYPE_CHECKING:
    from neonize.proto.Neonize_pb2 import JID


def to_jid(value: str) -> JID:
    """`5511...@s.whatsapp.net` / a bare number / `...@g.us` → neonize's JID. Every field is set:
    the Go side dereferences all of them and would crash on a missing one."""
    jid = create_jid(value) if "@" not in value else value
    user, _, server = jid.partition("@")
    device = 0
    if ":" in user:
        user, _, raw_device = user.partition(":")
        device = int(raw_device) if raw_device.isdigit() else 0
    return neonize().JID(
        User=user, Server=server or "s.whatsapp.net", Device=device, RawAgent=0, Integrator=0, IsEmpty=False
    )


def group_jid(value: str) -> JID:
    return to_jid(value if value.endswith("@g.us") else f"{value}@g.us")


def jid_str(jid: Any) -> str:
    """A neonize `JID` → `user@server` without the device part (Baileys' `jidNormalizedUser`);
    "" for the empty JID whatsmeow uses for "unknown"."""
    if jid is None or not getattr(jid, "Server", ""):
        return ""
    return f"{jid.User}@{jid.Server}" if jid.User else str(jid.Server)


def jid_or_none(jid: Any) -> str | None:
    """`jid_str`, with None for "unknown" (upstream's JSON shows null there)."""
    return jid_str(jid) or None
