"""Chatwoot: agents answer WhatsApp from a Chatwoot inbox (upstream's `/chatwoot` integration).

WhatsApp → Chatwoot rides the durable bus (`integration.py`), Chatwoot → WhatsApp arrives on
`POST /chatwoot/webhook/{name}?key=<secret>` (`agent.py`) and leaves through the MessagingService.
"""
