"""The QR payload → upstream's `base64` field: a PNG data URL (error correction H, box 4, border 3)."""

from __future__ import annotations

import base64
import io

import qrcode
from qrcode.constants import ERROR_CORRECT_H


def qr_data_url(code: str, color: str = "#198754") -> str:
    """About 40 ms for a WhatsApp payload: call it through `asyncio.to_thread`."""
    image = qrcode.QRCode(error_correction=ERROR_CORRECT_H, box_size=4, border=3)
    image.add_data(code)
    image.make(fit=True)
    picture = image.make_image(fill_color=color, back_color="white")
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
