"""Where Evolution API 2.3.6 keeps an instance's Baileys auth state, gathered into one mapping
(file name without `.json` → the file's BufferJSON text) for the converter in
`evolution_py.importing.baileys` (loaded lazily: without it, the instance needs a new QR).

Upstream (src/utils/use-multi-file-auth-state-*.ts), by configuration:
- default (prisma): `creds` in the `Session` table (`sessionId` = instance id; the column holds
  JSON.stringify of the BufferJSON text, a JSON string), the other keys as files
  `instances/<instance id>/<name>.json` with `/` → `__` and `:` → `-` in the name; or, with
  CACHE_REDIS_ENABLED, the other keys in the Redis hash below instead of the files;
- CACHE_REDIS_SAVE_INSTANCES: everything, `creds` too, in the Redis hash
  `<CACHE_REDIS_PREFIX_KEY>:instance:<instance id>`, one field per key name; each value is
  JSON.stringify of the BufferJSON text (a JSON string).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from evolution_py.channels.whatsapp_web.device_store import ensure_dir, has_session, session_path
from evolution_py.importing.redis_hash import hgetall
from evolution_py.importing.source import SourceDb

NOT_AVAILABLE = "session conversion not available: the instance will need a new QR"


class Conversion(Protocol):
    jid: str
    skipped: list[str]


class Converter(Protocol):
    def convert(self, files: Mapping[str, str]) -> Conversion: ...

    def write(self, conversion: Conversion, path: Path) -> None: ...


@dataclass
class SessionOptions:
    data_dir: str
    instances_dir: Path | None = None
    redis_url: str | None = None
    redis_prefix: str = "evolution"
    converter: Converter | None = None  # tests inject one; else the baileys package, if present
    load: Callable[[], Converter | None] = field(default=lambda: load_converter())


class _PackageConverter:
    def __init__(self, module: Any) -> None:
        self.module = module

    def convert(self, files: Mapping[str, str]) -> Conversion:
        result: Conversion = self.module.convert_baileys(files)
        return result

    def write(self, conversion: Conversion, path: Path) -> None:
        self.module.write_session(conversion, path)


def load_converter(loader: Callable[[str], Any] = importlib.import_module) -> Converter | None:
    try:
        module = loader("evolution_py.importing.baileys")
    except ImportError:
        return None
    if not hasattr(module, "convert_baileys") or not hasattr(module, "write_session"):
        return None
    return _PackageConverter(module)


def file_name(key: str) -> str:
    """Upstream's fixFileName: the name a key has as a file (and in the mapping)."""
    return key.replace("/", "__").replace(":", "-")


def unwrap(raw: Any) -> str | None:
    """The BufferJSON text from a value stored as JSON.stringify(text) (or as the object itself)."""
    if raw is None:
        return None
    if isinstance(raw, bytes):
        raw = raw.decode()
    if isinstance(raw, str):
        try:
            inner = json.loads(raw)
        except ValueError:
            return None
        return inner if isinstance(inner, str) else raw
    return json.dumps(raw)


def from_folder(folder: Path) -> dict[str, str]:
    if not folder.is_dir():
        return {}
    return {p.name[: -len(".json")]: p.read_text() for p in sorted(folder.glob("*.json")) if p.is_file()}


async def from_redis(url: str, prefix: str, instance_id: str) -> dict[str, str]:
    fields = await hgetall(url, f"{prefix}:instance:{instance_id}")
    out: dict[str, str] = {}
    for name, value in fields.items():
        text = unwrap(value)
        if text is not None:
            out[file_name(name.decode())] = text
    return out


async def from_session_table(source: SourceDb, instance_id: str) -> dict[str, str]:
    if not source.has("Session"):
        return {}
    async for page in source.pages("Session", "id", {"sessionId": instance_id}, None, 1):
        text = unwrap(page[0].get("creds"))
        return {"creds": text} if text else {}
    return {}


async def gather(source: SourceDb, instance_id: str, options: SessionOptions) -> dict[str, str]:
    """Files first, then Redis over them, then the Session table's creds over both (upstream's
    own precedence: with Redis on it never reads the files; creds live in the table)."""
    files: dict[str, str] = {}
    if options.instances_dir is not None:
        files.update(from_folder(options.instances_dir / instance_id))
    if options.redis_url:
        files.update(await from_redis(options.redis_url, options.redis_prefix, instance_id))
    files.update(await from_session_table(source, instance_id))
    return files


async def import_baileys_session(source: SourceDb, instance_id: str, options: SessionOptions) -> list[str]:
    """Convert and write the instance's session file; the lines say what happened (for the summary)."""
    path = session_path(options.data_dir, instance_id)
    if has_session(path):
        return ["session: already here (kept)"]
    files = await gather(source, instance_id, options)
    if "creds" not in files:
        return ["session: no Baileys credentials found: the instance will need a new QR"]
    converter = options.converter or options.load()
    if converter is None:
        return [NOT_AVAILABLE]
    try:
        conversion = converter.convert(files)
        ensure_dir(path)
        converter.write(conversion, path)
    except Exception as exc:  # noqa: BLE001 - one instance's bad state must not stop the others
        return [f"session: not converted ({type(exc).__name__}: {exc}): the instance will need a new QR"]
    lines = [f"session: converted for {conversion.jid} ({len(files)} files)"]
    lines += [f"session: {line}" for line in conversion.skipped]
    return lines
