"""Plans and posts webhook deliveries with upstream's rules.

Planning (at accept time) decides the URLs: the instance's row (enabled, event key in its list,
`url` + `/<kebab event>` when `webhookByEvents`) and the global URL (`WEBHOOK_GLOBAL_*`), and
freezes the headers into the delivery. Sending posts upstream's envelope through the outbound
client (aiohttp underneath, which stack-facts and bench/events.py measured several times faster than
httpx under concurrency; one pooled session per client, never one per request).

A tenant's own URL goes through the guarded client (WEBHOOK_BLOCK_PRIVATE_NETWORKS checks every hop
against the address connected to); the operator's global URL through an unguarded one, since the
operator may well point it inside its own network.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import msgspec

from evolution_py import __version__
from evolution_py.events.event import Event
from evolution_py.events.names import event_key, kebab_suffix
from evolution_py.events.sink import GLOBAL_SCOPE, INSTANCE_SCOPE, Delivery, DeliveryError
from evolution_py.events.subscriptions import Subscriptions
from evolution_py.outbound import OutboundClient, OutboundError
from evolution_py.sinks.answers import ANSWER_PREFIX_BYTES, failure_reason
from evolution_py.sinks.webhook.config import HTTP_URL, WebhookConfig
from evolution_py.sinks.webhook.signing import jwt_hs256, standard_signature

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
        self._tenant: OutboundClient | None = None  # instances' own urls
        self._operator: OutboundClient | None = None  # the global url (WEBHOOK_GLOBAL_URL)

    async def start(self) -> None:
        if self._tenant is None or self._operator is None:
            agent = f"evolution-py/{__version__}"
            self._tenant = OutboundClient(block_private_networks=self.config.block_private_networks, user_agent=agent)
            self._operator = OutboundClient(block_private_networks=False, user_agent=agent)

    async def stop(self) -> None:
        for client in (self._tenant, self._operator):
            if client is not None:
                await client.close()
        self._tenant = self._operator = None

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
        if self._tenant is None or self._operator is None:
            raise DeliveryError("webhook sink is not started")
        client = self._operator if delivery.options.get("scope") == GLOBAL_SCOPE else self._tenant
        body, headers = self.request(delivery, int(time.time()))
        headers.setdefault("Accept", "application/json, text/plain, */*")
        try:
            # One total time limit for the whole exchange, redirects and answer included; only a
            # small prefix of the answer is read, raw (never inflated). A short answer read to its end
            # lets the connection go back to the pool; a long one is cut and its connection closed.
            answer = await client.request(
                "POST",
                delivery.target,
                data=body,
                headers=headers,
                time_limit=self.config.request_timeout,
                max_bytes=ANSWER_PREFIX_BYTES,
            )
        except OutboundError as exc:
            raise DeliveryError(exc.reason, retryable=exc.retryable) from None
        if answer.ok:
            return
        message = failure_reason(answer.status)  # never any of the answer's body
        if answer.status in self.config.non_retryable_statuses:
            raise DeliveryError(message, retryable=False)
        retry_after = answer.headers.get("Retry-After")
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
