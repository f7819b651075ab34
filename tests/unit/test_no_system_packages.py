"""`make test` on a machine with only Python: voice notes, video facts, file types and neonize's
load work with no ffmpeg/ffprobe on the PATH and no libmagic (hidden from a subprocess)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PIL import Image

from evolution_py.channels.whatsapp_web import filetype

SRC = Path(__file__).parents[2] / "src"

HIDDEN = textwrap.dedent(
    """
    import sys
    sys.modules["magic"] = None  # `import magic` fails as it does without libmagic
    import asyncio, io, math, shutil, struct, wave
    assert shutil.which("ffmpeg") is None and shutil.which("ffprobe") is None
    from evolution_py.channels.whatsapp_web import media_files, session
    from evolution_py.channels.whatsapp_web.ffmpeg import ffmpeg_command
    import subprocess, tempfile, pathlib

    pcm = io.BytesIO()
    with wave.open(pcm, "wb") as w:
        w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(i / 5))) for i in range(16000)))
    ogg, seconds = asyncio.run(media_files.to_voice_note(pcm.getvalue()))
    assert ogg[:4] == b"OggS" and seconds == 2, (ogg[:8], seconds)
    assert media_files.sniff_mimetype(ogg) == "audio/ogg"
    assert media_files.sniff_mimetype(pcm.getvalue()) == "audio/x-wav"

    clip = pathlib.Path(tempfile.mkdtemp()) / "clip.mp4"
    subprocess.run([ffmpeg_command(), "-v", "error", "-f", "lavfi", "-i",
                    "testsrc=size=160x120:rate=10:duration=3", "-pix_fmt", "yuv420p", str(clip)], check=True)
    seconds, thumb = asyncio.run(media_files.video_info(clip.read_bytes()))
    assert seconds == 3 and thumb is not None and thumb[:3] == b"\\xff\\xd8\\xff"
    assert media_files.sniff_mimetype(clip.read_bytes()) == "video/mp4"

    api = session.neonize()  # neonize imports `magic` at load: the stand-in answers
    import magic
    assert magic.from_buffer(ogg, mime=True) == "audio/ogg"
    print("all ok")
    """
)


def test_media_work_without_ffmpeg_on_the_path_or_libmagic(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path), "PYTHONPATH": str(SRC)}
    env.pop("FFMPEG_BINARY", None)
    run = subprocess.run([sys.executable, "-c", HIDDEN], capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip().endswith("all ok")


def _image(kind: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (10, 20, 30)).save(out, kind)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (_image("PNG"), "image/png"),
        (_image("JPEG"), "image/jpeg"),
        (_image("GIF"), "image/gif"),
        (_image("WEBP"), "image/webp"),
        (b"%PDF-1.4\n%...", "application/pdf"),
        (b"ID3\x04\x00" + bytes(32), "audio/mpeg"),
        (b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00", "audio/x-m4a"),
        (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", "video/mp4"),
        (b"plain words", None),
    ],
)
def test_the_signature_table_names_what_messages_carry(data: bytes, expected: str | None) -> None:
    assert filetype.signature_type(data) == expected
