"""What kind of file a body is, with libmagic when the machine has it and without it otherwise.

libmagic (python-magic, neonize's own dependency) stays first: measured against puremagic on the
media WhatsApp carries, puremagic named m4a `video/mp4`, zip `...wordprocessingml.document`, OGG
`application/ogg`, refused plain text and took twice as long. Without the system library, the
signatures below cover what a message sends (images, audio, video, PDF), and `magic_module()` stands
in for python-magic so neonize, which imports `magic` at load, still loads.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from pathlib import Path

# (offset, bytes, MIME type); the first match wins, so longer or more specific ones come first.
_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (0, b"%PDF-", "application/pdf"),
    (0, b"OggS", "audio/ogg"),
    (0, b"ID3", "audio/mpeg"),
    (0, b"fLaC", "audio/flac"),
    (0, b"#!AMR", "audio/amr"),
    (0, b"\x1a\x45\xdf\xa3", "video/webm"),
    (0, b"BM", "image/bmp"),
    (0, b"PK\x03\x04", "application/zip"),
)
_MP4_AUDIO_BRANDS = (b"M4A ", b"M4B ")
_MP4_BRANDS = (b"isom", b"iso2", b"mp41", b"mp42", b"avc1", b"dash", b"MSNV", b"3gp4", b"3gp5", b"qt  ")


def _libmagic() -> Callable[[bytes], str] | None:
    try:
        import magic  # noqa: PLC0415 - python-magic loads libmagic at import; absent on some machines

        if getattr(magic, "evolution_py_stand_in", False):
            return None
        return lambda data: str(magic.from_buffer(data, mime=True))
    except ImportError:
        return None


def signature_type(data: bytes) -> str | None:
    """The MIME type the first bytes announce, from the table above (no libmagic needed)."""
    head = data[:64]
    if head[:4] == b"RIFF" and head[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        return {b"WEBP": "image/webp", b"WAVE": "audio/x-wav", b"AVI ": "video/x-msvideo"}[head[8:12]]
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _MP4_AUDIO_BRANDS:
            return "audio/x-m4a"
        if brand.startswith(b"3gp"):
            return "video/3gpp"
        if brand in _MP4_BRANDS or brand.startswith(b"mp4"):
            return "video/mp4"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xF0 == 0xF0:  # an MPEG audio frame, no ID3 tag
        return "audio/aac" if head[1] & 0x06 == 0 else "audio/mpeg"  # layer bits 00: AAC in ADTS
    for offset, magic_bytes, mime in _SIGNATURES:
        if head[offset : offset + len(magic_bytes)] == magic_bytes:
            return mime
    return None


def sniff(data: bytes) -> str | None:
    """libmagic's answer when the machine has it, else the signature table's; None when unknown."""
    lookup = _libmagic()
    if lookup is not None:
        found = lookup(data[:4096])
        return found if found and found != "application/octet-stream" else None
    return signature_type(data)


def magic_module() -> None:
    """Make `import magic` work without libmagic (neonize imports it at load): a stand-in whose
    `from_buffer` / `from_file` answer from the signature table."""
    if _libmagic() is not None:
        return

    def from_buffer(data: bytes, mime: bool = False) -> str:
        return signature_type(bytes(data)) or "application/octet-stream"

    def from_file(path: str, mime: bool = False) -> str:
        with Path(path).open("rb") as file:
            return from_buffer(file.read(64), mime)

    stand_in = types.ModuleType("magic")
    stand_in.from_buffer = from_buffer  # type: ignore[attr-defined]
    stand_in.from_file = from_file  # type: ignore[attr-defined]
    stand_in.evolution_py_stand_in = True  # type: ignore[attr-defined]
    sys.modules["magic"] = stand_in
