"""`Templates` on the Cloud API: Meta's `message_templates` of the instance's WhatsApp Business
account (`businessId`), and the `Template` rows that remember which `webhookUrl` hears a template's
status changes. Create and find are upstream's; edit and delete are ours (upstream has none)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from evolution_py.channels.capabilities import ChannelError, MetaError, Record, Templates
from evolution_py.channels.cloud_api.graph import Graph
from evolution_py.channels.cloud_api.models import Template
from evolution_py.dto.template import TemplateCreate, TemplateDelete, TemplateEdit
from evolution_py.store.db import Database
from evolution_py.store.messages import row_dict
from evolution_py.store.safe_text import safe_json, safe_text, safe_url

NO_BUSINESS_ID = "businessId is required: create the instance with the WhatsApp Business account id"


async def template_webhook_url(db: Database, template_id: str) -> str | None:
    """The `webhookUrl` stored for a Meta template id (status updates are forwarded there)."""
    async with db.session() as session:
        found = await session.execute(select(Template.webhookUrl).where(Template.templateId == template_id[:255]))
        return found.scalar_one_or_none()


class TemplatesFeature(Templates):
    def __init__(self, graph: Graph, db: Database, instance_id: str, business_id: str | None, label: str) -> None:
        self.graph = graph
        self.db = db
        self.instance_id = instance_id
        self.business_id = business_id
        self.label = label

    def _templates_path(self) -> str:
        if not self.business_id:
            raise ChannelError(NO_BUSINESS_ID)
        return f"{self.business_id}/message_templates"

    async def create_template(self, req: TemplateCreate) -> Record:
        body: dict[str, Any] = {
            "name": req.name,
            "category": req.category,
            "language": req.language,
            "components": req.components,
        }
        if req.allowCategoryChange is not None:
            body["allow_category_change"] = req.allowCategoryChange
        answer = await self.graph.call("POST", self._templates_path(), json=body)
        template_id = answer.get("id") if isinstance(answer, dict) else None
        if not isinstance(template_id, str) or not template_id:
            raise MetaError({"message": "Error to create template"})
        row = Template(
            templateId=safe_text(template_id, 255),
            name=safe_text(req.name, 255),
            template=safe_json(answer),
            webhookUrl=safe_url(req.webhookUrl, 500),
            instanceId=self.instance_id,
        )
        async with self.db.transaction() as session:
            # Meta answers the id of an existing template again: the row is replaced, not doubled.
            await session.execute(delete(Template).where(Template.templateId == row.templateId))
            session.add(row)
            await session.flush()
            return row_dict(row)

    async def find_templates(self) -> Any:
        answer = await self.graph.call("GET", self._templates_path())
        return answer.get("data", []) if isinstance(answer, dict) else answer

    async def edit_template(self, req: TemplateEdit) -> Record:
        if req.category is None and req.components is None and req.messageSendTtlSeconds is None:
            if req.webhookUrl is None:
                raise ChannelError("Nothing to edit: give category, components, messageSendTtlSeconds or webhookUrl")
        else:
            body: dict[str, Any] = {}
            if req.category is not None:
                body["category"] = req.category
            if req.allowCategoryChange is not None:
                body["allow_category_change"] = req.allowCategoryChange
            if req.components is not None:
                body["components"] = req.components
            if req.messageSendTtlSeconds is not None:
                body["message_send_ttl_seconds"] = req.messageSendTtlSeconds
            await self.graph.call("POST", req.templateId, json=body)
        async with self.db.transaction() as session:
            row = (
                await session.execute(
                    select(Template).where(
                        Template.templateId == req.templateId[:255], Template.instanceId == self.instance_id
                    )
                )
            ).scalar_one_or_none()
            if row is None:
                return {"success": True, "templateId": req.templateId}
            if req.webhookUrl is not None:
                row.webhookUrl = safe_url(req.webhookUrl, 500)
            if req.category is not None:
                row.template = {**(row.template or {}), "category": req.category}
            await session.flush()
            return {"success": True, **row_dict(row)}

    async def delete_template(self, req: TemplateDelete) -> Record:
        params = {"name": req.name}
        if req.templateId:
            params["hsm_id"] = req.templateId
        answer = await self.graph.call("DELETE", self._templates_path(), params=params)
        async with self.db.transaction() as session:
            mine = Template.instanceId == self.instance_id
            if req.templateId:
                await session.execute(delete(Template).where(mine, Template.templateId == req.templateId[:255]))
            else:
                await session.execute(delete(Template).where(mine, Template.name == req.name[:255]))
        return answer if isinstance(answer, dict) else {"success": True}
