"""Plans and posts webhook deliveries with upstream's rules.

Planning (at accept time) decides the URLs: the instance's row (enabled, event key in its list,
`url` + `/<kebab event>` when `webhookByEvents`) and the global URL (`WEBHOOK_GLOBAL_*`), and
freezes the headers into the delivery. Sending posts upstream's envelope with aiohttp, which
stack-facts and bench/events.py measured several times faster than httpx under concurrency.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import aiohttp
import msgspec

from evolution_py import __version__
from evolution_py.events.event import Event
from evolution_py.events.names import event_key, kebab_suffix
from evolution_py.events.sink import GLOBAL_SCOPE, INSTANCE_SCOPE, Delivery, DeliveryError
from evolution_py.events.subscriptions import Subscriptions
from evolution_py.sinks.answers import REASON_CHARS, failure_reason, read_prefix
from evolution_py.sinks.webhook.config import HTTP_URL, WebhookConfig
from evolution_py.sinks.webhook.guard import private_destination
from evolution_py.sinks.webhook.signing import jwt_hs256, standard_signature
from evolution_py.store.safe_text import short_reason

log = logging.getLogger(__name__)

_encoder = msgspec.json.Encoder()

# Header keys in an instance's `headers` that configure us instead of being sent.
JWT_KEY = "jwt_key"
SECRET_KEY = "webhook_secret"


def instance_event_key(wire_name: str) -> str:
    """The key looked up in an instance's `events` list. Upstream derives `GROUPS_UPDATE` for
    `groups.update`, which no list can hold (the accepted key is `GROUP_UPDATE`), so it never
    delivered that event; we map it to the key clients can actually subscribe to."""
    key = event_key(wire_name)
    return "GROUP_UPDATE" if key == "GROUPS_UPDATE" else key


class WebhookSink:
    name = "webhook"

    def __init__(self, config: WebhookConfig, subscriptions: Subscriptions) -> None:
        self.config = config
        self.subscriptions = subscriptions
        self.retry_policy = config.retry
        self.concurrency_per_target = config.concurrency_per_target
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=self.config.request_timeout),
                headers={"User-Agent": f"evolution-py/{__version__}", "Accept": "application/json, text/plain, */*"},
            )

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # --- plan ---------------------------------------------------------------------------------

    async def plan(self, event: Event) -> list[Delivery]:
        row = await self.subscriptions.find("webhook", event.instance_id)
        cfg = self.config
        suffix = kebab_suffix(event.event)
        # Upstream's `destination`: the row's bare url if the instance has a row at all (even a
        # disabled one), else the global url with the by-events suffix.
        destination = row["url"] if row is not None else f"{cfg.global_url}/{suffix}"
        out: list[Delivery] = []
        if (
            row is not None
            and row.get("enabled")
            and instance_event_key(event.event) in (row.get("events") or [])
            and HTTP_URL.match(row.get("url") or "")
        ):
            url = f"{row['url']}/{suffix}" if row.get("webhookByEvents") else row["url"]
            headers = {str(k): _header_value(v) for k, v in (row.get("headers") or {}).items()}
            out.append(
                Delivery(
                    sink=self.name,
                    target=url,
                    event=event,
                    options={
                        "scope": INSTANCE_SCOPE,
                        "destination": destination,
                        "headers": {k: v for k, v in headers.items() if k not in (JWT_KEY, SECRET_KEY)},
                        "jwt_key": headers.get(JWT_KEY),
                        "secret": headers.get(SECRET_KEY),
                    },
                )
            )
        if cfg.global_enabled and event_key(event.event) in cfg.global_events and HTTP_URL.match(cfg.global_url):
            url = f"{cfg.global_url}/{suffix}" if cfg.global_by_events else cfg.global_url
            out.append(
                Delivery(
                    sink=self.name, target=url, event=event, options={"scope": GLOBAL_SCOPE, "destination": destination}
                )
            )
        return out

    # --- send ---------------------------------------------------------------------------------

    def request(self, delivery: Delivery, now: int) -> tuple[bytes, dict[str, str]]:
        """The exact body and headers of one attempt."""
        options = delivery.options
        body = _encoder.encode(delivery.event.envelope(options.get("destination"), with_destination=True))
        headers: dict[str, str] = {"Content-Type": "application/json", "webhook-id": delivery.event.id}
        headers.update(options.get("headers") or {})
        if options.get("jwt_key"):
            headers["Authorization"] = f"Bearer {jwt_hs256(options['jwt_key'], now)}"
        secret = options.get("secret") or self.config.signing_secret
        if secret:
            headers["webhook-timestamp"] = str(now)
            try:
                headers["webhook-signature"] = standard_signature(secret, delivery.event.id, now, body)
            except ValueError as exc:
                raise DeliveryError(f"webhook_secret: {exc}", retryable=False) from None
        return body, headers

    async def send(self, delivery: Delivery) -> None:
        if self._session is None:
            raise DeliveryError("webhook sink is not started")
        if self.config.block_private_networks and delivery.options.get("scope") == INSTANCE_SCOPE:
            # Per-instance targets only (the global url is the operator's own); checked at send
            # time too, since a name can start resolving into the private network after it was set.
            reason = await private_destination(delivery.target)
            if reason:
                raise DeliveryError(reason, retryable=False)
        body, headers = self.request(delivery, int(time.time()))
        try:
            # One total time limit for the whole exchange, answer included: the session's
            # ClientTimeout(total=...) runs until the response is released. Only a small prefix of
            # the answer is read, raw (a compressed body is never inflated): see sinks/answers.py.
            async with self._session.post(
                delivery.target, data=body, headers=headers, auto_decompress=False
            ) as response:
                status = response.status
                retry_after = response.headers.get("Retry-After")
                encoding = response.headers.get("Content-Encoding")
                # Read up to the prefix whatever the status: a short answer read to its end lets the
                # connection go back to the pool (an unread body would close it: a new TCP connection
                # per delivery); a long one is cut and its connection closed. A 2xx body is not used.
                answer = await read_prefix(response)
        except TimeoutError:
            raise DeliveryError(f"no answer within {self.config.request_timeout:g}s") from None
        except aiohttp.ClientError as exc:
            # Parse errors quote what the receiver sent (a bad status line, a header): one short line.
            raise DeliveryError(short_reason(f"{type(exc).__name__}: {exc}".encode(), REASON_CHARS)) from None
        except ValueError as exc:
            # A request aiohttp refuses to build (a header a row stored before it was validated,
            # an URL it cannot parse) will never succeed: dead-letter it with the reason.
            raise DeliveryError(f"request refused: {exc}", retryable=False) from None
        if 200 <= status < 300:
            return
        message = failure_reason(status, answer, encoding)
        if status in self.config.non_retryable_statuses:
            raise DeliveryError(message, retryable=False)
        raise DeliveryError(message, retry_after=self._retry_after(retry_after, delivery.attempt + 1))

    def _retry_after(self, header: str | None, failures: int) -> float | None:
        if not header:
            return None
        try:
            seconds = float(header)
        except ValueError:
            return None
        policy = self.retry_policy
        return min(max(seconds, policy.delay(failures)), policy.max_delay)


def _header_value(value: Any) -> str:
    return value if isinstance(value, str) else _encoder.encode(value).decode()
