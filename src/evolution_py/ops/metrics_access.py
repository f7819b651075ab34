"""Who may read /metrics: upstream's METRICS_ALLOWED_IPS and METRICS_AUTH_REQUIRED rules, with
upstream's answers (403 `Forbidden: IP not allowed`; 500 `Metrics authentication not configured`;
401 `Authentication required` with `WWW-Authenticate`; 401 `Invalid credentials`).

Beyond upstream: an allowed entry may be a network (`10.0.0.0/8`), an IPv4 client also matches its
IPv6-mapped form, and the credentials compare in constant time."""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
from dataclasses import dataclass

from evolution_py.config import Env

REALM_HEADER = {"WWW-Authenticate": 'Basic realm="Evolution API Metrics"'}


@dataclass(frozen=True)
class MetricsAccess:
    enabled: bool
    allowed: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] | None  # None: any client
    auth_required: bool
    user: str
    password: str

    @classmethod
    def from_env(cls, env: Env) -> MetricsAccess:
        listed = [entry for entry in env.csv("METRICS_ALLOWED_IPS") if entry]
        networks = []
        for entry in listed:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                continue  # upstream compares strings: a name never matches a socket address either
        return cls(
            enabled=env.flag("PROMETHEUS_METRICS"),
            allowed=tuple(networks) if listed else None,
            auth_required=env.flag("METRICS_AUTH_REQUIRED"),
            user=env.text("METRICS_USER"),
            password=env.text("METRICS_PASSWORD"),
        )

    def refusal(self, client_ip: str, authorization: str | None) -> tuple[int, str] | None:
        """(status, text) when the request may not read the metrics, else None."""
        if self.allowed is not None and not self._ip_allowed(client_ip):
            return 403, "Forbidden: IP not allowed"
        if self.auth_required:
            if not self.user or not self.password:
                return 500, "Metrics authentication not configured"
            if not authorization or not authorization.startswith("Basic "):
                return 401, "Authentication required"
            if not self._credentials_match(authorization[6:]):
                return 401, "Invalid credentials"
        return None

    def _ip_allowed(self, client_ip: str) -> bool:
        try:
            address = ipaddress.ip_address(client_ip)
        except ValueError:
            return False
        candidates = [address]
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            candidates.append(address.ipv4_mapped)
        return any(candidate in network for candidate in candidates for network in self.allowed or ())

    def _credentials_match(self, encoded: str) -> bool:
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        user, _, password = decoded.partition(":")
        same_user = hmac.compare_digest(user.encode(), self.user.encode())
        same_password = hmac.compare_digest(password.encode(), self.password.encode())
        return same_user and same_password
