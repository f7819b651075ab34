"""Writes the go_checker's input: the converted store's rows (as written by write_session) plus the
fixtures' post-snapshot messages. Usage: python export.py OUT.json [STORE.db]"""

from __future__ import annotations

import base64
import json
import sqlite3
import sys
import tempfile
from pathlib import Path

from evolution_py.importing.baileys import convert_baileys, write_session

FIXTURES = Path(__file__).parent.parent / "fixtures"


def main() -> None:
    out = Path(sys.argv[1])
    if len(sys.argv) > 2:
        db = Path(sys.argv[2])
    else:
        db = Path(tempfile.mkdtemp()) / "instance.db"
        files = {p.stem: p.read_text() for p in FIXTURES.glob("*.json") if p.name != "messages.json"}
        write_session(convert_baileys(files), db)
    enc = lambda b: base64.b64encode(b).decode()  # noqa: E731
    with sqlite3.connect(db) as conn:
        ((priv, reg),) = conn.execute("SELECT identity_key, registration_id FROM whatsmeow_device").fetchall()
        sessions = {a: enc(s) for a, s in conn.execute("SELECT their_id, session FROM whatsmeow_sessions")}
        identities = {a: enc(k) for a, k in conn.execute("SELECT their_id, identity FROM whatsmeow_identity_keys")}
        sender_keys = {
            f"{chat}|{sender}": enc(key)
            for chat, sender, key in conn.execute("SELECT chat_id, sender_id, sender_key FROM whatsmeow_sender_keys")
        }
    messages = json.loads((FIXTURES / "messages.json").read_text())["messages"]
    out.write_text(
        json.dumps(
            {
                "identity_private": enc(priv),
                "registration_id": reg,
                "sessions": sessions,
                "identities": identities,
                "sender_keys": sender_keys,
                "messages": messages,
            }
        )
    )


if __name__ == "__main__":
    main()
