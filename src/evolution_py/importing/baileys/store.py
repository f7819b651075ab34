"""Writing a Conversion into a whatsmeow SQLite store, the file neonize opens for the instance.

The schema is made by whatsmeow itself: neonize's `GetAllDevices` opens the file through
whatsmeow's sqlstore, which runs its own upgrades (and records `whatsmeow_version`), so the
tables are exactly those of the whatsmeow neonize bundles and a later start upgrades nothing.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from evolution_py.importing.baileys import whatsmeow
from evolution_py.importing.baileys.convert import Conversion


class StoreNotEmpty(RuntimeError):
    """The file already holds a different device: importing over it would mix two accounts."""


def create_schema(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    whatsmeow.create_store(str(path))
    with sqlite3.connect(path) as conn:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name='whatsmeow_device'").fetchone():
            raise RuntimeError(f"whatsmeow did not create its schema in {path}")


def write_session(conversion: Conversion, path: Path) -> None:
    """Create (or refresh, for the same device) the store at `path`, all rows in one transaction."""
    create_schema(path)
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        existing = [row[0] for row in conn.execute("SELECT jid FROM whatsmeow_device")]
        if any(jid != conversion.jid for jid in existing):
            raise StoreNotEmpty(f"{path} already holds device {existing[0]}")
        with conn:
            _write(conn, conversion)
    finally:
        conn.close()


def _write(conn: sqlite3.Connection, c: Conversion) -> None:
    jid, d = c.jid, c.device
    conn.execute("DELETE FROM whatsmeow_device WHERE jid=?", (jid,))  # cascades to every keyed table
    conn.execute(
        """INSERT INTO whatsmeow_device (jid, lid, registration_id, noise_key, identity_key,
               signed_pre_key, signed_pre_key_id, signed_pre_key_sig, adv_key, adv_details,
               adv_account_sig, adv_account_sig_key, adv_device_sig, platform, business_name, push_name,
               facebook_uuid, lid_migration_ts, companion_meta_nonce)
           VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,NULL,0,'')""",
        (
            jid,
            d.lid,
            d.registration_id,
            d.noise_key,
            d.identity_key,
            d.signed_pre_key,
            d.signed_pre_key_id,
            d.signed_pre_key_sig,
            d.adv_key,
            d.adv_details,
            d.adv_account_sig,
            d.adv_account_sig_key,
            d.adv_device_sig,
            d.platform,
            d.business_name,
            d.push_name,
        ),
    )
    conn.executemany(
        "INSERT INTO whatsmeow_pre_keys (jid, key_id, key, uploaded) VALUES (?,?,?,?)",
        [(jid, k.key_id, k.private, k.uploaded) for k in c.pre_keys],
    )
    conn.executemany(
        "INSERT INTO whatsmeow_identity_keys (our_jid, their_id, identity) VALUES (?,?,?)",
        [(jid, address, key) for address, key in c.identities.items()],
    )
    conn.executemany(
        "INSERT INTO whatsmeow_sessions (our_jid, their_id, session) VALUES (?,?,?)",
        [(jid, address, record) for address, record in c.sessions.items()],
    )
    conn.executemany(
        "INSERT INTO whatsmeow_sender_keys (our_jid, chat_id, sender_id, sender_key) VALUES (?,?,?,?)",
        [(jid, group, sender, record) for group, sender, record in c.sender_keys],
    )
    conn.executemany(
        "INSERT INTO whatsmeow_app_state_sync_keys (jid, key_id, key_data, timestamp, fingerprint) VALUES (?,?,?,?,?)",
        [(jid, k.key_id, k.key_data, k.timestamp, k.fingerprint) for k in c.app_state_keys],
    )
    for version in c.app_state_versions:
        conn.execute(
            "INSERT INTO whatsmeow_app_state_version (jid, name, version, hash) VALUES (?,?,?,?)",
            (jid, version.name, version.version, version.hash),
        )
        conn.executemany(
            "INSERT INTO whatsmeow_app_state_mutation_macs (jid, name, version, index_mac, value_mac)"
            " VALUES (?,?,?,?,?)",
            [(jid, version.name, version.version, index, value) for index, value in version.macs],
        )
    for lid, pn in c.lid_map.items():
        # the LID map is shared by every device of the file: the same pair keeps one row
        conn.execute("DELETE FROM whatsmeow_lid_map WHERE pn=? AND lid<>?", (pn, lid))
        conn.execute(
            "INSERT INTO whatsmeow_lid_map (lid, pn) VALUES (?,?) ON CONFLICT (lid) DO UPDATE SET pn=excluded.pn",
            (lid, pn),
        )
