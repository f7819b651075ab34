"""`/label/*` on whatsmeow. Labels are read from the `Label` table (filled from `labels.edit`
events); changing a chat's labels needs an app-state patch, which neonize 0.5.2 cannot send."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from evolution_py.channels.base import ChannelError
from evolution_py.channels.whatsmeow.ops.host import OpsMixin
from evolution_py.channels.whatsmeow.ops.numbers import check_numbers
from evolution_py.channels.whatsmeow.ops.unsupported import APP_STATE, unsupported
from evolution_py.dto.label import HandleLabel
from evolution_py.store.models import Label


def label_dict(row: Label) -> dict[str, Any]:
    return {"color": row.color, "name": row.name, "id": row.labelId, "predefinedId": row.predefinedId}


class LabelOps(OpsMixin):
    async def find_labels(self) -> list[dict[str, Any]]:
        store = self.ctx.store
        async with store.db.session() as session:
            rows = (await session.execute(select(Label).where(Label.instanceId == store.instance_id))).scalars()
            return [label_dict(row) for row in rows]

    async def handle_label(self, req: HandleLabel) -> dict[str, Any]:
        self.require_open()
        checked = (await check_numbers(self.client, [req.number]))[0]
        if not checked["exists"]:
            raise ChannelError("Number is not on WhatsApp", status=404)
        raise unsupported("handleLabel", APP_STATE)
