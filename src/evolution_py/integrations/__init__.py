"""Integrations on the event bus: Chatwoot and the chatbot engine (issues 12 and 13) live here, one
folder each (`integrations/<name>/`), registered by one line in `integrations/registry.py`.

An integration sees events through the durable bus like a sink does, and acts only through the
services the HTTP API uses (`MessagingService` for every answer it sends).
"""
