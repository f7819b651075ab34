"""Dialect-neutral services: what the HTTP dialects, the chatbots and Chatwoot all call."""
