"""Random ids in `uuid.uuid4().hex`'s form (32 hex digits, the version-4 and variant bits set).

`uuid.uuid4().hex` builds a `UUID` object (an int, its checks) to print 16 random bytes: ~2 µs, and
an inbound message takes several ids (its event's, its row's, its contact's and chat's). This does
the same from the bytes in ~0.7 µs (issue 22's profile of the WhatsApp Web path).
"""

from __future__ import annotations

import os


def uuid4_hex() -> str:
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40  # version 4
    raw[8] = raw[8] & 0x3F | 0x80  # RFC 4122 variant
    return raw.hex()
