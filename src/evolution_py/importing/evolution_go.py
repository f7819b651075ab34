"""Import from Evolution Go: its `instances` table (GORM names) becomes our Instance, Setting,
Webhook / Rabbitmq / Nats / Websocket and Proxy rows; `labels` becomes Label; the whatsmeow store
rows of the instance's device are copied into our session file."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from evolution_py.api.go.events import UnknownEvents, to_event_keys
from evolution_py.channels.whatsapp_web.device_store import has_session, session_path
from evolution_py.importing.copier import Job
from evolution_py.importing.progress import InstanceReport
from evolution_py.importing.source import SourceDb
from evolution_py.importing.whatsmeow_copy import copy_device

GO_INTEGRATION = "WHATSAPP-BAILEYS"  # what our Go dialect stores for a WhatsApp Web instance
TRANSPORTS = {"rabbitmq_enable": "Rabbitmq", "web_socket_enable": "Websocket", "nats_enable": "Nats"}
NOT_MOVED = {
    "messages": "Evolution Go stores only receipts there; not carried",
    "poll_votes": "poll votes; not carried",
    "runtime_configs": "Evolution Go's own runtime state; not carried",
}


def derived_id(instance_id: str, kind: str) -> str:
    """A stable id per derived row, so a second run finds the row it wrote."""
    return hashlib.sha256(f"{instance_id}/{kind}".encode()).hexdigest()[:32]


def _flag(value: Any) -> bool:
    return str(value or "").strip().lower() in ("enabled", "true", "1")


def event_keys(value: Any) -> tuple[list[str], str | None]:
    names = [v for v in str(value or "").split(",") if v.strip()]
    if not names:
        # Evolution Go stores "" after a disconnect or an all-invalid subscription: nothing is delivered.
        return [], None
    try:
        return to_event_keys(names, "events"), None
    except UnknownEvents as exc:
        known = []
        for name in names:
            try:
                known += [k for k in to_event_keys([name], "events") if k not in known]
            except UnknownEvents:
                pass
        return known, str(exc)


def owner_of(device_jid: str) -> tuple[str | None, str | None]:
    """(owner JID without the device, number) from whatsmeow's `user:device@server`."""
    if not device_jid or "@" not in device_jid:
        return None, None
    user, _, server = device_jid.partition("@")
    user = user.split(":", 1)[0].split(".", 1)[0]
    return f"{user}@{server}", user


def rows_for(go: dict[str, Any]) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
    """Our rows for one Go instance, and notes on what did not map."""
    iid = str(go["id"])
    created = go.get("created_at")
    owner, number = owner_of(str(go.get("jid") or ""))
    notes: list[str] = []
    rows: dict[str, list[dict[str, Any]]] = {
        "Instance": [
            {
                "id": iid,
                "name": go["name"],
                "token": go.get("token"),
                "integration": GO_INTEGRATION,
                "ownerJid": owner,
                "number": number,
                "clientName": go.get("client_name") or None,
                "connectionStatus": "close",
                "createdAt": created,
                "updatedAt": created,
            }
        ],
        "Setting": [
            {
                "id": derived_id(iid, "setting"),
                "instanceId": iid,
                "alwaysOnline": bool(go.get("always_online")),
                "rejectCall": bool(go.get("reject_call")),
                "msgCall": go.get("msg_reject_call") or None,
                "readMessages": bool(go.get("read_messages")),
                "groupsIgnore": bool(go.get("ignore_groups")),
                "readStatus": not bool(go.get("ignore_status")),
                "createdAt": created,
                "updatedAt": created,
            }
        ],
    }
    keys, problem = event_keys(go.get("events"))
    if problem:
        notes.append(f"events: {problem}; kept the known ones")
    url = str(go.get("webhook") or "")
    if url or go.get("events"):
        rows["Webhook"] = [
            {
                "id": derived_id(iid, "webhook"),
                "instanceId": iid,
                "url": url,
                "enabled": bool(url),
                "events": keys,
                "createdAt": created,
                "updatedAt": created,
            }
        ]
    for column, table in TRANSPORTS.items():
        if column in go and _flag(go[column]):
            rows[table] = [
                {
                    "id": derived_id(iid, table),
                    "instanceId": iid,
                    "enabled": True,
                    "events": keys,
                    "createdAt": created,
                    "updatedAt": created,
                }
            ]
    proxy = _proxy(go.get("proxy"))
    if proxy:
        rows["Proxy"] = [
            {
                "id": derived_id(iid, "proxy"),
                "instanceId": iid,
                "enabled": True,
                "protocol": "http",
                "createdAt": created,
                "updatedAt": created,
                **proxy,
            }
        ]
    return rows, notes


def _proxy(value: Any) -> dict[str, str] | None:
    if not value or value in ("null", ""):
        return None
    try:
        data = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return None
    if not isinstance(data, dict) or not data.get("host"):
        return None
    return {k: str(data.get(k) or "") for k in ("host", "port", "username", "password")}


def label_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "instanceId": str(row["instance_id"]),
        "labelId": row.get("label_id"),
        "name": row.get("label_name") or "",
        "color": str(row.get("label_color") or ""),
        "predefinedId": row.get("predefined_id"),
    }


async def instances(job: Job, wanted: set[str] | None) -> list[dict[str, Any]]:
    rows = await job.source.all("instances")
    return [r for r in rows if not wanted or r["name"] in wanted or str(r["id"]) in wanted]


async def dry_run_counts(job: Job, go: dict[str, Any], auth: SourceDb | None) -> dict[str, int]:
    rows, _ = rows_for(go)
    counts = {table: len(table_rows) for table, table_rows in rows.items()}
    if job.source.has("labels"):
        counts["Label"] = await job.source.count("labels", {"instance_id": go["id"]})
    jid = str(go.get("jid") or "")
    if auth is not None and jid and auth.has("whatsmeow_device"):
        counts["whatsmeow device"] = await auth.count("whatsmeow_device", {"jid": jid})
    return counts


async def import_instance(
    job: Job, go: dict[str, Any], report: InstanceReport, auth: SourceDb | None, data_dir: str
) -> None:
    from evolution_py.importing.copier import copy_table  # noqa: PLC0415

    iid = str(go["id"])
    clash = await job.destination.exists("Instance", lambda t: (t.c.name == go["name"]) & (t.c.id != iid))
    if clash is not None:
        report.skipped = f"an instance named {go['name']!r} already exists here with another id"
        return
    rows, notes = rows_for(go)
    report.notes.extend(notes)
    for table, table_rows in rows.items():
        shaped = [job.destination.shape(table, r) for r in table_rows]
        inserted, present = await job.destination.insert_absent(table, shaped)
        count = report.count(table)
        count.read += len(shaped)
        count.inserted += inserted
        count.present += present
    if job.source.has("labels"):
        await copy_table(job, report, "labels", {"instance_id": go["id"]}, transform=label_row, target="Label")
    report.notes.extend(await _session(go, report, auth, data_dir))


async def _session(go: dict[str, Any], report: InstanceReport, auth: SourceDb | None, data_dir: str) -> list[str]:
    jid = str(go.get("jid") or "")
    if not jid:
        return ["session: the instance was never paired: it will need a QR"]
    path = session_path(data_dir, str(go["id"]))
    if has_session(path):
        return ["session: already here (kept)"]
    if auth is None:
        return ["session: no whatsmeow store given (--auth-url): the instance will need a new QR"]
    try:
        counts = await copy_device(auth, jid, path)
    except LookupError as exc:
        return [f"session: {exc}: the instance will need a new QR"]
    count = report.count("whatsmeow store")
    count.read += sum(counts.values())
    count.inserted += sum(counts.values())
    return [f"session: copied device {jid} ({sum(counts.values())} rows)"]
