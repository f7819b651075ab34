"""WEBHOOK_BLOCK_PRIVATE_NETWORKS: on a multi-tenant server, a tenant's webhook must not reach the
server's own network (loopback, private ranges, link-local cloud metadata, ...)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from evolution_py.errors import BadRequest
from evolution_py.sinks.webhook.config import WebhookConfig

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _is_internal(ip: IpAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
        or (isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.IPv4Network("100.64.0.0/10"))
    )


async def private_destination(url: str) -> str | None:
    """Why `url` points into a private network, or None when it does not (or cannot be resolved)."""
    host = urlsplit(url).hostname
    if not host:
        return None
    try:
        addresses: list[IpAddress] = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except OSError:
            return None  # unresolvable now; checked again before every send
        addresses = []
        for info in infos:
            try:
                addresses.append(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]))
            except ValueError:
                continue
    for ip in addresses:
        if _is_internal(ip):
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
