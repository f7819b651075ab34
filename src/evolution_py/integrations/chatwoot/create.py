"""The `chatwoot*` fields of `/instance/create`: upstream's checks (before anything is created) and
the settings they make once the instance exists (saved, the inbox made, in the background as
upstream does: a Chatwoot that is slow or away does not fail the create)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from evolution_py.config import Settings
from evolution_py.dto.instance import CreateInstanceRequest
from evolution_py.integrations.chatwoot.config import ChatwootConfig
from evolution_py.integrations.chatwoot.integration import ChatwootIntegration
from evolution_py.integrations.chatwoot.settings import ChatwootSettings, webhook_url
from evolution_py.integrations.chatwoot.validation import days_problem, is_url

log = logging.getLogger("evolution_py.chatwoot")


def wanted(req: CreateInstanceRequest) -> bool:
    return bool(req.chatwootAccountId and req.chatwootToken and req.chatwootUrl)


def create_problem(config: Settings, req: CreateInstanceRequest) -> str | None:
    if not ChatwootConfig.from_env(config.env).enabled:
        return "Chatwoot is not enabled"
    if not is_url(req.chatwootUrl):
        return 'Invalid "url" property in chatwoot'
    if (problem := days_problem(req.chatwootDaysLimitImportMessages)) is not None:
        return problem
    for field, name in (
        ("chatwootSignMsg", "signMsg"),
        ("chatwootReopenConversation", "reopenConversation"),
        ("chatwootConversationPending", "conversationPending"),
    ):
        if not isinstance(getattr(req, field), bool):
            return f"{name} is required"
    return None


def settings_of(req: CreateInstanceRequest, name: str) -> ChatwootSettings:
    url = req.chatwootUrl or ""
    return ChatwootSettings(
        enabled=True,
        accountId=req.chatwootAccountId,
        token=req.chatwootToken,
        url=url if "://" in url else f"http://{url}",
        signMsg=req.chatwootSignMsg or False,
        nameInbox=req.chatwootNameInbox if req.chatwootNameInbox is not None else name.split("-cwId-")[0],
        number=req.number,
        reopenConversation=req.chatwootReopenConversation or False,
        conversationPending=req.chatwootConversationPending or False,
        importContacts=req.chatwootImportContacts if req.chatwootImportContacts is not None else True,
        mergeBrazilContacts=req.chatwootMergeBrazilContacts or False,
        importMessages=req.chatwootImportMessages if req.chatwootImportMessages is not None else True,
        daysLimitImportMessages=req.chatwootDaysLimitImportMessages
        if req.chatwootDaysLimitImportMessages is not None
        else 60,
        organization=req.chatwootOrganization,
        logo=req.chatwootLogo,
        autoCreate=req.chatwootAutoCreate is not False,
    )


def echo(req: CreateInstanceRequest, server_url: str, runtime: Any) -> dict[str, Any]:
    """The `chatwoot` block of the create answer, as upstream builds it (its webhook URL with our secret)."""
    data = settings_of(req, runtime.name)
    return {
        "enabled": True,
        "accountId": req.chatwootAccountId,
        "token": req.chatwootToken,
        "url": req.chatwootUrl,
        "signMsg": data.signMsg,
        "reopenConversation": data.reopenConversation,
        "conversationPending": data.conversationPending,
        "mergeBrazilContacts": data.mergeBrazilContacts,
        "importContacts": data.importContacts,
        "importMessages": data.importMessages,
        "daysLimitImportMessages": req.chatwootDaysLimitImportMessages or 60,
        "number": req.number,
        "nameInbox": req.chatwootNameInbox if req.chatwootNameInbox is not None else runtime.name,
        "webhookUrl": webhook_url(server_url, runtime.name, runtime.id, runtime.token),
    }


async def apply(integrations: Sequence[Any], req: CreateInstanceRequest, server_url: str, runtime: Any) -> None:
    chatwoot = next((i for i in integrations if isinstance(i, ChatwootIntegration)), None)
    if chatwoot is None:
        return
    data = settings_of(req, runtime.name)
    url = webhook_url(server_url, runtime.name, runtime.id, runtime.token)
    await chatwoot.parts.settings.save(runtime.id, data)

    async def create_inbox() -> None:
        if not data.autoCreate:
            return
        try:
            await chatwoot.bot.create_inbox(runtime.id, data, url)
            await chatwoot.bot.greet(runtime.id, data)
        except Exception as exc:  # noqa: BLE001 - upstream logs it; the instance and its settings stay
            log.warning("chatwoot: creating the inbox of %s failed: %s", runtime.name, exc)

    runtime.spawn(create_inbox())
