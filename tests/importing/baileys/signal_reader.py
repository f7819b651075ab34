"""An independent reader of go.mau.fi/libsignal's session and sender-key records, for the tests.

It decrypts a contact's message the way libsignal does on the receiving side (WhisperMessage:
receiver chain by ratchet key, stored message key or chain derivation, truncated HMAC over both
identities, AES-256-CBC; SenderKeyMessage: state by key id, chain derivation, AES-256-CBC) reading
ONLY the converted record, including the receiving DH ratchet step (a new chain from the record's
root key and our ratchet private key). It does not check a sender key message's XEdDSA signature.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def _hkdf(ikm: bytes, info: bytes, length: int, salt: bytes = b"\0" * 32) -> bytes:
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    out, block, i = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([i]), hashlib.sha256).digest()
        out, i = out + block, i + 1
    return out[:length]


def _fields(data: bytes) -> dict[int, Any]:
    """The scalar and bytes fields of a protobuf message (the last value of each field number)."""
    out: dict[int, Any] = {}
    pos = 0

    def varint() -> int:
        nonlocal pos
        shift = value = 0
        while True:
            byte = data[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return value

    while pos < len(data):
        key = varint()
        number, wire = key >> 3, key & 7
        if wire == 0:
            out[number] = varint()
        elif wire == 2:
            size = varint()
            out[number] = data[pos : pos + size]
            pos += size
        else:
            raise ValueError(f"unexpected wire type {wire}")
    return out


def _aes_cbc(key: bytes, iv: bytes, ciphertext: bytes) -> bytes:
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return unpadder.update(padded) + unpadder.finalize()


def _b(value: str | None) -> bytes:
    return base64.b64decode(value) if value else b""


def decrypt_whisper(record: bytes, message: bytes) -> bytes:
    state = json.loads(record)["SessionState"]
    body, mac = message[1:-8], message[-8:]
    fields = _fields(body)
    ratchet_key, counter, ciphertext = fields[1], fields.get(2, 0), fields[4]
    chain = next((c for c in state["ReceiverChains"] if _b(c["SenderRatchetKeyPublic"]) == ratchet_key), None)
    if chain is None:
        chain = _ratchet_step(state, ratchet_key)
    stored = next((k for k in chain["MessageKeys"] if k["Index"] == counter), None)
    if stored is not None:
        cipher_key, mac_key, iv = _b(stored["CipherKey"]), _b(stored["MacKey"]), _b(stored["IV"])
    else:
        index, key = chain["ChainKey"]["Index"], _b(chain["ChainKey"]["Key"])
        if counter < index or not key:
            raise LookupError("message key already used or chain closed")
        while index < counter:
            key, index = hmac.new(key, b"\x02", hashlib.sha256).digest(), index + 1
        derived = _hkdf(hmac.new(key, b"\x01", hashlib.sha256).digest(), b"WhisperMessageKeys", 80)
        cipher_key, mac_key, iv = derived[:32], derived[32:64], derived[64:80]
    mac_input = _b(state["RemoteIdentityPublic"]) + _b(state["LocalIdentityPublic"]) + message[:1] + body
    if not hmac.compare_digest(hmac.new(mac_key, mac_input, hashlib.sha256).digest()[:8], mac):
        raise ValueError("MAC mismatch: the converted session does not match the sender's")
    return _aes_cbc(cipher_key, iv, ciphertext)


def _ratchet_step(state: dict[str, Any], their_ratchet_key: bytes) -> dict[str, Any]:
    """A new receiving chain: DH(our sender ratchet private key, their new ratchet key), HKDF keyed
    by the root key ("WhisperRatchet"): 32 bytes of new root key, 32 of chain key at index 0."""
    ours = X25519PrivateKey.from_private_bytes(_b(state["SenderChain"]["SenderRatchetKeyPrivate"]))
    shared = ours.exchange(X25519PublicKey.from_public_bytes(their_ratchet_key[1:]))
    derived = _hkdf(shared, b"WhisperRatchet", 64, salt=_b(state["RootKey"]))
    key = base64.b64encode(derived[32:]).decode()
    return {"ChainKey": {"Index": 0, "Key": key}, "MessageKeys": []}


def decrypt_prekey_whisper(record: bytes, message: bytes) -> bytes:
    """A PreKeyWhisperMessage to a session that already exists (the sender has not had our reply yet)."""
    fields = _fields(message[1:])
    state = json.loads(record)["SessionState"]
    if fields[2] != _b(state["SenderBaseKey"]):
        raise LookupError("the pre-key message's base key is not the session's")
    return decrypt_whisper(record, fields[4])


def decrypt_sender_key(record: bytes, message: bytes) -> bytes:
    body = message[1:-64]
    fields = _fields(body)
    key_id, iteration, ciphertext = fields[1], fields[2], fields[3]
    state = next(s for s in json.loads(record)["SenderKeyStates"] if s["KeyID"] == key_id)
    stored = next((k for k in state["Keys"] if k["Iteration"] == iteration), None)
    if stored is not None:
        return _aes_cbc(_b(stored["CipherKey"]), _b(stored["IV"]), ciphertext)
    chain_iteration, chain_key = state["SenderChainKey"]["Iteration"], _b(state["SenderChainKey"]["ChainKey"])
    if iteration < chain_iteration:
        raise LookupError("sender message key already used")
    while chain_iteration < iteration:
        chain_key, chain_iteration = hmac.new(chain_key, b"\x02", hashlib.sha256).digest(), chain_iteration + 1
    derived = _hkdf(hmac.new(chain_key, b"\x01", hashlib.sha256).digest(), b"WhisperGroup", 48)
    return _aes_cbc(derived[16:48], derived[:16], ciphertext)
