"""An Evolution Go server's data: its instances (users database) and whatsmeow's store with three
paired devices, one of them no instance's (its rows must not move)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"
VENDAS, SUPORTE, NOVO = (
    "0b8f9a2e-1c3d-4e5f-8a9b-0c1d2e3f4a51",
    "0b8f9a2e-1c3d-4e5f-8a9b-0c1d2e3f4a52",
    "0b8f9a2e-1c3d-4e5f-8a9b-0c1d2e3f4a53",
)
DEVICES = {VENDAS: "5511911110001:3@s.whatsapp.net", SUPORTE: "5511911110002:5@s.whatsapp.net"}
STRANGER = "5511999999999:1@s.whatsapp.net"
CREATED = datetime(2025, 5, 2, 9, 30, tzinfo=UTC)


def instances() -> list[dict[str, Any]]:
    base = {
        "qrcode": "",
        "connected": True,
        "expiration": 0,
        "disconnect_reason": "",
        "os_name": "Linux",
        "client_name": "evolution_go",
        "created_at": CREATED,
        "read_messages": False,
    }
    return [
        {
            **base,
            "id": VENDAS,
            "name": "vendas",
            "token": "tok-vendas-0123456789",
            "jid": DEVICES[VENDAS],
            "webhook": "https://hooks.example.com/vendas",
            "rabbitmq_enable": "enabled",
            "web_socket_enable": "disabled",
            "nats_enable": "",
            "events": "MESSAGE,SEND_MESSAGE",
            "proxy": '{"host":"p.example.com","port":"8080","username":"u","password":"pw"}',
            "always_online": True,
            "reject_call": True,
            "msg_reject_call": "busy",
            "ignore_groups": True,
            "ignore_status": True,
        },
        {
            **base,
            "id": SUPORTE,
            "name": "suporte",
            "token": "tok-suporte-0123456789",
            "jid": DEVICES[SUPORTE],
            "webhook": "",
            "rabbitmq_enable": "",
            "web_socket_enable": "",
            "nats_enable": "enabled",
            "events": "",
            "proxy": "",
            "always_online": False,
            "reject_call": False,
            "msg_reject_call": "",
            "ignore_groups": False,
            "ignore_status": False,
        },
        {
            **base,
            "id": NOVO,
            "name": "novo",
            "token": "tok-novo-0123456789",
            "jid": "",
            "webhook": "",
            "rabbitmq_enable": "",
            "web_socket_enable": "",
            "nats_enable": "",
            "events": "MESSAGE,BOGUS",
            "proxy": "null",
            "connected": False,
            "always_online": False,
            "reject_call": False,
            "msg_reject_call": "",
            "ignore_groups": False,
            "ignore_status": False,
        },
    ]


def labels() -> list[dict[str, Any]]:
    return [
        {
            "id": f"1a2b3c4d-0000-4000-8000-00000000000{k}",
            "instance_id": VENDAS,
            "label_id": str(k),
            "label_name": f"Etiqueta {k}",
            "label_color": str(k),
            "predefined_id": "",
        }
        for k in range(1, 4)
    ]


def store_rows(device: str, seed: int) -> dict[str, list[tuple[Any, ...]]]:
    """whatsmeow rows of one device (random keys of the lengths its CHECKs demand)."""
    r = os.urandom
    return {
        "whatsmeow_device": [
            (
                device,
                None,
                None,
                1000 + seed,
                r(32),
                r(32),
                r(32),
                7,
                r(64),
                r(32),
                r(40),
                r(64),
                r(32),
                r(64),
                "chrome",
                "",
                f"Push {seed}",
                0,
                "",
            )
        ],
        "whatsmeow_identity_keys": [(device, f"55119000{k:05d}.0", r(32)) for k in range(3)],
        "whatsmeow_pre_keys": [(device, k, r(32), k % 2 == 0) for k in range(1, 11)],
        "whatsmeow_sessions": [(device, f"55119000{k:05d}.0", r(200)) for k in range(3)],
        "whatsmeow_sender_keys": [(device, "120363000000000001@g.us", f"55119000{k:05d}.0", r(60)) for k in range(2)],
        "whatsmeow_app_state_sync_keys": [(device, r(6), r(120), 1700000000 + seed, r(20))],
        "whatsmeow_app_state_version": [(device, "critical_block", 3, r(128))],
        "whatsmeow_contacts": [
            (device, f"55119000{k:05d}@s.whatsapp.net", "F", "Full", "Push", "", "") for k in range(2)
        ],
    }


GLOBAL_ROWS = {"whatsmeow_lid_map": [("123456789012345", "5511911110001"), ("223456789012345", "5511911110002")]}


def all_store_rows() -> dict[str, list[tuple[Any, ...]]]:
    out: dict[str, list[tuple[Any, ...]]] = {k: list(v) for k, v in GLOBAL_ROWS.items()}
    for seed, device in enumerate([*DEVICES.values(), STRANGER]):
        for table, rows in store_rows(device, seed).items():
            out.setdefault(table, []).extend(rows)
    return out
