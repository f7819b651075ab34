"""Names: Baileys' auth-state keys against whatsmeow's Signal addresses.

libsignal-node's ProtocolAddress prints `user.device`, go.mau.fi/libsignal's prints `user:device`;
both add `_<domain>` to the user for LID (`_1`) and hosted accounts, so only the separator differs.
Baileys' multi-file store also rewrites `:` to `-` and `/` to `__` in file names (`fixFileName`);
names coming from a database keep the originals. Both are accepted.
"""

from __future__ import annotations

import base64


def signal_address(baileys_address: str) -> str:
    """`5511999.0` / `123_1.3` → `5511999:0` / `123_1:3` (the device is after the last dot)."""
    user, sep, device = baileys_address.rpartition(".")
    if not sep or not user or not device.isdigit():
        raise ValueError(f"not a Signal address: {baileys_address!r}")
    return f"{user}:{int(device)}"


def sender_key_parts(name: str) -> tuple[str, str]:
    """`<group>::<user>::<device>` (or `--` from a file name) → (group JID, whatsmeow sender address)."""
    for sep in ("::", "--"):
        parts = name.rsplit(sep, 2)
        if len(parts) == 3 and parts[2].isdigit() and parts[0] and parts[1]:
            return parts[0], f"{parts[1]}:{int(parts[2])}"
    raise ValueError(f"not a sender key name: {name!r}")


def app_state_key_id(name: str) -> bytes:
    """Baileys names an app-state sync key by the base64 of its id (file names write `/` as `__`)."""
    return base64.b64decode(name.replace("__", "/"))


def user_of(jid: str) -> str:
    """`5511999:7@s.whatsapp.net` → `5511999` (the LID map holds bare users, as whatsmeow does)."""
    return jid.split("@", 1)[0].split(":", 1)[0]
