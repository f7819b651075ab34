"""Baileys' auth state (creds + keys, as Evolution API keeps them) → the rows of whatsmeow's store."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import msgspec

from evolution_py.importing.baileys import addresses, bufferjson, whatsmeow
from evolution_py.importing.baileys.signal_records import RecordError, convert_sender_key, convert_session


class Device(msgspec.Struct):
    """One `whatsmeow_device` row (private keys only: whatsmeow derives the public halves)."""

    jid: str
    lid: str | None
    registration_id: int
    noise_key: bytes
    identity_key: bytes
    signed_pre_key: bytes
    signed_pre_key_id: int
    signed_pre_key_sig: bytes
    adv_key: bytes
    adv_details: bytes
    adv_account_sig: bytes
    adv_account_sig_key: bytes
    adv_device_sig: bytes
    platform: str
    business_name: str
    push_name: str


class PreKey(msgspec.Struct):
    key_id: int
    private: bytes
    uploaded: bool


class AppStateKey(msgspec.Struct):
    key_id: bytes
    key_data: bytes
    timestamp: int
    fingerprint: bytes


class AppStateVersion(msgspec.Struct):
    name: str
    version: int
    hash: bytes
    macs: list[tuple[bytes, bytes]]  # (index MAC, value MAC)


class Conversion(msgspec.Struct):
    """What `write_session` puts in whatsmeow's store, and what could not be converted (for the user)."""

    jid: str
    device: Device
    pre_keys: list[PreKey] = msgspec.field(default_factory=list)
    identities: dict[str, bytes] = msgspec.field(default_factory=dict)  # signal address → 32-byte key
    sessions: dict[str, bytes] = msgspec.field(default_factory=dict)  # signal address → record
    sender_keys: list[tuple[str, str, bytes]] = msgspec.field(default_factory=list)  # (group, sender, record)
    app_state_keys: list[AppStateKey] = msgspec.field(default_factory=list)
    app_state_versions: list[AppStateVersion] = msgspec.field(default_factory=list)
    lid_map: dict[str, str] = msgspec.field(default_factory=dict)  # lid user → phone number user
    skipped: list[str] = msgspec.field(default_factory=list)


class NotPaired(ValueError):
    """The creds hold no paired device: there is nothing to move, the instance needs a QR code."""


def _fixed(value: Any, what: str, size: int) -> bytes:
    raw = bufferjson.as_bytes(value, what)
    if len(raw) != size:
        raise NotPaired(f"creds.{what} is {len(raw)} bytes, expected {size}")
    return raw


def _device(creds: dict[str, Any]) -> Device:
    me, account = creds.get("me") or {}, creds.get("account") or {}
    if not me.get("id") or not account.get("details"):
        raise NotPaired("creds have no paired device (no `me`/`account`): the instance was never connected")
    signed = creds["signedPreKey"]
    return Device(
        jid=me["id"],
        lid=me.get("lid") or None,
        registration_id=int(creds["registrationId"]),
        noise_key=_fixed(creds["noiseKey"]["private"], "noiseKey.private", 32),
        identity_key=_fixed(creds["signedIdentityKey"]["private"], "signedIdentityKey.private", 32),
        signed_pre_key=_fixed(signed["keyPair"]["private"], "signedPreKey.private", 32),
        signed_pre_key_id=int(signed["keyId"]),
        signed_pre_key_sig=_fixed(signed["signature"], "signedPreKey.signature", 64),
        adv_key=bufferjson.as_bytes(creds["advSecretKey"], "advSecretKey"),
        adv_details=bufferjson.as_bytes(account["details"], "account.details"),
        adv_account_sig=_fixed(account["accountSignature"], "account.accountSignature", 64),
        adv_account_sig_key=_fixed(account["accountSignatureKey"], "account.accountSignatureKey", 32),
        adv_device_sig=_fixed(account["deviceSignature"], "account.deviceSignature", 64),
        platform=creds.get("platform") or "",
        business_name="",
        push_name=me.get("name") or "",
    )


def _fingerprint(value: dict[str, Any] | None) -> bytes:
    """AppStateSyncKeyFingerprint, marshalled as whatsmeow stores it (proto.Marshal of the message)."""
    value = value or {}
    message = whatsmeow.fingerprint_message()(deviceIndexes=[int(i) for i in value.get("deviceIndexes") or []])
    if value.get("rawId") is not None:
        message.rawID = int(value["rawId"])
    if value.get("currentIndex") is not None:
        message.currentIndex = int(value["currentIndex"])
    serialized: bytes = message.SerializeToString()
    return serialized


def _own_identity(creds: dict[str, Any], conversion: Conversion) -> None:
    """The phone's identity (Baileys' signalIdentities) under whatsmeow's own address for it: the LID, device 0."""
    lid = conversion.device.lid
    for identity in creds.get("signalIdentities") or []:
        key = bufferjson.as_bytes(identity.get("identifierKey"), "identifierKey")
        if lid and len(key) == 33 and key == b"\x05" + conversion.device.adv_account_sig_key:
            conversion.identities[f"{addresses.user_of(lid)}_1:0"] = key[1:]


def convert_baileys(files: Mapping[str, str]) -> Conversion:
    """Convert one instance's auth state. `files`: Baileys name without `.json` → its BufferJSON text.

    Raises NotPaired when the creds themselves are unusable; any other piece that fails is left out
    and described in `skipped`.
    """
    if "creds" not in files:
        raise NotPaired("no creds in the auth state")
    creds = bufferjson.loads(files["creds"])
    device = _device(creds)
    conversion = Conversion(jid=device.jid, device=device)
    _own_identity(creds, conversion)
    our_identity = bufferjson.as_bytes(creds["signedIdentityKey"]["public"], "signedIdentityKey.public")[-32:]
    uploaded_below = int(creds.get("firstUnuploadedPreKeyId") or 0)
    failed: dict[str, list[str]] = {}

    def fail(kind: str, name: str, why: object) -> None:
        failed.setdefault(kind, []).append(f"{name} ({why})")

    for name, text in sorted(files.items()):
        try:
            if name.startswith("pre-key-"):
                key_id = int(name.removeprefix("pre-key-"))
                pair = bufferjson.loads(text)
                conversion.pre_keys.append(PreKey(key_id, _fixed(pair["private"], name, 32), key_id < uploaded_below))
            elif name.startswith("session-"):
                address = addresses.signal_address(name.removeprefix("session-"))
                record, identity, dropped = convert_session(
                    bufferjson.loads(text), our_identity, device.registration_id
                )
                conversion.sessions[address] = record
                if dropped:
                    fail("old-session", name, f"{dropped} closed session(s)")
                conversion.identities.setdefault(address, identity)
            elif name.startswith("identity-key-"):
                address = addresses.signal_address(name.removeprefix("identity-key-"))
                key = bufferjson.as_bytes(bufferjson.loads(text), name)
                conversion.identities[address] = key[-32:]
            elif name.startswith("sender-key-memory-"):
                continue  # which devices got our sender key: whatsmeow re-sends it when needed
            elif name.startswith("sender-key-"):
                group, sender = addresses.sender_key_parts(name.removeprefix("sender-key-"))
                inner = bufferjson.as_bytes(bufferjson.loads(text), name)
                conversion.sender_keys.append((group, sender, convert_sender_key(bufferjson.loads(inner))))
            elif name.startswith("app-state-sync-key-"):
                data = bufferjson.loads(text)
                conversion.app_state_keys.append(
                    AppStateKey(
                        key_id=addresses.app_state_key_id(name.removeprefix("app-state-sync-key-")),
                        key_data=bufferjson.as_bytes(data["keyData"], "keyData"),
                        timestamp=int(data.get("timestamp") or 0),
                        fingerprint=_fingerprint(data.get("fingerprint")),
                    )
                )
            elif name.startswith("app-state-sync-version-"):
                data = bufferjson.loads(text)
                macs = [
                    (bufferjson.as_bytes(index, "index MAC"), bufferjson.as_bytes(value["valueMac"], "value MAC"))
                    for index, value in (data.get("indexValueMap") or {}).items()
                ]
                hash_ = bufferjson.as_bytes(data["hash"], "hash")
                if len(hash_) != 128:
                    raise RecordError("the LT hash is not 128 bytes")
                conversion.app_state_versions.append(
                    AppStateVersion(name.removeprefix("app-state-sync-version-"), int(data["version"]), hash_, macs)
                )
            elif name.startswith("lid-mapping-") and not name.endswith("_reverse"):
                lid = json.loads(text)
                if isinstance(lid, str) and lid:
                    conversion.lid_map[addresses.user_of(lid)] = addresses.user_of(name.removeprefix("lid-mapping-"))
        except (RecordError, NotPaired, KeyError, TypeError, ValueError) as error:
            fail(_kind(name), name, error)
    if device.lid:
        conversion.lid_map.setdefault(addresses.user_of(device.lid), addresses.user_of(device.jid))
    conversion.skipped = _explain(failed)
    return conversion


_KINDS = (
    ("session-", "session"),
    ("sender-key-", "sender"),
    ("pre-key-", "pre-key"),
    ("identity-key-", "identity"),
    ("app-state-", "app-state"),
    ("lid-mapping-", "lid"),
)


def _kind(name: str) -> str:
    return next((kind for prefix, kind in _KINDS if name.startswith(prefix)), "other")


_CONSEQUENCE = {
    "session": "those contacts' next message to this number costs one retry receipt (WhatsApp resends it "
    "after a new session); our next message to them starts a new session",
    "sender": "those group senders' next group message costs one retry receipt before it can be read",
    "pre-key": "the phone's server may still hand these out; a contact starting a session with one gets a "
    "retry receipt and a fresh bundle",
    "identity": "whatsmeow learns these contacts' identity again on their next message",
    "app-state": "the chat list settings (archive, pin, mute, labels) resync in full from the phone",
    "lid": "whatsmeow learns these LID/phone pairs again from the server",
    "old-session": "a message the contact sent on an old, already replaced session and that is still in flight "
    "costs one retry receipt; the current session is converted",
}


def _explain(failed: dict[str, list[str]]) -> list[str]:
    lines = []
    for kind, names in sorted(failed.items()):
        label = {
            "session": "Signal sessions",
            "sender": "group sender keys",
            "pre-key": "pre-keys",
            "old-session": "contacts' closed Signal sessions",
        }.get(kind, kind + " records")
        lines.append(
            f"{len(names)} {label} not converted: {_CONSEQUENCE.get(kind, 'they are rebuilt when needed')}. "
            f"Left out: {', '.join(names[:10])}{' …' if len(names) > 10 else ''}"
        )
    return lines
