"""`Graph`: the only road to Meta's Graph API for one instance (its access token, the operator's
WA_BUSINESS_URL and version). Every exchange is time-limited and reads a bounded answer (through
`OutboundClient`); a 429 or a 5xx is retried with backoff (Meta's Retry-After when it sends one);
so is a 400 carrying one of Meta's rate-limit codes; any other refusal becomes `MetaError` carrying
Meta's own error object."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import aiohttp

from evolution_py.channels.capabilities import ChannelError, MetaError
from evolution_py.channels.cloud_api.config import CloudApiConfig
from evolution_py.outbound import Answer, OutboundClient, OutboundError

log = logging.getLogger(__name__)

ANSWER_BYTES = 4 * 1024 * 1024  # a template list or catalog page is far smaller
MAX_RETRY_AFTER = 60.0
_IDEMPOTENT = {"GET", "DELETE"}


# Meta's throughput and rate-limit codes, which it may answer with HTTP 400 as well as 429.
RATE_LIMIT_CODES = {4, 613, 80007, 130429}


def _retryable(answer: Answer) -> bool:
    if answer.status == 429 or answer.status >= 500:
        return True
    code = meta_error_of(answer).get("code") if answer.status == 400 else None
    return code in RATE_LIMIT_CODES


class Graph:
    def __init__(self, config: CloudApiConfig, token: str, http: OutboundClient) -> None:
        self.config = config
        self._token = token
        self._http = http

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: object = None,
        form: Callable[[], aiohttp.FormData] | None = None,
        params: dict[str, str] | None = None,
        time_limit: float | None = None,
    ) -> Any:
        """One Graph API call; Meta's JSON answer, or `MetaError` with Meta's error object."""
        url = self.config.graph_url(path)
        attempt = 0
        while True:
            try:
                answer = await self._http.request(
                    method,
                    url,
                    json=json,
                    data=form() if form is not None else None,
                    headers=self._auth(),
                    params=params,
                    time_limit=time_limit or self.config.time_limit,
                    max_bytes=ANSWER_BYTES,
                    follow_redirects=False,
                )
            except OutboundError as exc:
                # A POST that got no answer may have been carried out: never sent twice.
                if method in _IDEMPOTENT and exc.retryable and attempt < self.config.retries:
                    attempt += 1
                    await asyncio.sleep(self._wait(attempt, None))
                    continue
                raise ChannelError(f"WhatsApp Business API unreachable: {exc.reason}", status=400) from None
            if answer.ok:
                return _json(answer)
            if _retryable(answer) and attempt < self.config.retries:
                attempt += 1
                wait = self._wait(attempt, answer)
                log.warning(
                    "Graph API answered %s to %s %s; retry %s in %.1fs", answer.status, method, path, attempt, wait
                )
                await asyncio.sleep(wait)
                continue
            raise MetaError(meta_error_of(answer))

    async def download(self, url: str) -> tuple[bytes, str | None]:
        """A media file from the URL Meta gave for a media id (bearer token, bounded size)."""
        for attempt in range(self.config.retries + 1):
            try:
                answer = await self._http.request(
                    "GET",
                    url,
                    headers=self._auth(),
                    time_limit=max(self.config.time_limit, 60.0),
                    max_bytes=self.config.max_media_bytes,
                )
            except OutboundError as exc:
                if not exc.retryable or attempt >= self.config.retries:
                    raise ChannelError(f"media download failed: {exc.reason}") from None
                await asyncio.sleep(self._wait(attempt + 1, None))
                continue
            if answer.ok and not answer.truncated:
                return answer.body, answer.headers.get("Content-Type")
            if answer.truncated:
                raise ChannelError("media is larger than WA_BUSINESS_MAX_MEDIA_MB")
            if not _retryable(answer) or attempt >= self.config.retries:
                raise MetaError(meta_error_of(answer))
            await asyncio.sleep(self._wait(attempt + 1, answer))
        raise ChannelError("media download failed")  # not reached: the loop answers or raises

    def _wait(self, attempt: int, answer: Answer | None) -> float:
        if answer is not None:
            after = answer.headers.get("Retry-After", "")
            if after.isdigit():
                return min(float(after), MAX_RETRY_AFTER)
        return float(min(self.config.backoff * 2 ** (attempt - 1), MAX_RETRY_AFTER))


def _json(answer: Answer) -> Any:
    try:
        return answer.json()
    except OutboundError as exc:
        raise ChannelError(f"WhatsApp Business API answer unreadable: {exc.reason}") from None


def meta_error_of(answer: Answer) -> dict[str, Any]:
    """Meta's `error` object of a refusal; a made-up one naming the status when the body has none."""
    try:
        body = answer.json()
    except OutboundError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return error
    return {"message": f"WhatsApp Business API answered {answer.failure()}", "code": answer.status}
