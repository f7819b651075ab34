"""WEBHOOK_BLOCK_PRIVATE_NETWORKS: on a multi-tenant server, a tenant's webhook must not reach the
server's own network (loopback, private ranges, link-local cloud metadata, ...)."""

from __future__ import annotations

import asyncio
import socket
from urllib.parse import urlsplit

from evolution_py.errors import BadRequest
from evolution_py.outbound.addresses import IpAddress, is_internal, parse_ip
from evolution_py.sinks.webhook.config import WebhookConfig


async def private_destination(url: str) -> str | None:
    """Why `url` points into a private network, or None when it does not (or cannot be resolved).
    This is the early answer at `/webhook/set` and create; deliveries are guarded by the outbound
    client, which checks the address each connection actually uses."""
    host = urlsplit(url).hostname
    if not host:
        return None
    literal = parse_ip(host)
    addresses: list[IpAddress] = [literal] if literal is not None else []
    if literal is None:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except OSError:
            return None  # unresolvable now; the guarded client checks every delivery's connection
        addresses = [ip for ip in (parse_ip(str(info[4][0])) for info in infos) if ip is not None]
    for ip in addresses:
        if is_internal(ip):
            return (
                f"webhook url {url} points to {ip}, a loopback, private or link-local address, "
                "which this server refuses (WEBHOOK_BLOCK_PRIVATE_NETWORKS=true)"
            )
    return None


async def check_webhook_url(config: WebhookConfig, url: str) -> None:
    """The check a per-instance webhook url must pass before it is stored (`/webhook/set` and
    `/instance/create`): BadRequest naming the url when WEBHOOK_BLOCK_PRIVATE_NETWORKS refuses it."""
    if config.block_private_networks:
        reason = await private_destination(url)
        if reason:
            raise BadRequest(reason)
