"""Where the Baileys auth state is gathered from (Evolution API 2.3.6's three places), and what the
import says when the converter is not there; a fake converter stands in for it."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from evolution_py.importing.session_source import (
    NOT_AVAILABLE,
    SessionOptions,
    file_name,
    gather,
    import_baileys_session,
    load_converter,
)
from evolution_py.importing.source import open_source
from tests.importing import upstream_data as data
from tests.importing.redis_hash_helper import redis_hash
from tests.importing.sources import fill_postgres, postgres_source
from tests.importing.support import FakeConverter

IID = data.instance_id("alpha")
PRE_KEY = json.dumps({"private": {"type": "Buffer", "data": "AQID"}, "public": {"type": "Buffer", "data": "BAUG"}})


def _folder(root: Path) -> Path:
    folder = root / IID
    folder.mkdir(parents=True)
    (folder / "pre-key-1.json").write_text(PRE_KEY)
    (folder / "session-5511988887777.0.json").write_text('{"_sessions":{}}')
    (folder / "app-state-sync-key-AAAAAQ__x.json").write_text('{"keyData":{"type":"Buffer","data":"AA=="}}')
    (folder / "creds.json").write_text('{"stale": true}')  # upstream's prisma mode keeps creds in the table
    return root


async def test_gathered_from_the_folder_and_the_session_table(tmp_path: Path) -> None:
    async with postgres_source() as uri:
        await fill_postgres(uri, [data.Spec("alpha", messages=1, chats=1, contacts=1)], updates=0)
        source = await open_source(uri)
        try:
            files = await gather(source, IID, SessionOptions(str(tmp_path), instances_dir=_folder(tmp_path / "i")))
        finally:
            await source.dispose()
    assert files == {
        "creds": data.CREDS_TEXT,  # the table's creds (JSON.stringify of the BufferJSON text), unwrapped
        "pre-key-1": PRE_KEY,
        "session-5511988887777.0": '{"_sessions":{}}',
        "app-state-sync-key-AAAAAQ__x": '{"keyData":{"type":"Buffer","data":"AA=="}}',
    }


async def test_gathered_from_redis_with_upstreams_key_and_encoding(tmp_path: Path) -> None:
    prefix = f"evo_import_{uuid.uuid4().hex[:8]}"
    creds = '{"registrationId":7}'
    sender = '{"x":{"type":"Buffer","data":"AA=="}}'
    # CacheService.hSet stores JSON.stringify(value, BufferJSON.replacer), and RedisCache.hSet
    # stringifies that string again: each field holds a JSON string.
    fields = {"creds": json.dumps(creds), "sender-key-1203@g.us::5511:3": json.dumps(sender)}
    async with redis_hash(f"{prefix}:instance:{IID}", fields):
        async with postgres_source(ddl=None) as uri:
            source = await open_source(uri)
            try:
                options = SessionOptions(str(tmp_path), redis_url="redis://127.0.0.1:6379/0", redis_prefix=prefix)
                files = await gather(source, IID, options)
                converter = FakeConverter()
                notes = await import_baileys_session(
                    source,
                    IID,
                    SessionOptions(
                        str(tmp_path), redis_url=options.redis_url, redis_prefix=prefix, converter=converter
                    ),
                )
            finally:
                await source.dispose()
    assert files == {"creds": creds, file_name("sender-key-1203@g.us::5511:3"): sender}
    assert "sender-key-1203@g.us--5511-3" in files
    assert converter.seen == [files]
    assert notes[0].startswith("session: converted for 5511900000001:7@s.whatsapp.net")
    assert (tmp_path / "sessions" / f"{IID}.db").read_text() == "5511900000001:7@s.whatsapp.net"


async def test_without_the_converter_the_instance_needs_a_new_qr(tmp_path: Path) -> None:
    def missing(name: str) -> object:
        raise ImportError(name)

    assert load_converter(missing) is None
    async with postgres_source() as uri:
        await fill_postgres(uri, [data.Spec("alpha", messages=1, chats=1, contacts=1)], updates=0)
        source = await open_source(uri)
        try:
            notes = await import_baileys_session(source, IID, SessionOptions(str(tmp_path), load=lambda: None))
            nothing = await import_baileys_session(source, "no-such-id", SessionOptions(str(tmp_path)))
        finally:
            await source.dispose()
    assert notes == [NOT_AVAILABLE]
    assert nothing == ["session: no Baileys credentials found: the instance will need a new QR"]
    assert not (tmp_path / "sessions").exists()
