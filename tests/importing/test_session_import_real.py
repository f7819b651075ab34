"""The importer and the converter together: an Evolution API instance whose Baileys auth state sits
in upstream's `instances/<id>/` folder (the fixtures the real Baileys made) gets a whatsmeow session
file that holds the same device, with no fake in between."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from evolution_py.channels.whatsapp_web.device_store import has_session, session_path
from evolution_py.importing.session_source import SessionOptions, import_baileys_session
from evolution_py.importing.source import open_source
from tests.importing.baileys.test_session_conversion import FIXTURES
from tests.importing.sources import postgres_source

INSTANCE_ID = "0d6f8d0e-real-converter"


async def test_the_folder_state_becomes_a_session_file_through_the_real_converter(tmp_path: Path) -> None:
    folder = tmp_path / "instances" / INSTANCE_ID
    folder.mkdir(parents=True)
    for fixture in FIXTURES.glob("*.json"):
        if fixture.name != "messages.json":
            shutil.copy(fixture, folder / fixture.name)
    options = SessionOptions(str(tmp_path / "data"), instances_dir=tmp_path / "instances")
    async with postgres_source(ddl=None) as uri:  # a source with no Session table: creds from the folder
        source = await open_source(uri)
        try:
            notes = await import_baileys_session(source, INSTANCE_ID, options)
            again = await import_baileys_session(source, INSTANCE_ID, options)
        finally:
            await source.dispose()

    path = session_path(options.data_dir, INSTANCE_ID)
    assert has_session(path), notes
    assert notes[0].startswith("session: converted for "), notes
    jid = notes[0].split("converted for ")[1].split(" ")[0]
    with sqlite3.connect(path) as conn:
        (stored_jid,) = conn.execute("SELECT jid FROM whatsmeow_device").fetchone()
        sessions = conn.execute("SELECT count(*) FROM whatsmeow_sessions").fetchone()[0]
    assert stored_jid == jid
    assert sessions >= 2  # Bob's and Carol's
    assert again == ["session: already here (kept)"]
