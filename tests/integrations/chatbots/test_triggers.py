"""Trigger selection as upstream's findBotByTrigger, and a tenant's catastrophic regex bounded."""

from __future__ import annotations

import time
from typing import Any

from evolution_py.integrations.chatbots.triggers import advanced_match, conversation_text, find_by_trigger, ignored


def bot(name: str, trigger: str, operator: str | None = None, value: str | None = None, enabled: bool = True) -> Any:
    return {"id": name, "enabled": enabled, "triggerType": trigger, "triggerOperator": operator, "triggerValue": value}


async def test_order_all_then_advanced_then_keywords() -> None:
    keyword = [
        bot("contains", "keyword", "contains", "pizza"),
        bot("ends", "keyword", "endsWith", "please"),
        bot("starts", "keyword", "startsWith", "order"),
        bot("regex", "keyword", "regex", r"^order \d+"),
        bot("equals", "keyword", "equals", "order 1"),
    ]
    assert (await find_by_trigger(keyword, "order 1"))["id"] == "equals"  # type: ignore[index]
    assert (await find_by_trigger(keyword, "order 22"))["id"] == "regex"  # type: ignore[index]
    assert (await find_by_trigger(keyword, "order pizza"))["id"] == "starts"  # type: ignore[index]
    assert (await find_by_trigger(keyword, "a pizza please"))["id"] == "ends"  # type: ignore[index]
    assert (await find_by_trigger(keyword, "big pizza"))["id"] == "contains"  # type: ignore[index]
    assert await find_by_trigger(keyword, "hello") is None
    advanced = [*keyword, bot("adv", "advanced", value="contains:pizza,big notcontains:small")]
    assert (await find_by_trigger(advanced, "BIG PÍZZA"))["id"] == "adv"  # type: ignore[index]
    everything = [*advanced, bot("off", "all", enabled=False), bot("all", "all")]
    assert (await find_by_trigger(everything, "order 1"))["id"] == "all"  # type: ignore[index]


async def test_a_catastrophic_regex_is_cut_short() -> None:
    started = time.monotonic()
    evil = [bot("evil", "keyword", "regex", "(x+x+)+y"), bot("bad", "keyword", "regex", "([unclosed")]
    assert await find_by_trigger(evil, "x" * 4000) is None
    assert time.monotonic() - started < 3


def test_advanced_ignore_and_text() -> None:
    assert advanced_match("Olá, quero pix", "contains:ola,pix")
    assert not advanced_match("quero pix", "exact:pix")
    assert advanced_match("start here", "startswith:start endswith:here")
    assert ignored(["@g.us"], "123@g.us") and not ignored(["@g.us"], "1@s.whatsapp.net")
    assert ignored(["1@s.whatsapp.net"], "1@s.whatsapp.net")
    image = {"key": {"id": "M1"}, "message": {"imageMessage": {"caption": "look"}}}
    assert conversation_text(image) == "imageMessage|M1|look"
    assert conversation_text({"key": {"id": "A"}, "message": {"audioMessage": {}}}) == "audioMessage|A"
    assert conversation_text({"message": {"extendedTextMessage": {"text": "hey"}}}) == "hey"
