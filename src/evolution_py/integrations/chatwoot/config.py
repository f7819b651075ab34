"""Chatwoot variables, by Evolution API's names, read once at start."""

from __future__ import annotations

import msgspec

from evolution_py.config import Env

LANGUAGES = ("en", "pt-BR", "es")


class ChatwootConfig(msgspec.Struct, kw_only=True, frozen=True):
    enabled: bool = False  # CHATWOOT_ENABLED: off → every /chatwoot route answers 400 `Chatwoot is disabled`
    message_read: bool = False  # CHATWOOT_MESSAGE_READ: an agent answer marks the contact's last message read
    message_delete: bool = False  # CHATWOOT_MESSAGE_DELETE: a WhatsApp delete removes the Chatwoot message
    bot_contact: bool = True  # CHATWOOT_BOT_CONTACT: the "123456" bot contact and its commands
    language: str = "en"  # LANGUAGE: the bot's notices
    import_uri: str = ""  # CHATWOOT_IMPORT_DATABASE_CONNECTION_URI (history import: not built yet)
    request_timeout: float = 30.0  # seconds, per request to the Chatwoot server
    retry_attempts: int = 1000  # Chatwoot away: a message waits (in order) up to about three days
    retry_initial_delay: float = 2.0
    retry_max_delay: float = 300.0

    @classmethod
    def from_env(cls, env: Env) -> ChatwootConfig:
        language = env.text("LANGUAGE", "en")
        return cls(
            enabled=env.flag("CHATWOOT_ENABLED", False),
            message_read=env.flag("CHATWOOT_MESSAGE_READ", False),
            message_delete=env.flag("CHATWOOT_MESSAGE_DELETE", False),
            bot_contact=env.flag("CHATWOOT_BOT_CONTACT", True),
            language=language if language in LANGUAGES else ("pt-BR" if language.startswith("pt") else "en"),
            import_uri=env.text("CHATWOOT_IMPORT_DATABASE_CONNECTION_URI"),
            request_timeout=env.integer("CHATWOOT_REQUEST_TIMEOUT_MS", 30000, minimum=1) / 1000,
            retry_attempts=env.integer("CHATWOOT_RETRY_MAX_ATTEMPTS", 1000, minimum=1),
            retry_initial_delay=env.integer("CHATWOOT_RETRY_INITIAL_DELAY_MS", 2000, minimum=1) / 1000,
            retry_max_delay=env.integer("CHATWOOT_RETRY_MAX_DELAY_MS", 300000, minimum=1) / 1000,
        )
