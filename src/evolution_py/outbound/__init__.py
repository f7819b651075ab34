"""The one HTTP client for URLs a tenant gives us (webhooks, media URLs, bot and Chatwoot servers,
Graph API): bounded answers, one total time limit, and the private-network guard on every hop."""

from evolution_py.outbound.client import Answer, OutboundClient, OutboundError, status_reason

__all__ = ["Answer", "OutboundClient", "OutboundError", "status_reason"]
