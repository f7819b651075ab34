"""Import from Evolution API v2 (2.3.x, PostgreSQL or MySQL): our tables keep upstream's names and
columns, so each table is a keyed copy; Message gains the key fields we index; the Baileys session
is converted by `session_source`."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from evolution_py.importing.copier import Job, copy_table, dropped_columns
from evolution_py.importing.progress import InstanceReport
from evolution_py.importing.session_source import SessionOptions, import_baileys_session

# Per-instance tables in foreign-key order (a bot before its settings' fallback, a message before its
# updates and media). Absent tables are skipped (older schemas, a MySQL subset).
TABLES: tuple[str, ...] = (
    "Setting",
    "Proxy",
    "Webhook",
    "Rabbitmq",
    "Nats",
    "Sqs",
    "Kafka",
    "Websocket",
    "Pusher",
    "Chatwoot",
    "OpenaiCreds",
    "Typebot",
    "EvolutionBot",
    "OpenaiBot",
    "Dify",
    "Flowise",
    "N8n",
    "Evoai",
    "TypebotSetting",
    "EvolutionBotSetting",
    "OpenaiSetting",
    "DifySetting",
    "FlowiseSetting",
    "N8nSetting",
    "EvoaiSetting",
    "IntegrationSession",
    "Template",
    "Label",
    "Contact",
    "Chat",
    "Message",
    "MessageUpdate",
    "Media",
)

# Upstream tables that do not move, and why (the summary and docs/migrate.md say so).
NOT_MOVED = {
    "Session": "Baileys credentials: converted into the WhatsApp session file, not copied",
    "IsOnWhatsapp": "a cache of number lookups; rebuilt on demand",
}


def message_row(row: dict[str, Any]) -> dict[str, Any]:
    """Our Message row indexes the key's id, chat and direction (we look messages up by them)."""
    key = row.get("key")
    if isinstance(key, str | bytes):
        key = json.loads(key)
    key = key if isinstance(key, dict) else {}
    out = dict(row)
    out["key"] = key
    out["keyId"] = _short(key.get("id"))
    out["remoteJid"] = _short(key.get("remoteJid"))
    out["fromMe"] = bool(key.get("fromMe")) if "fromMe" in key else None
    out["participant"] = row.get("participant") or _short(key.get("participant"))
    return out


def _short(value: Any) -> str | None:
    return str(value)[:100] if value else None


TRANSFORMS = {"Message": message_row}


def chatwoot_ledger(rows: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Upstream keeps the Chatwoot ids on the message; our Chatwoot integration looks them up in its
    ledger (ChatwootMirror): one "sent" row per mirrored message, so an agent's reply or a read
    receipt on an old conversation still finds its WhatsApp message."""
    out = []
    for row in rows:
        if row.get("chatwootMessageId") is None or not row.get("keyId"):
            continue
        out.append(
            {
                "id": hashlib.sha256(f"ledger/{row['id']}".encode()).hexdigest()[:32],
                "instanceId": row["instanceId"],
                "waMessageId": str(row["keyId"])[:128],
                "remoteJid": str(row.get("remoteJid") or "")[:128],
                "fromMe": bool(row.get("fromMe")),
                "state": "sent",
                "chatwootMessageId": row["chatwootMessageId"],
                "chatwootConversationId": row.get("chatwootConversationId"),
                "chatwootSourceId": row.get("chatwootContactInboxSourceId"),
                "read": bool(row.get("chatwootIsRead")),
                "claimedAt": _RELEASED,
            }
        )
    return "ChatwootMirror", out


_RELEASED = datetime(1970, 1, 1)  # an old claim: never mistaken for a send still running
DERIVED = {"Message": chatwoot_ledger}


async def instances(job: Job, wanted: set[str] | None) -> list[dict[str, Any]]:
    rows = await job.source.all("Instance")
    return [r for r in rows if not wanted or r["name"] in wanted or r["id"] in wanted]


async def dry_run_counts(job: Job, instance: dict[str, Any]) -> dict[str, int]:
    counts = {"Instance": 1}
    for table in TABLES:
        if job.source.has(table) and table in job.destination.tables:
            counts[table] = await job.source.count(table, {"instanceId": instance["id"]})
    return counts


async def import_instance(job: Job, instance: dict[str, Any], report: InstanceReport, session: SessionOptions) -> None:
    clash = await job.destination.exists(
        "Instance", lambda t: (t.c.name == instance["name"]) & (t.c.id != instance["id"])
    )
    if clash is not None:
        report.skipped = f"an instance named {instance['name']!r} already exists here with another id"
        return
    await copy_table(job, report, "Instance", {"id": instance["id"]})
    for table in TABLES:
        if job.source.has(table) and table in job.destination.tables:
            await copy_table(
                job,
                report,
                table,
                {"instanceId": instance["id"]},
                transform=TRANSFORMS.get(table),
                derived=DERIVED.get(table),
            )
    if (instance.get("integration") or "WHATSAPP-BAILEYS") == "WHATSAPP-BAILEYS":
        report.notes.extend(await import_baileys_session(job.source, instance["id"], session))


def unmoved(job: Job) -> list[str]:
    """Lines for the summary: tables and columns of the source that have no place here."""
    lines = [f"{t}: {why}" for t, why in NOT_MOVED.items() if job.source.has(t)]
    known = {"Instance", *TABLES, *NOT_MOVED}
    lines += [f"{t}: no such table here" for t in job.source.columns if t not in known and not t.startswith("_")]
    for table in ("Instance", *TABLES):
        if job.source.has(table) and table in job.destination.tables:
            dropped = dropped_columns(job.source, job.destination, table)
            if dropped:
                lines.append(f"{table}: columns not kept: {', '.join(dropped)}")
    return lines
