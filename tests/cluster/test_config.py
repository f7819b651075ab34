"""CLUSTER_* start-up checks: a clear error names what is missing; off by default."""

from __future__ import annotations

import pytest

from evolution_py.cache import cache_settings
from evolution_py.cluster.config import ClusterSettings, cluster_settings
from evolution_py.cluster.placement import owner_of, placement
from evolution_py.config import ConfigError, Env

REDIS = {"CACHE_REDIS_ENABLED": "true", "CACHE_REDIS_URI": "redis://127.0.0.1:6379/0"}


def _settings(env: dict[str, str], provider: str = "postgresql") -> ClusterSettings:
    e = Env(env)
    return cluster_settings(e, database_provider=provider, cache=cache_settings(e), port=8080)


def test_off_by_default() -> None:
    assert _settings({}, "sqlite").enabled is False


def test_needs_postgresql_and_redis() -> None:
    with pytest.raises(ConfigError, match="DATABASE_PROVIDER=postgresql"):
        _settings({"CLUSTER_ENABLED": "true", **REDIS}, "sqlite")
    with pytest.raises(ConfigError, match="CACHE_REDIS_ENABLED=true and CACHE_REDIS_URI"):
        _settings({"CLUSTER_ENABLED": "true"})
    with pytest.raises(ConfigError, match="CLUSTER_ADVERTISE_URL"):
        _settings({"CLUSTER_ENABLED": "true", "CLUSTER_ADVERTISE_URL": "10.0.0.5:8080", **REDIS})
    with pytest.raises(ConfigError, match="CLUSTER_LEASE_SECONDS"):
        _settings({"CLUSTER_ENABLED": "true", "CLUSTER_LEASE_SECONDS": "0.1", **REDIS})


def test_defaults() -> None:
    s = _settings({"CLUSTER_ENABLED": "true", **REDIS})
    assert s.enabled and s.lease_seconds == 10.0 and s.node_id.endswith(":8080")
    assert s.advertise_url.startswith("http://") and s.advertise_url.endswith(":8080")


def test_rendezvous_moves_only_what_it_must() -> None:
    ids = [f"i{n}" for n in range(2000)]
    three = placement(ids, ["a", "b", "c"])
    four = placement(ids, ["a", "b", "c", "d"])
    moved = [i for i in ids if three[i] != four[i]]
    assert all(four[i] == "d" for i in moved)  # a joining node only takes, never reshuffles
    assert 0.2 < len(moved) / len(ids) < 0.3  # ~1/4
    assert owner_of("x", []) is None
    assert all(owner_of(i, ["c", "b", "a"]) == three[i] for i in ids[:50])  # order of the list is irrelevant
