"""Which ffmpeg runs: the binary the `imageio-ffmpeg` wheel ships (no system package needed), or
FFMPEG_BINARY / the one on the PATH when the wheel has none for this platform."""

from __future__ import annotations

import functools
import os
import re
import shutil

_DURATION = re.compile(r"Duration:\s*(\d+):(\d{2}):(\d{2}(?:\.\d+)?)")


@functools.cache
def ffmpeg_command() -> str:
    chosen = os.environ.get("FFMPEG_BINARY", "")
    if chosen:
        return chosen
    try:
        import imageio_ffmpeg  # noqa: PLC0415 - looked up once, on the first conversion

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except (ImportError, RuntimeError):  # no wheel binary for this platform
        return shutil.which("ffmpeg") or "ffmpeg"


def media_seconds(report: str) -> int:
    """Rounded seconds from ffmpeg's `Duration: HH:MM:SS.ss` line; 0 when absent (`N/A`, no input)."""
    found = _DURATION.search(report)
    if not found:
        return 0
    hours, minutes, seconds = found.groups()
    return round(int(hours) * 3600 + int(minutes) * 60 + float(seconds))
