"""Typebot's answer (`messages`, `input`, `clientSideActions`) as WhatsApp replies, as upstream's
typebot.service renders it: rich text to WhatsApp formatting (*bold*, _italic_, ~underline~,
numbered lists, links), `[list]` / `[buttons]` templates, image / video / audio bubbles, embeds as
their link, choice inputs as `▶️ item` lines, wait blocks between bubbles."""

from __future__ import annotations

import re
from typing import Any

from evolution_py.integrations.chatbots.replies import text_replies


def rich_text(element: dict[str, Any]) -> str:
    text = str(element.get("text") or "")
    kind = element.get("type")
    children = element.get("children")
    if isinstance(children, list) and kind != "a":
        text += "".join(rich_text(child) for child in children if isinstance(child, dict))
    if kind == "p":
        text = text.strip() + "\n"
    if kind == "inline-variable":
        text = text.strip()
    if kind == "ol":
        text = "\n" + "\n".join(f"{i + 1}. {line}" if line else "" for i, line in enumerate(text.split("\n")))
    if kind == "li":
        text = "\n".join(f"  {line}" if line else "" for line in text.split("\n"))
    formats = ("*" if element.get("bold") else "") + ("_" if element.get("italic") else "")
    formats += "~" if element.get("underline") else ""
    formatted = f"{formats}{text}{formats[::-1]}"
    if element.get("url"):
        first = children[0] if isinstance(children, list) and children and isinstance(children[0], dict) else {}
        formatted = f"[{formatted}]\n({element['url']})" if first.get("text") else str(element["url"])
    return formatted


def bubble_text(message: dict[str, Any]) -> str:
    out = ""
    for block in (message.get("content") or {}).get("richText") or []:
        for element in block.get("children") or []:
            if isinstance(element, dict):
                out += rich_text(element)
        out += "\n"
    out = out.replace("**", "").replace("__", "", 1).replace("~~", "", 1)
    return re.sub(r"\n$", "", re.sub(r"\n$", "", out))


def _between(text: str, start: str, end: str) -> str:
    match = re.search(rf"\[{start}\]([\s\S]*?)(?=\[{end}\])", text)
    return match.group(1).strip() if match else ""


def _field(text: str, name: str) -> str | None:
    match = re.search(rf"{name}: (.*?)(?:\n|$)", text)
    return match.group(1).strip() if match else None


def list_reply(text: str) -> dict[str, Any]:
    sections = []
    menu = re.search(r"\[menu\]([\s\S]*?)\[/menu\]", text)
    if menu:
        for section in re.findall(r"\[section\][\s\S]*?(?=\[section\]|\[/section\]|\[/menu\]|$)", menu.group(1)):
            rows = re.findall(r"\[row\][\s\S]*?(?=\[row\]|\[/row\]|\[/section\]|\[/menu\]|$)", section)
            sections.append(
                {
                    "title": _field(section, "title") or "",
                    "rows": [
                        {
                            "title": _field(row, "title") or "",
                            "description": _field(row, "description"),
                            "rowId": _field(row, "rowId") or "",
                        }
                        for row in rows
                    ],
                }
            )
    return {
        "type": "list",
        "title": _between(text, "title", "description"),
        "description": _between(text, "description", "buttonText"),
        "buttonText": _between(text, "buttonText", "footerText"),
        "footerText": _between(text, "footerText", "menu"),
        "sections": sections,
    }


_BUTTON_FIELDS = {
    "reply": {"displayText": "displayText", "id": "id"},
    "copy": {"displayText": "displayText", "copyCode": "copyCode"},
    "call": {"displayText": "displayText", "phoneNumber": "phone"},
    "url": {"displayText": "displayText", "url": "url"},
    "pix": {"currency": "currency", "name": "name", "keyType": "keyType", "key": "key"},
}


def buttons_reply(text: str) -> dict[str, Any]:
    buttons = []
    for kind in ("reply", "pix", "copy", "call", "url"):
        for match in re.finditer(rf"\[{kind}\]([\s\S]*?)(?=\[(?:reply|pix|copy|call|url)|$)", text):
            content = match.group(1).strip()
            button: dict[str, Any] = {"type": kind}
            for key, label in _BUTTON_FIELDS[kind].items():
                value = _field(content, label)
                if value is not None:
                    button[key] = value
            if len(button) > 1:
                buttons.append(button)
    footer = re.search(r"\[footer\]([\s\S]*?)(?=\[(?:reply|pix|copy|call|url))", text)
    reply: dict[str, Any] = {
        "type": "buttons",
        "title": _between(text, "title", "description"),
        "description": _between(text, "description", "footer"),
        "footer": footer.group(1).strip() if footer else "",
        "buttons": buttons,
    }
    thumbnail = _between(text, "thumbnailUrl", "title")
    if thumbnail:
        reply["thumbnailUrl"] = thumbnail
    return reply


def _text(text: str, settings: dict[str, Any]) -> list[dict[str, Any]]:
    if "[list]" in text:
        return [list_reply(text)]
    if "[buttons]" in text:
        return [buttons_reply(text)]
    return text_replies(text, settings)


def render(answer: dict[str, Any], settings: dict[str, Any]) -> list[dict[str, Any]]:
    replies: list[dict[str, Any]] = []
    actions = answer.get("clientSideActions") or []
    for message in answer.get("messages") or []:
        if not isinstance(message, dict):
            continue
        kind = message.get("type")
        url = (message.get("content") or {}).get("url")
        if kind == "text":
            replies.extend(_text(bubble_text(message), settings))
        elif kind in ("image", "video") and url:
            replies.append({"type": "media", "mediatype": kind, "media": url})
        elif kind == "audio" and url:
            replies.append({"type": "audio", "audio": url})
        elif kind == "embed" and url:
            replies.append({"type": "text", "text": url})  # ours: upstream drops embed bubbles
        for action in actions:
            if isinstance(action, dict) and action.get("lastBubbleBlockId") == message.get("id"):
                seconds = (action.get("wait") or {}).get("secondsToWaitFor")
                if seconds:
                    replies.append({"type": "wait", "seconds": seconds})
    choice = answer.get("input")
    if isinstance(choice, dict) and choice.get("type") == "choice input":
        lines = "\n".join(f"▶️ {item.get('content', '')}" for item in choice.get("items") or [])
        replies.extend(_text(lines, settings))
    return replies
