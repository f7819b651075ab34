"""The two things taken from neonize (loaded on first use, as the channel does: neonize loads its Go
library and `magic` at import): whatsmeow's store opener, and the protobuf whatsmeow marshals an
app-state key fingerprint with."""

from __future__ import annotations

from typing import Any

from evolution_py.channels.whatsapp_web import filetype


def create_store(path: str) -> None:
    """Open `path` through whatsmeow's sqlstore (neonize's GetAllDevices): it runs whatsmeow's upgrades."""
    filetype.magic_module()
    from neonize.client import ClientFactory  # noqa: PLC0415 - neonize loads only when a session is written

    ClientFactory.get_all_devices_from_db(path)


def fingerprint_message() -> Any:
    filetype.magic_module()
    from neonize.proto.waE2E.WAWebProtobufsE2E_pb2 import (  # noqa: PLC0415 - as above
        AppStateSyncKeyFingerprint,
    )

    return AppStateSyncKeyFingerprint
