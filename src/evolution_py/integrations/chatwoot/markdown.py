"""WhatsApp's markup and Chatwoot's markdown, both ways, with upstream's rules (only around words
that do not start or end with a space, so `2 * 3 * 4` stays as it is)."""

from __future__ import annotations

import re

# WhatsApp → Chatwoot: *bold* → **bold**, _italic_ → *italic*, ~strike~ → ~~strike~~
_WA_BOLD = re.compile(r"\*((?!\s)([^\n*]+?)(?<!\s))\*")
_WA_ITALIC = re.compile(r"_((?!\s)([^\n_]+?)(?<!\s))_")
_WA_STRIKE = re.compile(r"~((?!\s)([^\n~]+?)(?<!\s))~")

# Chatwoot → WhatsApp: *italic* → _italic_, **bold** → *bold*, ~~strike~~ → ~strike~, `code` → ```code```
_CW_ITALIC = re.compile(r"(?<!\*)\*((?!\s)([^\n*]+?)(?<!\s))\*(?!\*)")
_CW_BOLD = re.compile(r"\*{2}((?!\s)([^\n*]+?)(?<!\s))\*{2}")
_CW_STRIKE = re.compile(r"~{2}((?!\s)([^\n*]+?)(?<!\s))~{2}")
_CW_CODE = re.compile(r"(?<!`)`((?!\s)([^`*]+?)(?<!\s))`(?!`)")


def to_chatwoot(text: str) -> str:
    text = _WA_BOLD.sub(r"**\1**", text)
    text = _WA_ITALIC.sub(r"*\1*", text)
    return _WA_STRIKE.sub(r"~~\1~~", text)


def to_whatsapp(text: str) -> str:
    text = _CW_ITALIC.sub(r"_\1_", text)
    text = _CW_BOLD.sub(r"*\1*", text)
    text = _CW_STRIKE.sub(r"~\1~", text)
    return _CW_CODE.sub(r"```\1```", text)
