"""Issue 19: a Baileys 7 auth state (made by the real Baileys and libsignal-node, see fixture_maker/)
becomes a whatsmeow store that whatsmeow itself loads as the same device, and whose converted Signal
records decrypt what the contacts sent after the snapshot."""

from __future__ import annotations

import base64
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from evolution_py.importing.baileys import NotPaired, convert_baileys, write_session
from evolution_py.importing.baileys.bufferjson import as_bytes, loads
from tests.importing.baileys import signal_reader

FIXTURES = Path(__file__).parent / "fixtures"


def auth_state() -> dict[str, str]:
    return {p.stem: p.read_text() for p in FIXTURES.glob("*.json") if p.name != "messages.json"}


def public_of(private: bytes) -> bytes:
    return X25519PrivateKey.from_private_bytes(private).public_key().public_bytes_raw()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("session") / "instance.db"
    conversion = convert_baileys(auth_state())
    assert conversion.skipped == []
    write_session(conversion, path)
    return path


def rows(path: Path, query: str, *args: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(query, args).fetchall()


def test_whatsmeow_loads_the_device_with_the_same_jid(store: Path) -> None:
    from neonize.client import ClientFactory

    creds = loads((FIXTURES / "creds.json").read_text())
    # whatsmeow's own Container.GetAllDevices → scanDevice: parses the JID, checks every key length
    devices = ClientFactory.get_all_devices_from_db(str(store))
    assert len(devices) == 1
    loaded = devices[0]
    # neonize's Python side splits only on "@", so the device stays in User ("5511900000001:7")
    assert f"{loaded.JID.User}@{loaded.JID.Server}" == creds["me"]["id"]
    assert loaded.PushName == creds["me"]["name"] and loaded.Initialized
    # whatsmeow's schema version: its upgrades are not run again on this file
    assert rows(store, "SELECT version, compat FROM whatsmeow_version") == [(15, 8)]


def test_identity_noise_and_signed_pre_keys_are_the_same_key_pairs(store: Path) -> None:
    creds = loads((FIXTURES / "creds.json").read_text())
    ((jid, lid, reg, noise, identity, spk, spk_id, spk_sig, adv, details, acc_sig, acc_key, dev_sig, platform),) = rows(
        store,
        "SELECT jid, lid, registration_id, noise_key, identity_key, signed_pre_key, signed_pre_key_id,"
        " signed_pre_key_sig, adv_key, adv_details, adv_account_sig, adv_account_sig_key, adv_device_sig, platform"
        " FROM whatsmeow_device",
    )
    assert (jid, lid, reg, platform) == (creds["me"]["id"], creds["me"]["lid"], creds["registrationId"], "smba")
    # whatsmeow keeps the private halves and derives the public ones: they must be Baileys' public keys
    assert public_of(noise) == creds["noiseKey"]["public"]
    assert public_of(identity) == creds["signedIdentityKey"]["public"]
    assert public_of(spk) == creds["signedPreKey"]["keyPair"]["public"]
    assert (spk_id, spk_sig) == (creds["signedPreKey"]["keyId"], creds["signedPreKey"]["signature"])
    assert adv == base64.b64decode(creds["advSecretKey"])
    account = creds["account"]
    assert (details, acc_sig, acc_key, dev_sig) == (
        *(as_bytes(account[k], k) for k in ("details", "accountSignature", "accountSignatureKey", "deviceSignature")),
    )


def test_pre_keys_identities_app_state_and_lid_map(store: Path) -> None:
    state = auth_state()
    pre_keys = rows(store, "SELECT key_id, key, uploaded FROM whatsmeow_pre_keys ORDER BY key_id")
    expected = sorted(int(name.removeprefix("pre-key-")) for name in state if name.startswith("pre-key-"))
    assert [row[0] for row in pre_keys] == expected and all(row[2] for row in pre_keys)  # all were uploaded
    assert pre_keys[0][1] == loads(state[f"pre-key-{expected[0]}"])["private"]
    identities = dict(rows(store, "SELECT their_id, identity FROM whatsmeow_identity_keys"))
    assert identities["5511988887777:0"] == loads(state["identity-key-5511988887777.0"])[1:]
    assert identities["987654321098765_1:0"] == loads(state["identity-key-987654321098765_1.0"])[1:]
    phone_identity = as_bytes(loads(state["creds"])["account"]["accountSignatureKey"], "key")
    assert identities["123456789012345_1:0"] == phone_identity
    ((key_id, key_data, stamp, fingerprint),) = rows(
        store, "SELECT key_id, key_data, timestamp, fingerprint FROM whatsmeow_app_state_sync_keys"
    )
    from neonize.proto.waE2E.WAWebProtobufsE2E_pb2 import AppStateSyncKeyFingerprint

    parsed = AppStateSyncKeyFingerprint.FromString(fingerprint)
    assert (key_id, stamp, parsed.rawID, parsed.currentIndex, list(parsed.deviceIndexes)) == (
        base64.b64decode("AAAAABsv"),
        1764806400123,
        77,
        2,
        [0, 7],
    )
    assert key_data == base64.b64decode(loads(state["app-state-sync-key-AAAAABsv"])["keyData"])
    version = loads(state["app-state-sync-version-regular_high"])
    assert rows(store, "SELECT name, version, hash FROM whatsmeow_app_state_version") == [
        ("regular_high", 12, version["hash"])
    ]
    ((index_mac, value_mac),) = version["indexValueMap"].items()
    assert rows(store, "SELECT index_mac, value_mac FROM whatsmeow_app_state_mutation_macs") == [
        (base64.b64decode(index_mac), value_mac["valueMac"])
    ]
    assert dict(rows(store, "SELECT lid, pn FROM whatsmeow_lid_map")) == {
        "987654321098765": "5511977776666",
        "123456789012345": "5511900000001",
    }


def test_converted_sessions_decrypt_what_the_contacts_sent_after_the_snapshot(store: Path) -> None:
    messages = json.loads((FIXTURES / "messages.json").read_text())["messages"]
    sessions = dict(rows(store, "SELECT their_id, session FROM whatsmeow_sessions"))
    sender_keys = {
        (chat, sender): key
        for chat, sender, key in rows(store, "SELECT chat_id, sender_id, sender_key FROM whatsmeow_sender_keys")
    }
    kinds = set()
    for message in messages:
        ciphertext = base64.b64decode(message["ciphertext"])
        if message["type"] == "skmsg":
            plaintext = signal_reader.decrypt_sender_key(
                sender_keys[(message["group"], message["address"])], ciphertext
            )
        elif message["type"] == "pkmsg":
            plaintext = signal_reader.decrypt_prekey_whisper(sessions[message["address"]], ciphertext)
        else:
            plaintext = signal_reader.decrypt_whisper(sessions[message["address"]], ciphertext)
        assert plaintext.decode() == message["plaintext"]
        kinds.add(message["type"])
    # a stored skipped key, a derived chain key, a DH ratchet step, a pre-key message on a LID
    # session, a group message
    assert kinds == {"msg", "pkmsg", "skmsg"} and len(messages) == 5


def test_a_tampered_session_does_not_decrypt(store: Path) -> None:
    """The check above can fail: a session whose root of trust differs gives a MAC mismatch."""
    message = json.loads((FIXTURES / "messages.json").read_text())["messages"][1]
    ((record,),) = rows(store, "SELECT session FROM whatsmeow_sessions WHERE their_id=?", message["address"])
    structure = json.loads(record)
    chain = structure["SessionState"]["ReceiverChains"][-1]
    chain["ChainKey"]["Key"] = base64.b64encode(b"\x01" * 32).decode()
    with pytest.raises(ValueError, match="MAC mismatch"):
        signal_reader.decrypt_whisper(json.dumps(structure).encode(), base64.b64decode(message["ciphertext"]))


def test_a_bad_piece_is_skipped_and_explained_not_fatal(tmp_path: Path) -> None:
    state = auth_state()
    state["session-5511988887777.0"] = '{"_sessions": {"x": {"indexInfo": {"closed": -1}}}, "version": "v1"}'
    state["sender-key-120363000000000001@g.us--5511966665555--0"] = '"not a buffer"'
    conversion = convert_baileys(state)
    assert "5511988887777:0" not in conversion.sessions and "987654321098765_1:0" in conversion.sessions
    assert len(conversion.skipped) == 2
    assert any(
        line.startswith("1 Signal sessions not converted") and "retry receipt" in line for line in conversion.skipped
    )
    assert any(line.startswith("1 group sender keys not converted") for line in conversion.skipped)
    write_session(conversion, tmp_path / "partial.db")
    assert len(rows(tmp_path / "partial.db", "SELECT * FROM whatsmeow_sessions")) == 1


def test_an_unpaired_auth_state_is_refused() -> None:
    state = auth_state()
    creds = json.loads(state["creds"])
    del creds["me"], creds["account"]
    with pytest.raises(NotPaired):
        convert_baileys({"creds": json.dumps(creds)})


def test_writing_twice_changes_nothing(store: Path) -> None:
    before = rows(store, "SELECT their_id, session FROM whatsmeow_sessions ORDER BY their_id")
    write_session(convert_baileys(auth_state()), store)
    assert rows(store, "SELECT their_id, session FROM whatsmeow_sessions ORDER BY their_id") == before
    assert len(rows(store, "SELECT * FROM whatsmeow_pre_keys")) == 28


def test_names_from_files_and_from_a_database_map_to_the_same_addresses() -> None:
    from evolution_py.importing.baileys import addresses

    assert addresses.signal_address("5511988887777.0") == "5511988887777:0"
    assert addresses.signal_address("987654321098765_1.12") == "987654321098765_1:12"
    # Baileys' multi-file store writes ":" as "-" (fixFileName); a database or Redis keeps "::"
    for name in ("120363000000000001@g.us::5511966665555::3", "120363000000000001@g.us--5511966665555--3"):
        assert addresses.sender_key_parts(name) == ("120363000000000001@g.us", "5511966665555:3")
    assert addresses.sender_key_parts("5511999-1600000000@g.us--5511966665555--0")[0] == "5511999-1600000000@g.us"
    assert addresses.app_state_key_id("AA__B") == addresses.app_state_key_id("AA/B")
    with pytest.raises(ValueError):
        addresses.signal_address("no-device")


def test_a_closed_session_that_cannot_convert_is_reported_and_the_open_one_kept() -> None:
    state = auth_state()
    record = json.loads(state["session-5511988887777.0"])
    broken = {"indexInfo": {"closed": 1764806400000, "baseKey": "AA=="}, "currentRatchet": {}, "_chains": {}}
    record["_sessions"]["old"] = broken
    state["session-5511988887777.0"] = json.dumps(record)
    conversion = convert_baileys(state)
    assert "5511988887777:0" in conversion.sessions
    assert json.loads(conversion.sessions["5511988887777:0"])["PreviousStates"] == []
    assert len(conversion.skipped) == 1 and conversion.skipped[0].startswith("1 contacts' closed Signal sessions")
