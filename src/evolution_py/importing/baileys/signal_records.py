"""libsignal-node's JSON records → go.mau.fi/libsignal's records as whatsmeow stores them.

whatsmeow keeps `whatsmeow_sessions.session` and `whatsmeow_sender_keys.sender_key` as the bytes
of `serialize.NewProtoBufSerializer()`, whose Session and SenderKeyRecord serializers are in fact
Go's `encoding/json` of `record.SessionStructure` / `groupRecord.SenderKeyStructure` (exported Go
field names, []byte as base64). So the output here is that JSON.

The differences that matter:
- libsignal-node's chain counter is the index of the last derived message key (-1 when none);
  Go's ChainKey.Index is the index of the next key: Go index = node counter + 1.
- node keeps skipped message keys as the 32-byte seed; Go keeps the expanded HKDF
  ("WhisperMessageKeys": cipher key 32, MAC key 32, IV 16).
- node keeps every session of a contact in one map with `closed` times; Go keeps the open one
  as SessionState and the others, most recently closed first, as PreviousStates (at most 40).
- node closes an old receiving chain by dropping its key; Go has no such state, so the chain is
  written with a null key: its stored message keys still decrypt, a later index fails (as in node).
- Baileys' sender-key states are oldest first, Go's newest first.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from evolution_py.importing.baileys.bufferjson import as_bytes, b64

SESSION_VERSION = 3
MAX_RECEIVER_CHAINS = 5  # go.mau.fi/libsignal state/record maxReceiverChains
MAX_PREVIOUS_STATES = 40  # archivedStatesMaxLength
SENDING, RECEIVING = 1, 2  # libsignal-node ChainType


class RecordError(ValueError):
    """A record that cannot be converted; the message says why, for the import's summary."""


def hkdf(ikm: bytes, info: bytes, length: int, salt: bytes = b"\0" * 32) -> bytes:
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def _key(value: Any, what: str, size: int) -> bytes:
    raw = base64.b64decode(value) if isinstance(value, str) else value
    if not isinstance(raw, bytes) or len(raw) != size:
        raise RecordError(f"{what} is missing or not {size} bytes")
    return raw


def _public(value: Any, what: str) -> bytes:
    """A Curve25519 public key in Signal's serialized form (0x05 + 32 bytes), as Go's DecodePoint wants."""
    raw = base64.b64decode(value) if isinstance(value, str) else value
    if isinstance(raw, bytes) and len(raw) == 32:
        raw = b"\x05" + raw
    if not isinstance(raw, bytes) or len(raw) != 33 or raw[0] != 5:
        raise RecordError(f"{what} is not a Curve25519 public key")
    return raw


def _message_keys(seeds: dict[str, str]) -> list[dict[str, Any]]:
    keys = []
    for counter, seed in sorted(seeds.items(), key=lambda item: int(item[0])):
        derived = hkdf(_key(seed, "a message key", 32), b"WhisperMessageKeys", 80)
        keys.append(
            {
                "CipherKey": b64(derived[:32]),
                "MacKey": b64(derived[32:64]),
                "IV": b64(derived[64:80]),
                "Index": int(counter),
            }
        )
    return keys


def _chain_key(chain: dict[str, Any]) -> dict[str, Any]:
    key = chain["chainKey"].get("key")
    return {"Key": b64(_key(key, "a chain key", 32)) if key else None, "Index": int(chain["chainKey"]["counter"]) + 1}


def _state(entry: dict[str, Any], our_identity: bytes, our_registration_id: int) -> dict[str, Any]:
    ratchet, info, chains = entry["currentRatchet"], entry["indexInfo"], entry["_chains"]
    our_ratchet_public = _public(ratchet["ephemeralKeyPair"]["pubKey"], "the ratchet key")
    sender_chain: dict[str, Any] | None = None
    receiver_chains = []
    for chain_id, chain in chains.items():
        if chain["chainType"] == SENDING and _public(chain_id, "a chain id") == our_ratchet_public:
            sender_chain = {
                "SenderRatchetKeyPublic": b64(our_ratchet_public),
                "SenderRatchetKeyPrivate": b64(
                    _key(ratchet["ephemeralKeyPair"]["privKey"], "the ratchet private key", 32)
                ),
                "ChainKey": _chain_key(chain),
                "MessageKeys": [],
            }
        elif chain["chainType"] == RECEIVING:
            receiver_chains.append(
                {
                    "SenderRatchetKeyPublic": b64(_public(chain_id, "a chain id")),
                    "SenderRatchetKeyPrivate": None,
                    "ChainKey": _chain_key(chain),
                    "MessageKeys": _message_keys(chain.get("messageKeys") or {}),
                }
            )
    if sender_chain is None:
        # only a responder that never decrypted the first message is in this state (Go's would hold
        # a sending chain derived from the first root key, which libsignal-node does not keep)
        raise RecordError("the session has no sending chain")
    pending = entry.get("pendingPreKey")
    pending_pre_key = None
    if pending:
        pre_key_id = pending.get("preKeyId")
        pending_pre_key = {
            "PreKeyID": {"Value": int(pre_key_id), "IsEmpty": False} if pre_key_id else {"Value": 0, "IsEmpty": True},
            "SignedPreKeyID": int(pending["signedKeyId"]),
            "BaseKey": b64(_public(pending["baseKey"], "the pending pre-key base key")),
        }
    return {
        "LocalIdentityPublic": b64(b"\x05" + our_identity),
        "LocalRegistrationID": our_registration_id,
        "NeedsRefresh": False,
        "PendingKeyExchange": None,
        "PendingPreKey": pending_pre_key,
        "PreviousCounter": max(int(ratchet.get("previousCounter") or 0), 0),
        "ReceiverChains": receiver_chains[-MAX_RECEIVER_CHAINS:],
        "RemoteIdentityPublic": b64(_public(info["remoteIdentityKey"], "the contact's identity key")),
        "RemoteRegistrationID": int(entry.get("registrationId") or 0),
        "RootKey": b64(_key(ratchet["rootKey"], "the root key", 32)),
        "SenderBaseKey": b64(_public(info["baseKey"], "the base key")),
        "SenderChain": sender_chain,
        "SessionVersion": SESSION_VERSION,
    }


def convert_session(record: dict[str, Any], our_identity: bytes, our_registration_id: int) -> tuple[bytes, bytes, int]:
    """A libsignal-node SessionRecord → (whatsmeow session bytes, the contact's 32-byte identity key,
    how many closed sessions could not be kept as previous states)."""
    sessions = list((record.get("_sessions") or {}).values())
    open_ = [s for s in sessions if s["indexInfo"].get("closed") == -1]
    if not open_:
        raise RecordError("no open session (only closed ones)")
    current = max(open_, key=lambda s: s["indexInfo"].get("used") or 0)
    closed = sorted((s for s in sessions if s is not current), key=lambda s: -(s["indexInfo"].get("closed") or 0))
    previous = []
    dropped = max(len(closed) - MAX_PREVIOUS_STATES, 0)
    for entry in closed[:MAX_PREVIOUS_STATES]:
        try:
            previous.append(_state(entry, our_identity, our_registration_id))
        except (RecordError, KeyError, TypeError, ValueError):
            dropped += 1  # an old session that cannot convert only loses its late messages
    try:
        state = _state(current, our_identity, our_registration_id)
    except KeyError as missing:
        raise RecordError(f"the session lacks {missing}") from None
    structure = {"SessionState": state, "PreviousStates": previous}
    identity = base64.b64decode(state["RemoteIdentityPublic"])[1:]
    return json.dumps(structure, separators=(",", ":")).encode(), identity, dropped


def convert_sender_key(states: list[dict[str, Any]]) -> bytes:
    """Baileys' SenderKeyRecord (list of states, oldest first) → Go's SenderKeyStructure JSON."""
    if not states:
        raise RecordError("the sender key record is empty")
    out = []
    for state in reversed(states):
        chain = state["senderChainKey"]
        signing = state["senderSigningKey"]
        keys = []
        for message_key in state.get("senderMessageKeys") or []:
            seed = as_bytes(message_key["seed"], "a sender message key")
            derived = hkdf(seed, b"WhisperGroup", 48)
            keys.append(
                {
                    "Iteration": int(message_key["iteration"]),
                    "IV": b64(derived[:16]),
                    "CipherKey": b64(derived[16:48]),
                    "Seed": b64(seed),
                }
            )
        private = as_bytes(signing.get("private") or b"", "the signing private key")
        out.append(
            {
                "Keys": keys,
                "KeyID": int(state["senderKeyId"]),
                "SenderChainKey": {
                    "Iteration": int(chain["iteration"]),
                    "ChainKey": b64(_key(as_bytes(chain["seed"], "the chain seed"), "the sender chain key", 32)),
                },
                "SigningKeyPrivate": b64(private) if len(private) == 32 else None,
                "SigningKeyPublic": b64(_public(as_bytes(signing["public"], "the signing key"), "the signing key")),
            }
        )
    return json.dumps({"SenderKeyStates": out}, separators=(",", ":")).encode()
