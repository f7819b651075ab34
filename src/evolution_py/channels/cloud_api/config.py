"""`WA_BUSINESS_*`: the Meta Cloud API channel's settings (upstream's names and defaults, plus ours)."""

from __future__ import annotations

from dataclasses import dataclass

from evolution_py.config import Settings


@dataclass(frozen=True)
class CloudApiConfig:
    url: str  # WA_BUSINESS_URL: the Graph API's origin
    version: str  # WA_BUSINESS_VERSION: the path's first segment, e.g. v20.0
    language: str  # WA_BUSINESS_LANGUAGE: a template's language when a send names none
    verify_token: str  # WA_BUSINESS_TOKEN_WEBHOOK: answered back to Meta's GET /webhook/meta
    app_secret: str  # WA_BUSINESS_APP_SECRET (ours): when set, POST /webhook/meta must be signed with it
    time_limit: float  # WA_BUSINESS_TIMEOUT_SECONDS (ours): one Graph API exchange, answer included
    retries: int  # WA_BUSINESS_RETRIES (ours): further attempts after a 429 or a 5xx
    backoff: float  # WA_BUSINESS_RETRY_BASE_SECONDS (ours): the first wait, doubled each time
    max_media_bytes: int  # WA_BUSINESS_MAX_MEDIA_MB (ours): the largest inbound media downloaded

    def graph_url(self, path: str) -> str:
        return f"{self.url}/{self.version}/{path.lstrip('/')}"


def load_config(settings: Settings) -> CloudApiConfig:
    env = settings.env
    return CloudApiConfig(
        url=env.text("WA_BUSINESS_URL", "https://graph.facebook.com").rstrip("/"),
        version=env.text("WA_BUSINESS_VERSION", "v18.0").strip("/"),
        language=env.text("WA_BUSINESS_LANGUAGE", "en"),
        verify_token=env.text("WA_BUSINESS_TOKEN_WEBHOOK", "evolution"),
        app_secret=env.text("WA_BUSINESS_APP_SECRET"),
        time_limit=env.number("WA_BUSINESS_TIMEOUT_SECONDS", 30.0),
        retries=env.integer("WA_BUSINESS_RETRIES", 3, minimum=0),
        backoff=env.number("WA_BUSINESS_RETRY_BASE_SECONDS", 1.0),
        max_media_bytes=int(env.number("WA_BUSINESS_MAX_MEDIA_MB", 100.0) * 1024 * 1024),
    )
