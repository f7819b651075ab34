"""Number → JID normalisation, as upstream's `createJid` (HTTP contract, Appendix A)."""

from __future__ import annotations

import re

_KEEP_AS_IS = ("@g.us", "@s.whatsapp.net", "@lid", "@broadcast", "@newsletter")


def create_jid(number: str) -> str:
    """`+55 (11) 99999-0000` → `5511999990000@s.whatsapp.net`; JIDs pass through; long ids → groups."""
    value = number.strip()
    # 1. drop a `:NN` device suffix (`5511...:12@s.whatsapp.net`)
    value = re.sub(r":\d+(?=@|$)", "", value)
    # 2. full JIDs are used as they are
    if any(suffix in value for suffix in _KEEP_AS_IS):
        return value
    # 3. strip formatting and anything after ':' or '@'
    value = re.sub(r"[\s+()]", "", value)
    value = re.split(r"[:@]", value, maxsplit=1)[0]
    # 4. group ids: `<creator>-<timestamp>` or 18+ digits
    if "-" in value and len(value) >= 24:
        return re.sub(r"[^\d-]", "", value) + "@g.us"
    digits = re.sub(r"\D", "", value)
    if len(digits) >= 18:
        return digits + "@g.us"
    # 5. Mexico / Argentina mobile prefix
    if len(digits) == 13 and digits[:2] in ("52", "54"):
        digits = digits[:2] + digits[3:]
    # 6. Brazil: keep the ninth digit only where it is used (DDD < 31 or first local digit < 7)
    elif len(digits) == 13 and digits.startswith("55"):
        ddd = int(digits[2:4])
        first_local = int(digits[5])
        if not (ddd < 31 or first_local < 7):
            digits = digits[:4] + digits[5:]
    return digits + "@s.whatsapp.net"


def is_group(jid: str) -> bool:
    return jid.endswith("@g.us")


def user_part(jid: str) -> str:
    return jid.split("@", 1)[0].split(":", 1)[0]
