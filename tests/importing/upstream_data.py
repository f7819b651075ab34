"""Rows an Evolution API 2.3.6 server would hold, shaped by its Prisma schema: a few instances with
settings, sinks, bots and Chatwoot, and a message history generated lazily (never all in memory)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

BASE = datetime(2025, 3, 1, 12, 0, 0)
CREDS_TEXT = json.dumps(
    {
        "noiseKey": {"private": {"type": "Buffer", "data": "AAEC"}},
        "registrationId": 42,
        "me": {"id": "5511900000001:7@s.whatsapp.net", "name": "Alpha"},
    }
)


@dataclass(frozen=True)
class Spec:
    name: str
    messages: int
    chats: int
    contacts: int


def instance_id(name: str) -> str:
    return f"cl{name}0000000000000000"[:25]


def instances(specs: list[Spec]) -> list[dict[str, Any]]:
    rows = []
    for n, spec in enumerate(specs):
        rows.append(
            {
                "id": instance_id(spec.name),
                "name": spec.name,
                "connectionStatus": "open",
                "ownerJid": f"55119000000{n:02d}@s.whatsapp.net",
                "profileName": f"Profile {spec.name}",
                "profilePicUrl": f"https://pps.whatsapp.net/{spec.name}.jpg",
                "integration": "WHATSAPP-BAILEYS",
                "number": f"55119000000{n:02d}",
                "businessId": None,
                "token": f"token-{spec.name}-0123456789",
                "clientName": "evolution_exchange",
                "disconnectionReasonCode": None,
                "disconnectionObject": None,
                "disconnectionAt": None,
                "createdAt": BASE,
                "updatedAt": BASE + timedelta(minutes=n),
            }
        )
    return rows


def small_tables(specs: list[Spec]) -> dict[str, list[dict[str, Any]]]:
    """Per-instance configuration rows (JSON values as Python objects)."""
    t: dict[str, list[dict[str, Any]]] = {}
    stamp = {"createdAt": BASE, "updatedAt": BASE + timedelta(hours=1)}
    for n, spec in enumerate(specs):
        iid = instance_id(spec.name)
        t.setdefault("Setting", []).append(
            {
                "id": f"set-{iid}",
                "instanceId": iid,
                "rejectCall": n % 2 == 0,
                "msgCall": f"busy {spec.name}",
                "groupsIgnore": True,
                "alwaysOnline": n == 0,
                "readMessages": False,
                "readStatus": False,
                "syncFullHistory": False,
                "wavoipToken": None,
                **stamp,
            }
        )
        t.setdefault("Webhook", []).append(
            {
                "id": f"wh-{iid}",
                "instanceId": iid,
                "url": f"https://hooks.example.com/{spec.name}",
                "headers": {"authorization": f"Bearer {spec.name}"},
                "enabled": True,
                "events": ["MESSAGES_UPSERT", "CONNECTION_UPDATE"],
                "webhookByEvents": n == 1,
                "webhookBase64": False,
                **stamp,
            }
        )
        t.setdefault("Rabbitmq", []).append(
            {"id": f"rmq-{iid}", "instanceId": iid, "enabled": True, "events": ["MESSAGES_UPSERT"], **stamp}
        )
        if n == 0:
            t["Proxy"] = [
                {
                    "id": f"px-{iid}",
                    "instanceId": iid,
                    "enabled": True,
                    "host": "proxy.example.com",
                    "port": "3128",
                    "protocol": "http",
                    "username": "u",
                    "password": "p",
                    **stamp,
                }
            ]
            t["Chatwoot"] = [
                {
                    "id": f"cw-{iid}",
                    "instanceId": iid,
                    "enabled": True,
                    "accountId": "7",
                    "token": "cw-token",
                    "url": "https://chatwoot.example.com",
                    "nameInbox": "alpha",
                    "signMsg": True,
                    "signDelimiter": "\n",
                    "number": "5511900000000",
                    "reopenConversation": True,
                    "conversationPending": False,
                    "mergeBrazilContacts": True,
                    "importContacts": False,
                    "importMessages": False,
                    "daysLimitImportMessages": 3,
                    "organization": "Acme",
                    "logo": None,
                    "ignoreJids": ["@g.us"],
                    **stamp,
                }
            ]
            t["Kafka"] = [{"id": f"kf-{iid}", "instanceId": iid, "enabled": True, "events": ["SEND_MESSAGE"], **stamp}]
            t["Pusher"] = [
                {
                    "id": f"pu-{iid}",
                    "instanceId": iid,
                    "enabled": True,
                    "appId": "1",
                    "key": "k",
                    "secret": "s",
                    "cluster": "mt1",
                    "useTLS": True,
                    "events": ["QRCODE_UPDATED"],
                    **stamp,
                }
            ]
            t["Session"] = [{"id": f"ses-{iid}", "sessionId": iid, "creds": json.dumps(CREDS_TEXT), "createdAt": BASE}]
        if n == 1:
            t["Typebot"] = [
                {
                    "id": f"tb-{iid}",
                    "instanceId": iid,
                    "enabled": True,
                    "description": "sales",
                    "url": "https://typebot.example.com",
                    "typebot": "sales-bot",
                    "expire": 20,
                    "keywordFinish": "#end",
                    "delayMessage": 1000,
                    "unknownMessage": "?",
                    "listeningFromMe": False,
                    "stopBotFromMe": False,
                    "keepOpen": False,
                    "debounceTime": 10,
                    "ignoreJids": [],
                    "triggerType": "keyword",
                    "triggerOperator": "equals",
                    "triggerValue": "hi",
                    "splitMessages": False,
                    "timePerChar": 50,
                    **stamp,
                }
            ]
            t["TypebotSetting"] = [
                {
                    "id": f"tbs-{iid}",
                    "instanceId": iid,
                    "expire": 20,
                    "keywordFinish": "#end",
                    "delayMessage": 1000,
                    "unknownMessage": "?",
                    "listeningFromMe": False,
                    "stopBotFromMe": False,
                    "keepOpen": False,
                    "debounceTime": 10,
                    "ignoreJids": [],
                    "typebotIdFallback": f"tb-{iid}",
                    **stamp,
                }
            ]
            t["Label"] = [
                {
                    "id": f"lb-{iid}-{k}",
                    "instanceId": iid,
                    "labelId": str(k),
                    "name": f"Label {k}",
                    "color": str(k),
                    "predefinedId": None,
                    **stamp,
                }
                for k in range(1, 4)
            ]
        if n == 2:
            t["Template"] = [
                {
                    "id": f"tp-{iid}",
                    "instanceId": iid,
                    "templateId": "1234567890",
                    "name": "order_update",
                    "template": {"name": "order_update", "language": "en_US"},
                    "webhookUrl": None,
                    **stamp,
                }
            ]
    return t


def jid(k: int) -> str:
    return f"55119{k:08d}@s.whatsapp.net"


def contacts(spec: Spec) -> Iterator[dict[str, Any]]:
    iid = instance_id(spec.name)
    for k in range(spec.contacts):
        yield {
            "id": f"ct-{iid}-{k:06d}",
            "instanceId": iid,
            "remoteJid": jid(k),
            "pushName": f"Contact {k}",
            "profilePicUrl": None,
            "createdAt": BASE,
            "updatedAt": BASE + timedelta(seconds=k),
        }


def chats(spec: Spec) -> Iterator[dict[str, Any]]:
    """One chat per JID, plus the duplicate upstream creates for the first one (no unique key there)."""
    iid = instance_id(spec.name)
    for k in range(spec.chats):
        yield {
            "id": f"ch-{iid}-{k:06d}",
            "instanceId": iid,
            "remoteJid": jid(k),
            "name": f"Chat {k}",
            "labels": None,
            "unreadMessages": k % 3,
            "createdAt": BASE,
            "updatedAt": BASE + timedelta(seconds=k),
        }
    yield {
        "id": f"ch-{iid}-dup",
        "instanceId": iid,
        "remoteJid": jid(0),
        "name": "Chat 0 again",
        "labels": None,
        "unreadMessages": 0,
        "createdAt": BASE,
        "updatedAt": BASE,
    }


def messages(spec: Spec) -> Iterator[dict[str, Any]]:
    iid = instance_id(spec.name)
    start = int(BASE.timestamp())
    for k in range(spec.messages):
        chat = jid(k % spec.chats)
        yield {
            "id": f"ms-{iid}-{k:07d}",
            "instanceId": iid,
            "key": {"id": f"3EB0{k:016X}", "remoteJid": chat, "fromMe": k % 4 == 0},
            "pushName": f"Contact {k % spec.chats}",
            "participant": None,
            "messageType": "conversation",
            "message": {"conversation": f"message number {k} of {spec.name} " + "x" * 120},
            "contextInfo": None,
            "source": "android",
            "messageTimestamp": start + k,
            # Every 100th message was mirrored to Chatwoot (its ids kept on the message, upstream's way).
            "chatwootMessageId": 900_000 + k if k % 100 == 0 else None,
            "chatwootInboxId": 3 if k % 100 == 0 else None,
            "chatwootConversationId": 70 + k % 7 if k % 100 == 0 else None,
            "chatwootContactInboxSourceId": f"src-{k % 7}" if k % 100 == 0 else None,
            "chatwootIsRead": k % 200 == 0 if k % 100 == 0 else None,
            "webhookUrl": None,
            "status": "DELIVERY_ACK",
            "sessionId": None,
        }


def message_updates(spec: Spec, count: int) -> Iterator[dict[str, Any]]:
    iid = instance_id(spec.name)
    for k in range(count):
        yield {
            "id": f"mu-{iid}-{k:05d}",
            "instanceId": iid,
            "messageId": f"ms-{iid}-{k:07d}",
            "keyId": f"3EB0{k:016X}",
            "remoteJid": jid(k % spec.chats),
            "fromMe": k % 4 == 0,
            "participant": None,
            "pollUpdates": None,
            "status": "READ",
        }
